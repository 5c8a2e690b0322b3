"""Engine benchmark: in-memory SpiffWorkflow vs the persisted engine, fresh vs long cases,
memory with many open cases. Every ratio is measured within one run.

    python -m bench                 # all of it, SQLite (and PostgreSQL if a URL is set)
    python -m bench --quick         # fewer cases, for a smoke run
"""

from __future__ import annotations

import gc
import json
import statistics
import time

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.library import read_sources
from engine.parsing import Parser
from engine.scripting import SERIALIZER_CONFIG, SafeScriptEngine
from engine.simulation import GEMEENTE_MANDAAT, START, STEP_DATA

from .common import Progress, actors, fresh_runtime, pg_url

# The happy path with a mandating gemeente: 11 user tasks from plan van aanpak to closing review.
PATH = ["stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder", "stap6_bepaling_jeugdhulp",
        "stap7_aanmelden_aanbieder", "stap8a_verzoek_om_toewijzing", "stap8b_reactie_gemeente",
        "stap9_start_jeugdhulp", "voortgang_bespreken", "stop_jeugdhulp_melden", "afsluitende_evaluatie"]
USERS = {"jeugdbeschermer": "jeugdbeschermer", "gemeente": "gemeente2", "lokaalteam": "gemeente2",
         "aanbieder": "aanbieder"}
LOOP = [("stap3_aanbieder_zoeken", {}),
        ("stap5_afstemmen_aanbieder", {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": True})]


def _start_data(i: int) -> dict:
    return {**START, "gemeente": GEMEENTE_MANDAAT, "casusreferentie": f"BENCH-{i}"}


def _specs():
    parser = Parser()
    for source in read_sources(__import__("engine.config").config.ROOT / "processes",
                               __import__("engine.config").config.ROOT / "forms"):
        if source.kind == "bpmn":
            parser.add_bpmn_text(source.text, source.filename)
        elif source.kind == "dmn":
            parser.add_dmn_text(source.text, source.filename)
    return parser.specs_for("gi_verwijsproces")


# -- (a) in memory ----------------------------------------------------------------------------

def run_in_memory(cases: int, roundtrip: bool = False) -> float:
    """Task completions per second by SpiffWorkflow alone; with `roundtrip`, the whole
    workflow is serialized and deserialized around every step (the naive way to persist)."""
    spec, subprocess_specs = _specs()
    engine = SafeScriptEngine()
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG))
    done = 0
    progress = Progress("in memory" + (" + full serialization" if roundtrip else ""), cases)
    started = time.perf_counter()
    for i in range(cases):
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
        workflow.task_tree.data.update({**_start_data(i), "gi": "gi-jbb", "gemeente_mandateert_gi": True})
        workflow.do_engine_steps()
        for name in PATH:
            if roundtrip:
                workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
                workflow.script_engine = engine
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == name)
            task.data.update(STEP_DATA[name])
            task.run()
            workflow.do_engine_steps()
            done += 1
        assert workflow.is_completed()
        progress(i + 1)
    return done / (time.perf_counter() - started)


# -- (b) through the engine ---------------------------------------------------------------------

def _complete_named(runtime, people, view: dict, name: str, extra: dict | None = None) -> dict:
    task = next(t for t in view["open_tasks"] if t["name"] == name)
    actor = people[USERS[task["lane"]]]
    return runtime.cases.complete(actor, task["id"], {**STEP_DATA[name], **(extra or {})})


def run_persisted(backend: str, cases: int) -> float:
    runtime, cleanup = fresh_runtime(backend)
    try:
        people = actors(runtime)
        done = 0
        progress = Progress(f"engine + {backend.split(':')[0]}", cases)
        started = time.perf_counter()
        for i in range(cases):
            view = runtime.cases.start(people["jeugdbeschermer"], "gi_verwijsproces", _start_data(i))
            for name in PATH:
                view = _complete_named(runtime, people, view, name)
                done += 1
            assert view["status"] == "completed", view["status"]
            progress(i + 1)
        return done / (time.perf_counter() - started)
    finally:
        cleanup()


# -- fresh vs long cases ----------------------------------------------------------------------

def run_loop(backend: str, cases: int, loops: int) -> dict:
    """Time to complete a task in round 1 of steps 3–5 vs round `loops`, same run."""
    runtime, cleanup = fresh_runtime(backend)
    try:
        people = actors(runtime)
        first, last, miss_first, miss_last = [], [], [], []
        progress = Progress(f"loops 3→5 x{loops} ({backend.split(':')[0]})", cases)
        for i in range(cases):
            view = runtime.cases.start(people["jeugdbeschermer"], "gi_verwijsproces", _start_data(10_000 + i))
            view = _complete_named(runtime, people, view, "stap1_plan_van_aanpak")
            for round_no in range(1, loops + 1):
                for name, extra in LOOP:
                    cold = round_no in (1, loops) and name == "stap3_aanbieder_zoeken"
                    if cold:  # one cache miss per measured round: the cost of rebuilding from rows
                        runtime.cache.evict(view["id"])
                    t0 = time.perf_counter()
                    view = _complete_named(runtime, people, view, name, extra)
                    elapsed = time.perf_counter() - t0
                    if round_no == 1:
                        (miss_first if cold else first).append(elapsed)
                    elif round_no == loops:
                        (miss_last if cold else last).append(elapsed)
            progress(i + 1)
        with runtime.reading() as session:
            from sqlalchemy import func, select

            from engine.models import EngineTask
            rows = session.scalar(select(func.count()).select_from(EngineTask).where(EngineTask.case_id == view["id"]))
        return {
            "fresh_ms": statistics.median(first) * 1000,
            "looped_ms": statistics.median(last) * 1000,
            "fresh_miss_ms": statistics.median(miss_first) * 1000,
            "looped_miss_ms": statistics.median(miss_last) * 1000,
            "task_rows": rows,
        }
    finally:
        cleanup()


# -- memory -----------------------------------------------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_memory(open_cases: int) -> dict:
    """RSS of one process that holds `open_cases` open cases, each two steps in."""
    runtime, cleanup = fresh_runtime("sqlite", cache_size=open_cases)
    try:
        people = actors(runtime)
        gc.collect()
        baseline = rss_mb()
        progress = Progress(f"{open_cases:,} open cases", open_cases)
        for i in range(open_cases):
            view = runtime.cases.start(people["jeugdbeschermer"], "gi_verwijsproces", _start_data(50_000 + i))
            view = _complete_named(runtime, people, view, "stap1_plan_van_aanpak")
            _complete_named(runtime, people, view, "stap3_aanbieder_zoeken")
            progress(i + 1)
        gc.collect()
        all_cached = rss_mb()
        cached = len(runtime.cache)
        runtime.cache.size = 2000
        runtime.cache.checkin(-1, next(iter(runtime.cache._entries.values())))  # trims to the size
        runtime.cache.evict(-1)
        gc.collect()
        default_cache = rss_mb()
        return {"baseline_mb": baseline, "all_cached_mb": all_cached, "cached": cached,
                "default_cache_mb": default_cache, "per_cached_case_kb": (all_cached - baseline) * 1024 / max(cached, 1)}
    finally:
        cleanup()


def main(quick: bool = False) -> dict:
    n = 30 if quick else 300
    results = {}
    print("Verwijsflow engine benchmark — GI verwijsproces happy path (11 user tasks per case)")
    results["in_memory_tps"] = run_in_memory(n * 2)
    results["roundtrip_tps"] = run_in_memory(max(n // 3, 10), roundtrip=True)
    results["sqlite_tps"] = run_persisted("sqlite", n)
    url = pg_url()
    if url:
        results["postgresql_tps"] = run_persisted(url, n)
    results["loop_sqlite"] = run_loop("sqlite", 5 if quick else 20, 50)
    if url:
        results["loop_postgresql"] = run_loop(url, 5 if quick else 20, 50)
    results["memory"] = run_memory(1000 if quick else 10_000)
    report(results)
    return results


def report(r: dict) -> None:
    im = r["in_memory_tps"]
    print("\nThroughput (task completions per second, one process, one core)")
    print(f"  SpiffWorkflow in memory                  {im:10,.0f}")
    print(f"  in memory + full serialize/deserialize   {r['roundtrip_tps']:10,.0f}   ratio {r['roundtrip_tps'] / im:.3f}")
    print(f"  engine, persisted, SQLite                {r['sqlite_tps']:10,.0f}   ratio {r['sqlite_tps'] / im:.3f}")
    if "postgresql_tps" in r:
        print(f"  engine, persisted, PostgreSQL            {r['postgresql_tps']:10,.0f}   ratio {r['postgresql_tps'] / im:.3f}")
    print("  (target: persisted ≥ 0.5 × in memory)")
    for key in ("loop_sqlite", "loop_postgresql"):
        if key not in r:
            continue
        loop = r[key]
        print(f"\nCompleting a task, fresh case vs after 50 loops through steps 3–5 ({key.split('_')[1]})")
        print(f"  cached workflow:   fresh {loop['fresh_ms']:.2f} ms   looped {loop['looped_ms']:.2f} ms   "
              f"ratio {loop['looped_ms'] / loop['fresh_ms']:.2f}   (target ≤ 1.5)")
        print(f"  rebuilt from rows: fresh {loop['fresh_miss_ms']:.2f} ms   looped {loop['looped_miss_ms']:.2f} ms   "
              f"ratio {loop['looped_miss_ms'] / loop['fresh_miss_ms']:.2f}   ({loop['task_rows']} task rows after 50 loops)")
    m = r["memory"]
    print(f"\nMemory, one process, {m['cached']:,} open cases")
    print(f"  all {m['cached']:,} workflows cached: {m['all_cached_mb']:.0f} MB RSS "
          f"(~{m['per_cached_case_kb']:.0f} KB per cached case; baseline {m['baseline_mb']:.0f} MB)")
    print(f"  cache trimmed to the default 2,000: {m['default_cache_mb']:.0f} MB RSS (target < 500 MB)")
    print("\n" + json.dumps({k: v for k, v in r.items()}, default=float))

"""Monitoring benchmark: what the regiocoördinator's three questions cost (stuck list, KPIs,
heatmap) as the database and the region grow.

    python -m bench --only monitoring           # SQLite, and PostgreSQL when a URL is set
    python -m bench --only monitoring --quick   # smaller databases

Three databases, each measured in this run:
- a region of 1,000 cases, alone in the database;
- the same region of 1,000 cases in a database of 100,000 (the rest in other regions):
  the ratio to the first says whether a region's figures are found without reading the
  others' rows (target: near 1);
- a region of 10,000 cases: the figures read every case of the region, so this grows
  with the region; the ratio says by how much.
The rows are written in bulk, shaped as the GI verwijsproces leaves them: per case its
completed and open tasks, the doorbraak timer, JW305/JW307 messages and RET outcomes.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from engine.models import AuditEvent, Case, IjwMessage, Organisation, Timer, WorkItem

from .common import Progress, actors, fresh_runtime, pg_url

BATCH = 2_000
REPEAT = 5
STEPS = [("stap1_plan_van_aanpak", "jeugdbeschermer"), ("stap3_aanbieder_zoeken", "jeugdbeschermer"),
         ("stap5_afstemmen_aanbieder", "jeugdbeschermer"), ("stap7_aanmelden_aanbieder", "jeugdbeschermer"),
         ("stap8b_reactie_gemeente", "gemeente"), ("stap9_start_jeugdhulp", "aanbieder")]


def _organisations(session) -> dict[str, int]:
    return {o.key: o.id for o in session.scalars(select(Organisation))}


def _other_region(session) -> int:
    region = Organisation(key=f"regio-{uuid.uuid4().hex[:6]}", name="Andere regio", kind="regio")
    session.add(region)
    session.flush()
    return region.id


def _add_cases(runtime, count: int, region: int, label: str, seed: int) -> None:
    """`count` GI cases in `region`, with the rows the monitoring reads, in bulk."""
    rng = random.Random(seed)
    now = runtime.clock.now()
    progress = Progress(label, count)
    with runtime.transaction() as session:
        org = _organisations(session)
        gis, gemeenten = [org["gi-jbb"], org["gi-wsg"]], [org["gemeente-roosendaal"], org["gemeente-bergen-op-zoom"]]
        bundle_id = runtime.library.bundle_for_start(session, "gi_verwijsproces", now).id
        next_id = (session.scalar(select(func.max(Case.id))) or 0) + 1
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            rows = _rows(range(next_id + start, next_id + start + size), region, gis, gemeenten, bundle_id, now, rng)
            for model, values in zip((Case, WorkItem, Timer, IjwMessage, AuditEvent), rows, strict=True):
                if values:
                    session.execute(insert(model.__table__), values)
            progress(start + size)
        session.commit()


def _rows(case_ids, region, gis, gemeenten, bundle_id, now, rng) -> tuple[list, ...]:
    cases, items, timers, messages, events = [], [], [], [], []
    for cid in case_ids:
        begin = now - timedelta(days=rng.uniform(5, 400))
        reached = rng.randint(1, len(STEPS))
        started = reached == len(STEPS) and rng.random() < 0.9
        done = started and rng.random() < 0.5
        gi, gemeente = rng.choice(gis), rng.choice(gemeenten)
        cases.append({"id": cid, "reference": f"MON-{cid}", "process_key": "gi_verwijsproces", "bundle_id": bundle_id,
                      "status": "completed" if done else "running", "version": 1, "gi_id": gi,
                      "gemeente_id": gemeente, "region_id": region, "created_at": begin,
                      "data": {"ingangsdatum_maatregel": begin.date().isoformat(),
                               "niet_gecontracteerd": rng.random() < 0.2,
                               **({"resultaat": rng.choice(["doelen_behaald", "niet_haalbaar", "uitval"])} if done else {})},
                      "engine_state": {}})
        at = begin
        for n, (element, lane) in enumerate(STEPS[:reached]):
            opened, at = at, at + timedelta(days=rng.uniform(1, 20))
            is_open = n == reached - 1 and not started
            items.append({"id": str(uuid.UUID(int=rng.getrandbits(128))), "case_id": cid,
                          "process_key": "gi_verwijsproces", "element_id": element, "title": element, "lane": lane,
                          "organisation_id": gemeente if lane == "gemeente" else gi,
                          "status": "open" if is_open else "completed", "created_at": opened,
                          "due_at": opened + timedelta(days=14), "completed_at": None if is_open else at})
        due = begin + timedelta(days=91)
        timers.append({"case_id": cid, "task_id": f"doorbraak-{cid}", "process_key": "gi_verwijsproces",
                       "element_id": "doorbraak_termijn_verstreken", "norm": "Passende zorg binnen 3 maanden",
                       "status": "closed" if started else ("fired" if due < now else "waiting"),
                       "due_at": due, "run_at": due, "created_at": begin, "attempts": 1 if due < now else 0,
                       "fired_at": due if due < now and not started else None})
        if started:
            messages.append({"case_id": cid, "code": "JW305", "direction": "aanbieder → gemeente",
                             "payload": {"Begindatum": at.date().isoformat()},
                             "recorded_at": at + timedelta(days=rng.choice([0, 1, 3, 9]))})
        if done:
            end = at + timedelta(days=60)
            messages.append({"case_id": cid, "code": "JW307", "direction": "aanbieder → gemeente",
                             "payload": {"Begindatum": at.date().isoformat(), "Einddatum": end.date().isoformat()},
                             "recorded_at": end + timedelta(days=rng.choice([0, 2, 8]))})
        if rng.random() < 0.1:
            events.append({"case_id": cid, "at": at, "actor": "ret", "kind": "task_completed",
                           "element_id": "ret_bespreking", "details": {"data": {"passende_zorg": rng.random() < 0.6}}})
    return cases, items, timers, messages, events


def _analyze(runtime) -> None:
    """PostgreSQL's autovacuum gathers planner statistics soon after a bulk load; do it now, as
    a running system has them. SQLite gathers none unless asked, and Verwijsflow does not
    ask, so it is measured as it runs."""
    with runtime.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()


def _time(call) -> float:
    """Median milliseconds of REPEAT calls, after one to warm the caches."""
    call()
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _measure(runtime) -> dict:
    coordinator = actors(runtime)["regiocoordinator"]
    monitoring = runtime.monitoring
    return {
        "stuck": _time(lambda: monitoring.stuck(coordinator)),
        "kpi": _time(lambda: monitoring.kpi(coordinator)),
        "heatmap": _time(lambda: monitoring.heatmap(coordinator, "gi_verwijsproces")),
    }


def run(backend: str, region_cases: int, elsewhere: int) -> dict:
    runtime, cleanup = fresh_runtime(backend)
    try:
        with runtime.reading() as session:
            region = _organisations(session)["regio-wbw"]
        if elsewhere:
            with runtime.transaction() as session:
                other = _other_region(session)
                session.commit()
            _add_cases(runtime, elsewhere, other, f"{elsewhere:,} cases in another region", seed=2)
        _add_cases(runtime, region_cases, region, f"{region_cases:,} cases in the region", seed=1)
        _analyze(runtime)
        return {"region_cases": region_cases, "elsewhere": elsewhere, "ms": _measure(runtime)}
    finally:
        cleanup()


def main(quick: bool = False) -> dict:
    small, large, total = (500, 5_000, 20_000) if quick else (1_000, 10_000, 100_000)
    print(f"Monitoring benchmark — stuck list, KPIs and heatmap for one region (median of {REPEAT})")
    backends = ["sqlite"] + (["postgresql"] if pg_url() else [])
    results = {}
    for backend in backends:
        url = "sqlite" if backend == "sqlite" else pg_url()
        results[backend] = {
            "alone": run(url, small, 0),
            "crowded": run(url, small, total - small),
            "large": run(url, large, 0),
        }
    print()
    for backend, r in results.items():
        alone, crowded, large_region = r["alone"]["ms"], r["crowded"]["ms"], r["large"]["ms"]
        print(f"  {backend}")
        print(f"    {'':10} {'region ' + format(small, ','):>14} {'same, db ' + format(total, ','):>18} "
              f"{'ratio':>6}   {'region ' + format(large, ','):>14} {'ratio':>6}")
        for what in ("stuck", "kpi", "heatmap"):
            print(f"    {what:10} {alone[what]:11.1f} ms {crowded[what]:15.1f} ms {crowded[what] / alone[what]:6.2f}"
                  f"   {large_region[what]:11.1f} ms {large_region[what] / alone[what]:6.2f}")
    print("  (targets: another region's rows cost nothing, ratio near 1; a region 10× larger costs at most 10×)")
    print()
    print(json.dumps(results, default=str))
    return results

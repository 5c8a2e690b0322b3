"""Timer benchmark: the cost of firing one timer with 1,000 vs 100,000 timers waiting.

    python -m bench --only timers           # SQLite, and PostgreSQL when a URL is set
    python -m bench --only timers --quick   # 1,000 vs 20,000, fewer fired

The timers that fire belong to real GI cases (their doorbraak timer: 3 months after the
ingangsdatum maatregel), started through the engine; the clock is then set past their due
moment and every one of them is fired by TimerService.fire_due, as the scheduler does. The
other waiting timers are rows of the timers table with later due moments, each on a case
row of its own: for the firing path a waiting timer is exactly that, a row in the claim
index and a case row in the join. The workflow cache is emptied before timing, as in a
scheduler that did not start these cases itself. Both sizes are measured in one run.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from engine import clock
from engine.models import Bundle, Case, Timer
from engine.simulation import GEMEENTE_MANDAAT, START

from .common import Progress, actors, fresh_runtime, pg_url

WARM_UP = 20
BATCH = 5_000


def _start_cases(runtime, count: int) -> list[int]:
    people = actors(runtime)
    today = runtime.clock.now().date().isoformat()
    progress = Progress(f"{count} cases with a due timer", count)
    ids = []
    for i in range(count):
        view = runtime.cases.start(people["jeugdbeschermer"], "gi_verwijsproces",
                                   {**START, "gemeente": GEMEENTE_MANDAAT, "ingangsdatum_maatregel": today,
                                    "casusreferentie": f"TIMER-{i}"})
        ids.append(view["id"])
        progress(i + 1)
    return ids


def _add_waiting(runtime, count: int, after: datetime) -> None:
    """`count` waiting timers due after `after`, each on a case row of its own."""
    progress = Progress(f"{count:,} waiting timers", count)
    with runtime.transaction() as session:
        bundle_id = session.scalar(select(Bundle.id).limit(1))
        next_id = (session.scalar(select(func.max(Case.id))) or 0) + 1
        now = runtime.clock.now()
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            case_ids = list(range(next_id + start, next_id + start + size))
            session.execute(insert(Case.__table__), [
                {"id": cid, "reference": f"WACHT-{cid}", "process_key": "gi_verwijsproces", "bundle_id": bundle_id,
                 "status": "running", "version": 1, "created_at": now, "data": {}, "engine_state": {}}
                for cid in case_ids])
            session.execute(insert(Timer.__table__), [
                {"case_id": cid, "task_id": f"wacht-{cid}", "process_key": "gi_verwijsproces",
                 "element_id": "doorbraak_termijn_verstreken", "status": "waiting",
                 "due_at": after + timedelta(minutes=cid % 500_000), "run_at": after + timedelta(minutes=cid % 500_000),
                 "created_at": now, "attempts": 0}
                for cid in case_ids])
            progress(start + size)
        session.commit()


def run(backend: str, waiting: int, fired: int) -> dict:
    runtime, cleanup = fresh_runtime(backend)
    try:
        case_ids = _start_cases(runtime, fired + WARM_UP)
        with runtime.reading() as session:
            due = session.scalar(select(func.max(Timer.due_at)).where(Timer.case_id.in_(case_ids)))
        _add_waiting(runtime, waiting - fired - WARM_UP, due + timedelta(days=30))
        with runtime.transaction() as session:
            clock.store_offset(session, due + timedelta(hours=1) - datetime.now(UTC))
            session.commit()
        runtime.clock.invalidate()
        with runtime.reading() as session:
            total_waiting = session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "waiting"))
        runtime.cache.clear()
        assert len(runtime.timers.fire_due(limit=WARM_UP)) == WARM_UP  # parsing, connections, statement caches
        times = []
        while True:
            started = time.perf_counter()
            claim = runtime.timers.fire_next()
            if claim is None:
                break
            times.append(time.perf_counter() - started)
            assert claim.fired
        assert len(times) == fired, (len(times), fired)
        return {"waiting": total_waiting, "fired": len(times), "ms_per_timer": statistics.median(times) * 1000,
                "mean_ms": statistics.fmean(times) * 1000}
    finally:
        cleanup()


def main(quick: bool = False) -> dict:
    small, large, fired = (1_000, 20_000, 60) if quick else (1_000, 100_000, 200)
    print(f"Timer benchmark — cost of firing one timer with {small:,} vs {large:,} timers waiting")
    results = {}
    backends = [("sqlite", "sqlite")] + ([("postgresql", pg_url())] if pg_url() else [])
    for name, backend in backends:
        results[name] = {"small": run(backend, small, fired), "large": run(backend, large, fired)}
    report(results)
    return results


def report(results: dict) -> None:
    print("\nCost per fired timer, median (claim with SKIP LOCKED, load the case, run its step, persist, commit)")
    for name, r in results.items():
        s, big = r["small"], r["large"]
        print(f"  {name:<11} {s['waiting']:>8,} waiting: {s['ms_per_timer']:6.2f} ms   "
              f"{big['waiting']:>8,} waiting: {big['ms_per_timer']:6.2f} ms   "
              f"ratio {big['ms_per_timer'] / s['ms_per_timer']:.2f}   ({s['fired']} fired each)")
    print("  (target: the ratio stays near 1: the cost does not grow with the number of waiting timers)")
    print("\n" + json.dumps(results))

"""The background job that fires due timers in each server process (APScheduler).

Every process runs one; they share the work through the timers table (engine/timers.py),
where row locks make each timer fire exactly once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger(__name__)

# Timers fired per run; the rest follow in the next run, so one run never holds on for long.
BATCH = 200


class TimerScheduler:
    def __init__(self, runtime: Runtime, interval: float):
        self.runtime = runtime
        self.scheduler = BackgroundScheduler(daemon=True)
        self.scheduler.add_job(self.tick, "interval", seconds=interval, id="verwijsflow-timers",
                               max_instances=1, coalesce=True)

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)

    def tick(self) -> int:
        try:
            return len(self.runtime.timers.fire_due(limit=BATCH))
        except Exception:  # a database hiccup must not stop the job; the next run tries again
            log.exception("firing due timers failed")
            return 0

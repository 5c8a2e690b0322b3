"""The time the engine believes it is. Everything the engine stamps uses this clock.

`Clock` is the real time. `DatabaseClock` adds an offset kept in the database (system
setting `virtual_clock`), so every worker of an installation agrees on the time; in demo
mode `verwijsflow clock set|advance` moves it for demos, training and tests. The offset is
read at most once per `ttl` seconds per process: now() is called on every step.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .errors import Forbidden, InvalidData

SETTING = "virtual_clock"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def invalidate(self) -> None:
        """Forget a cached offset (a real clock has none)."""


class DatabaseClock(Clock):
    def __init__(self, engine: Engine, ttl: float = 1.0):
        self.engine = engine
        self.ttl = ttl
        self._offset = timedelta(0)
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def offset(self) -> timedelta:
        if time.monotonic() - self._read_at > self.ttl:
            self._refresh()
        return self._offset

    def invalidate(self) -> None:
        self._read_at = float("-inf")

    def _refresh(self) -> None:
        from .models import SystemSetting

        with self._lock:
            try:
                # Its own short read: the caller's transaction may hold the SQLite write lock.
                with self.engine.connect() as connection:
                    connection.execution_options(sqlite_begin="DEFERRED")
                    value = connection.scalar(select(SystemSetting.value).where(SystemSetting.key == SETTING))
            except SQLAlchemyError:
                return  # not migrated yet, or the database is away: keep the last known offset
            self._offset = timedelta(seconds=float((value or {}).get("offset_seconds", 0)))
            self._read_at = time.monotonic()


def store_offset(session: Session, offset: timedelta) -> None:
    from .models import SystemSetting

    session.merge(SystemSetting(key=SETTING, value={"offset_seconds": offset.total_seconds()}))


def require_demo(session: Session) -> None:
    from .demo import is_demo

    if not is_demo(session):
        raise Forbidden("De klok kan alleen worden verzet in een demo-omgeving (database ingericht met "
                        "'verwijsflow demo').")


_DURATION = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")
_UNITS = {
    "m": "minutes", "min": "minutes", "minuut": "minutes", "minuten": "minutes",
    "h": "hours", "u": "hours", "uur": "hours", "uren": "hours",
    "d": "days", "dag": "days", "dagen": "days",
    "w": "weeks", "week": "weeks", "weken": "weeks",
}


def parse_duration(text: str) -> timedelta:
    """'30d', '2w', '12h', '90m', '3 dagen', '2 weken' → a timedelta (forward only)."""
    match = _DURATION.match(str(text).lower())
    unit = _UNITS.get(match.group(2)) if match else None
    if unit is None:
        raise InvalidData({"duur": [f"Onbekende duur '{text}': gebruik bijvoorbeeld 30d, 2w, 12h of 90m."]})
    return timedelta(**{unit: int(match.group(1))})


def parse_moment(text: str) -> datetime:
    """An ISO date ('2027-01-15', midnight in Amsterdam) or date-time; naive means Amsterdam."""
    from .scripting import as_moment

    try:
        return as_moment(str(text).strip())
    except ValueError:
        raise InvalidData({"tijdstip": [f"Onbekend tijdstip '{text}': gebruik JJJJ-MM-DD of JJJJ-MM-DDTuu:mm."]}) \
            from None

"""The time the engine believes it is. Everything the engine stamps uses this clock."""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

"""The RET's meeting schedule: which meeting a case goes to.

The RET meets every `interval_dagen` days from `eerste_vergadering`; a case is discussed at
the first meeting whose Expertkaart deadline (`expertkaart_termijn` before the meeting,
engine/workdays.deadline_before) it met. The schedule is a setting of the region
organisation (keys `ret_eerste_vergadering`, `ret_interval_dagen`,
`ret_expertkaart_termijn`); the engine copies it into a case's data at start as
`ret_schema`, where the script helper `ret_vergadering(aangeleverd, ret_schema)` reads it.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import workdays

DEFAULT_INTERVAL_DAYS = 14  # seed 001 §10: the RET meets every 14 days
DEFAULT_NOTICE = "10 dagen"  # seed 001 §10: the Expertkaart is in 10 days before the meeting


def schema_of(region_settings: dict | None) -> dict | None:
    """The case-data form of a region's RET schedule; None when the region has none."""
    settings = region_settings or {}
    first = settings.get("ret_eerste_vergadering")
    if not first:
        return None
    return {
        "eerste_vergadering": str(first),
        "interval_dagen": int(settings.get("ret_interval_dagen") or DEFAULT_INTERVAL_DAYS),
        "expertkaart_termijn": str(settings.get("ret_expertkaart_termijn") or DEFAULT_NOTICE),
    }


def first_meeting(delivered: date, schema: dict, not_before: date) -> date:
    """The first meeting on or after `not_before` whose Expertkaart deadline is on or after
    the day the Expertkaart was delivered."""
    first = date.fromisoformat(schema["eerste_vergadering"])
    interval = int(schema.get("interval_dagen") or DEFAULT_INTERVAL_DAYS)
    if interval <= 0:
        raise ValueError(f"interval_dagen moet positief zijn ({interval})")
    notice = schema.get("expertkaart_termijn") or DEFAULT_NOTICE
    # Start a meeting or two before the earliest candidate instead of at the first meeting ever.
    k = max(0, (min(delivered, not_before) - first).days // interval - 1)
    while True:
        meeting = first + timedelta(days=k * interval)
        if meeting >= not_before and workdays.deadline_before(meeting, notice) >= delivered:
            return meeting
        k += 1

"""Template filters: dates, times, numbers and case facts the Dutch way, in Amsterdam time.

Dates and moments are read by the engine's own parsers (engine.scripting.as_date and
as_moment, the ones scripts and timers use); what they cannot read is shown as it is, never
an error page.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from engine.scripting import AMSTERDAM, as_date, as_moment

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december"]
SHORT_MONTHS = [m[:3] for m in MONTHS]


def _day(value) -> date | None:
    """The (Amsterdam) day of a date, a moment or an ISO string; None when it is none of these."""
    try:
        return as_date(value)
    except ValueError:
        return None


def date_nl(value) -> str:
    """1 oktober 2026"""
    if value in (None, ""):
        return ""
    day = _day(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else str(value)


def short_date(value) -> str:
    """1 okt 2026"""
    if value in (None, ""):
        return ""
    day = _day(value)
    return f"{day.day} {SHORT_MONTHS[day.month - 1]} {day.year}" if day else str(value)


def moment_nl(value) -> str:
    """1 okt 2026 14:05"""
    if value in (None, ""):
        return ""
    try:
        moment = as_moment(value).astimezone(AMSTERDAM)
    except ValueError:
        return str(value)
    return f"{short_date(moment.date())} {moment:%H:%M}"


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def number_nl(value, decimals: int = 0) -> str:
    """1.234,5"""
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def percent_nl(value) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def fact_text(value) -> str:
    """A case fact as engine/casefacts.py gives it (labels resolved, values typed) in words."""
    if isinstance(value, bool):
        return "Ja" if value else "Nee"
    if isinstance(value, datetime):
        return moment_nl(value)
    if isinstance(value, date):
        return date_nl(value)
    if isinstance(value, list):
        return ", ".join(fact_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{label}: {fact_text(v)}" for label, v in value.items())
    return str(value)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        date_nl=date_nl, short_date=short_date, moment_nl=moment_nl, iso=iso, number_nl=number_nl,
        percent_nl=percent_nl, fact_text=fact_text,
    )

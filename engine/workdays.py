"""Dutch working-day calendar and deadline norms (Algemene termijnenwet).

A werkdag is a weekday that is not a public holiday under the Algemene termijnenwet (Atw)
and not a day the government declared equal to one by royal decree (bridge days). Deadline
norms are written as in the domain deadlines table ("10 werkdagen", "6 weken", "3 maanden")
or as ISO 8601 durations ("P3M").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays
from holidays.constants import OPTIONAL, PUBLIC

# Days declared equal to a public holiday by royal decree (Atw art. 3, "gelijkgestelde dagen").
# The government announces these a few years ahead; an operator extends this list when a new
# decree is published. Only these dates are added on top of the `holidays` package.
BRIDGE_DAYS: frozenset[date] = frozenset(
    {
        date(2026, 1, 2),
        date(2026, 5, 15),
        date(2027, 5, 7),
        date(2028, 4, 28),
        date(2028, 5, 26),
    }
)

# The package's PUBLIC category has every Atw holiday except Bevrijdingsdag in non-lustrum
# years: it follows the collective labour agreements there. The Atw names 5 May every year,
# which the package puts in its OPTIONAL category (the only day in that category for NL).
_CATEGORIES = (PUBLIC, OPTIONAL)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> MappingProxyType[date, str]:
    """Atw holidays and bridge days of `year` with their Dutch names, in date order.

    Read-only because it is cached: is_working_day looks it up for every day it counts.
    """
    per_day = dict(holidays.country_holidays("NL", years=year, categories=_CATEGORIES, language="nl"))
    for day in BRIDGE_DAYS:
        if day.year == year:
            per_day[day] = "Brugdag (koninklijk besluit)"
    return MappingProxyType(dict(sorted(per_day.items())))


def is_working_day(d: date) -> bool:
    """False on Saturdays, Sundays, Atw holidays and bridge days."""
    return d.weekday() < 5 and d not in public_holidays(d.year)


def next_working_day(d: date) -> date:
    """`d` itself when it is a werkdag, else the first werkdag after it."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def previous_working_day(d: date) -> date:
    """`d` itself when it is a werkdag, else the last werkdag before it."""
    while not is_working_day(d):
        d -= timedelta(days=1)
    return d


def add_working_days(d: date, n: int) -> date:
    """The n-th werkdag after `d` (d itself is not counted); n = 0 gives d."""
    if n < 0:
        raise ValueError(f"aantal werkdagen mag niet negatief zijn ({n})")
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def minus_working_days(d: date, n: int) -> date:
    """The n-th werkdag before `d` (d itself is not counted); n = 0 gives d."""
    if n < 0:
        raise ValueError(f"aantal werkdagen mag niet negatief zijn ({n})")
    while n > 0:
        d -= timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def add_months(d: date, n: int) -> date:
    """`d` plus n calendar months (n may be negative); clamps to the month's last day."""
    month_index = d.year * 12 + d.month - 1 + n
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Norm:
    """A deadline norm: a count of one unit."""

    count: int
    unit: str  # werkdagen, dagen, weken, maanden or jaren (the Dutch words of the norms)

    def __str__(self) -> str:
        return f"{self.count} {self.unit}"


# Dutch spellings (singular and plural) → unit.
_WORDS = {
    "werkdag": "werkdagen", "werkdagen": "werkdagen",
    "dag": "dagen", "dagen": "dagen",
    "week": "weken", "weken": "weken",
    "maand": "maanden", "maanden": "maanden",
    "jaar": "jaren", "jaren": "jaren",
}
_ISO_UNITS = {"D": "dagen", "W": "weken", "M": "maanden", "Y": "jaren"}
_DUTCH = re.compile(r"^(\d+)\s+([a-z]+)$")
# Only one date component: a norm is "n of one unit"; times of day make no sense for deadlines.
_ISO = re.compile(r"^P(\d+)([DWMY])$")


def parse_norm(text: str) -> Norm:
    """Parse "10 werkdagen", "8 weken", "3 maanden", "1 jaar", "P3M", "P8W", ... into a Norm."""
    cleaned = " ".join(str(text).split()).lower()
    if m := _DUTCH.match(cleaned):
        unit = _WORDS.get(m.group(2))
        if unit is not None:
            return Norm(int(m.group(1)), unit)
    if m := _ISO.match(cleaned.upper()):
        return Norm(int(m.group(1)), _ISO_UNITS[m.group(2)])
    raise ValueError(
        f"Onbekende termijn '{text}': gebruik bijvoorbeeld '10 werkdagen', '6 weken', "
        "'3 maanden', '1 jaar' of een ISO 8601-duur als 'P3M'"
    )


def _as_norm(norm: str | Norm) -> Norm:
    return norm if isinstance(norm, Norm) else parse_norm(norm)


def _calendar_plus(d: date, norm: Norm, direction: int) -> date:
    """Calendar arithmetic for dagen/weken/maanden/jaren; direction is +1 or -1."""
    n = norm.count * direction
    if norm.unit == "dagen":
        return d + timedelta(days=n)
    if norm.unit == "weken":
        return d + timedelta(weeks=n)
    if norm.unit == "maanden":
        return add_months(d, n)
    return add_months(d, 12 * n)  # jaren: 29 Feb + 1 jaar = 28 Feb


def deadline(start: date, norm: str | Norm) -> date:
    """Last day of a term of `norm` starting at `start`.

    A term ending on a non-working day moves to the next working day (Atw art. 1).
    """
    norm = _as_norm(norm)
    if norm.unit == "werkdagen":
        end = add_working_days(start, norm.count)
    else:
        end = _calendar_plus(start, norm, +1)
    return next_working_day(end)


def deadline_before(event: date, norm: str | Norm) -> date:
    """Latest day to act when something is due `norm` before `event` (e.g. Expertkaart
    10 dagen before the RET meeting).

    A day that falls on a non-working day moves to the PREVIOUS working day, not the next as in
    deadline(): the submitter must be early, and moving later would shorten the time the
    receiver was promised.
    """
    norm = _as_norm(norm)
    if norm.unit == "werkdagen":
        return previous_working_day(minus_working_days(event, norm.count))
    return previous_working_day(_calendar_plus(event, norm, -1))

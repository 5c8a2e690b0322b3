"""Template filters: dates, times and numbers the Dutch way, in the Europe/Amsterdam zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from engine.casefacts import MONTHS, format_date

ZONE = ZoneInfo("Europe/Amsterdam")
SHORT_MONTHS = [m[:3] for m in MONTHS]


def local(value: datetime) -> datetime:
    return value.astimezone(ZONE) if value.tzinfo else value


def datum(value) -> str:
    """1 oktober 2026"""
    if isinstance(value, datetime):
        value = local(value).date()
    return format_date(value)


def kort(value) -> str:
    """1 okt 2026"""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {SHORT_MONTHS[value.month - 1]} {value.year}"


def tijdstip(value: datetime | None) -> str:
    """1 okt 2026 14:05"""
    if value is None:
        return ""
    moment = local(value)
    return f"{kort(moment.date())} {moment:%H:%M}"


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def getal(value, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def procent(value) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def dagen_geleden(value: datetime | None, now: datetime) -> str:
    if value is None:
        return ""
    days = (local(now).date() - local(value).date()).days
    if days == 0:
        return "vandaag"
    if days == 1:
        return "gisteren"
    if days > 1:
        return f"{days} dagen geleden"
    return "morgen" if days == -1 else f"over {-days} dagen"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        datum=datum, kort=kort, tijdstip=tijdstip, iso=iso, getal=getal, procent=procent,
    )
    app.jinja_env.globals["dagen_geleden"] = dagen_geleden

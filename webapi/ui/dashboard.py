"""The regiocoördinator's dashboard: stuck cases, KPIs, waiting times, the heatmap."""

from __future__ import annotations

from flask import render_template, request

from engine.errors import NotFound

from . import dashboard_data
from .blueprint import blp, processes, runtime
from .charts import bar_chart
from .session import current_user, role_required

STUCK_COLUMNS = {
    "casus": ("Casus", lambda r: r.case_reference),
    "proces": ("Proces", lambda r: r.process_name),
    "stap": ("Stap", lambda r: r.step_title),
    "bij": ("Ligt bij", lambda r: (r.organisation or "", r.lane_label or "")),
    "wacht": ("Wacht sinds", lambda r: r.waiting_since),
    "termijn": ("Termijn", lambda r: r.due),
    "te_laat": ("Dagen te laat", lambda r: r.days_overdue),
}
# Heatmap colours by median wait in days: up to LOW calm, up to HIGH amber, above red.
HEAT_LOW, HEAT_HIGH = 5, 20
STEP_CHART_ROWS = 12


@blp.route("/dashboard")
@role_required("regiocoordinator")
def dashboard():
    data = dashboard_data.load(runtime(), current_user())
    sort = request.args.get("sorteer") if request.args.get("sorteer") in STUCK_COLUMNS else "te_laat"
    descending = request.args.get("richting", "af" if sort == "te_laat" else "op") == "af"
    stuck = sorted(data.stuck, key=STUCK_COLUMNS[sort][1], reverse=descending)
    return render_template(
        "ui/dashboard.html", data=data, stuck=stuck, columns=STUCK_COLUMNS, sort=sort, descending=descending,
        charts=_charts(data), heatmaps=_heatmaps(data), heat_low=HEAT_LOW, heat_high=HEAT_HIGH,
    )


def _charts(data: dashboard_data.Dashboard) -> dict:
    steps = sorted(
        ((cell.title or element, cell.median_wait, cell.p90_wait)
         for cells in data.heatmap.values() for element, cell in cells.items()),
        key=lambda row: -(row[1] or 0),
    )[:STEP_CHART_ROWS]
    kpi = data.kpi
    return {
        "steps": bar_chart("Wachttijd per stap (mediaan, streep = p90)", steps, "dagen", marker_label="p90",
                           warn=HEAT_LOW, bad=HEAT_HIGH, fmt=lambda v: f"{v:.1f}".replace(".", ","), size="wide"),
        "routes": bar_chart("Route naar passende zorg", [
            ("Gecontracteerd", kpi.routes["gecontracteerd"], None),
            ("Niet-gecontracteerd (A1/A2)", kpi.routes["niet_gecontracteerd"], None),
            ("Via RET", kpi.routes["ret"], None),
            ("Via BEN", kpi.routes["ben"], None),
        ], "verwijzingen"),
        "gemeente": bar_chart("Dagen tot start passende zorg per gemeente (mediaan, streep = p90)",
                              [(g.name, g.median_days, g.p90_days) for g in kpi.per_gemeente], "dagen",
                              marker_label="p90", warn=60, bad=92),
        "gi": bar_chart("Dagen tot start passende zorg per GI (mediaan, streep = p90)",
                        [(g.name, g.median_days, g.p90_days) for g in kpi.per_gi], "dagen",
                        marker_label="p90", warn=60, bad=92),
        "outcomes": bar_chart("Uitkomst bij einde hulp", [
            ("Doelen behaald", kpi.outcomes["doelen_behaald"], None),
            ("Doelen niet haalbaar", kpi.outcomes["niet_haalbaar"], None),
            ("Uitval", kpi.outcomes["uitval"], None),
        ], "casussen"),
    }


def _heatmaps(data: dashboard_data.Dashboard) -> list[dict]:
    """One diagram per process that has waiting data, the main GI process first."""
    keys = sorted(data.heatmap, key=lambda k: (k != "gi_verwijsproces", k))
    result = []
    for key in keys:
        try:
            definition = processes().get(current_user(), key)
        except NotFound:  # a process no longer deployed
            continue
        cells = {
            element: {
                "title": cell.title, "waiting_now": cell.waiting_now,
                "median": round(cell.median_wait, 1) if cell.median_wait is not None else None,
                "p90": round(cell.p90_wait, 1) if cell.p90_wait is not None else None,
                "level": _level(cell.median_wait),
            }
            for element, cell in data.heatmap[key].items()
        }
        result.append({"process": key, "name": definition["name"], "xml": definition["bpmn"], "cells": cells})
    return result


def _level(median: float | None) -> str:
    if median is None or median <= HEAT_LOW:
        return "laag"
    return "midden" if median <= HEAT_HIGH else "hoog"

"""The regiocoördinator's dashboard: stuck cases, KPIs, waiting times, the heatmap.

Every figure is the engine's (engine/monitoring.py, the same as /api/monitor/stuck, /kpi
and /heatmap); this module only sorts, labels and lays them out.
"""

from __future__ import annotations

from flask import render_template, request

from engine.access import Actor

from .blueprint import blp, processes, runtime
from .charts import CASES, DAYS, bar_chart
from .session import current_user, role_required

STUCK_COLUMNS = {
    "casus": ("Casus", lambda r: r["case_reference"]),
    "proces": ("Proces", lambda r: r["process_name"]),
    "stap": ("Stap", lambda r: r["step"] or ""),
    "bij": ("Ligt bij", lambda r: (r["organisation"] or "", r["lane_label"] or "")),
    "wacht": ("Wacht sinds", lambda r: r["waiting_since"]),
    "termijn": ("Termijn", lambda r: r["due_at"]),
    "te_laat": ("Dagen te laat", lambda r: r["days_overdue"]),
}
# Heatmap colours by median wait in days: up to LOW calm, up to HIGH amber, above red.
HEAT_LOW, HEAT_HIGH = 5, 20
# Waits for care turn amber from this share of the norm, red past the norm.
NORM_WARN_SHARE = 2 / 3
STEP_CHART_ROWS = 12


@blp.route("/dashboard")
@role_required("regiocoordinator")
def dashboard():
    actor, monitoring = current_user(), runtime().monitoring
    kpi = monitoring.kpi(actor)
    sort = request.args.get("sorteer") if request.args.get("sorteer") in STUCK_COLUMNS else "te_laat"
    descending = request.args.get("richting", "af" if sort == "te_laat" else "op") == "af"
    stuck = sorted(monitoring.stuck(actor), key=STUCK_COLUMNS[sort][1], reverse=descending)
    heatmaps = _heatmaps(actor)
    return render_template(
        "ui/dashboard.html", kpi=kpi, stuck=stuck, columns=STUCK_COLUMNS, sort=sort, descending=descending,
        charts=_charts(kpi, heatmaps), heatmaps=heatmaps, heat_low=HEAT_LOW, heat_high=HEAT_HIGH,
    )


def _heatmaps(actor: Actor) -> list[dict]:
    """The engine's heatmap of every deployed process whose elements the region's cases
    visited, the most visited first; per element only where cases were."""
    result = []
    for process in processes().list(actor):
        visited = [e for e in runtime().monitoring.heatmap(actor, process["key"])["elements"] if e["count"]]
        if not visited:
            continue
        cells = {
            e["element_id"]: {"title": e["title"], "waiting_now": e["waiting_now"], "median": e["median_wait_days"],
                              "p90": e["p90_wait_days"], "level": _level(e["median_wait_days"])}
            for e in visited
        }
        xml = processes().get(actor, process["key"])["bpmn"]
        result.append({"process": process["key"], "name": process["name"], "xml": xml, "cells": cells,
                       "visits": sum(e["count"] for e in visited)})
    return sorted(result, key=lambda h: -h["visits"])


def _charts(kpi: dict, heatmaps: list[dict]) -> dict:
    steps = sorted(
        ((cell["title"], cell["median"], cell["p90"]) for h in heatmaps for cell in h["cells"].values()),
        key=lambda row: -(row[1] or 0),
    )[:STEP_CHART_ROWS]
    routes, start_zorg = kpi["routes"]["counts"], kpi["start_zorg"]
    labels = kpi["outcome_labels"]
    return {
        "steps": bar_chart("Wachttijd per stap (mediaan, streep = p90)", steps, DAYS, marker_label="p90",
                           warn=HEAT_LOW, bad=HEAT_HIGH, fmt=lambda v: f"{v:.1f}".replace(".", ","), size="wide"),
        "routes": bar_chart("Route naar passende zorg (casussen met start zorg)", [
            ("Gecontracteerd", routes["gecontracteerd"], None),
            ("Niet-gecontracteerd", routes["niet_gecontracteerd"], None),
            ("Via RET", routes["via_ret"], None),
            ("Via BEN", routes["via_ben"], None),
        ], CASES),
        "gemeente": _wait_chart("Dagen tot start passende zorg per gemeente (mediaan, streep = p90)",
                                start_zorg["per_gemeente"], start_zorg["norm_days"]),
        "gi": _wait_chart("Dagen tot start passende zorg per GI (mediaan, streep = p90)", start_zorg["per_gi"],
                          start_zorg["norm_days"]),
        "outcomes": bar_chart("Uitkomst bij einde hulp", [
            (labels.get(outcome, outcome), count, None) for outcome, count in kpi["outcomes"].items()
        ], CASES),
    }


def _wait_chart(title: str, groups: list[dict], norm_days: int):
    return bar_chart(title, [(g["organisation"] or "Onbekend", g["median_days"], g["p90_days"]) for g in groups],
                     DAYS, marker_label="p90", warn=round(norm_days * NORM_WARN_SHARE), bad=norm_days)


def _level(median: float | None) -> str:
    if median is None or median <= HEAT_LOW:
        return "laag"
    return "midden" if median <= HEAT_HIGH else "hoog"

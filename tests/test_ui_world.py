"""The inbox and the dashboard on a region with history (tests/ui_world.py): overdue tasks,
finished cases, escalations."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from webapi.ui.filters import number_nl, percent_nl

from .conftest import BACKENDS
from .test_ui_pages import Session
from .ui_world import build_world


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    world, database = build_world(tmp_path_factory.mktemp("world"), request.param)
    yield world
    world.runtime.dispose()
    database.drop()


def _login(world, username):
    session = Session(world.app)
    session.login(username)
    return session


def _rows(html: str) -> list[str]:
    return re.findall(r'<a class="rowlink" href="[^"]+">([^<]+)</a>', html)


def _references(html: str) -> list[str]:
    return re.findall(r'<td data-label="Casus"><a href="/casussen/\d+">([^<]+)</a>', html)


def test_the_inbox_puts_overdue_tasks_first_and_filters(world):
    session = _login(world, "jeugdbeschermer")
    html = session.get("/inbox").get_data(as_text=True)
    assert _references(html) == ["GI-2026-0105", "GI-2026-0109", "GI-2026-0108", "GI-2026-0107"]
    assert html.count('class="is-overdue"') == 2
    assert _references(session.get("/inbox?te_laat=1").get_data(as_text=True)) == ["GI-2026-0105", "GI-2026-0109"]
    assert _references(session.get("/inbox?sorteer=nieuw").get_data(as_text=True))[0] == "GI-2026-0107"
    assert _references(session.get("/inbox?mijn=1").get_data(as_text=True)) == []
    # Tasks of the gemeente are the gemeente's.
    gemeente = _login(world, "gemeente").get("/inbox").get_data(as_text=True)
    assert _references(gemeente) == ["GI-2026-0106"]
    assert "Te laat" in gemeente


def test_the_inbox_lists_what_the_api_lists(world):
    """One query (engine/worklist.py) behind both: same tasks, same order, same filters."""
    session = _login(world, "jeugdbeschermer")
    for inbox, api in (("", ""), ("?te_laat=1", "?overdue=true"), ("?vrij=1", "?unassigned=true"),
                       ("?rol=jeugdbeschermer", "?lane=jeugdbeschermer")):
        listed = session.get(f"/api/tasks{api}").json
        assert _references(session.get(f"/inbox{inbox}").get_data(as_text=True)) == \
            [t["case_reference"] for t in listed], inbox
    assert all(t["form"] for t in session.get("/api/tasks").json)


def test_the_dashboard_shows_the_engines_figures(world):
    """Stuck list, tiles, doorbraak table, charts and heatmap are /api/monitor's figures."""
    session = _login(world, "regiocoordinator")
    with world.clock.stopped():
        page = session.get("/dashboard").get_data(as_text=True)
        stuck = session.get("/api/monitor/stuck").json
        kpi = session.get("/api/monitor/kpi").json
        heatmaps = {p: session.get(f"/api/monitor/heatmap?process={p}").json for p in ("gi_verwijsproces", "opschaalroute")}

    # The engine's stuck rows, most overdue first; the overdue tasks of this world among them.
    assert _rows(page) == [row["case_reference"] for row in stuck]
    tasks = [(r["case_reference"], r["element_id"], r["days_overdue"], r["organisation"]) for r in stuck
             if r["kind"] == "taak"]
    assert tasks == [
        ("GI-2026-0105", "stap5_afstemmen_aanbieder", 12.0, "Jeugdbescherming Brabant"),
        ("GI-2026-0106", "stap8b_reactie_gemeente", 4.0, "Gemeente Roosendaal"),
        ("GI-2026-0109", "stap5_afstemmen_aanbieder", 2.0, "Jeugdbescherming Brabant"),
    ]
    assert _days_late(page) == [_days(round(row["days_overdue"])) for row in stuck]

    total, routes, escalations = kpi["start_zorg"]["total"], kpi["routes"], kpi["escalations"]
    assert (total["started"], routes["counts"], kpi["outcomes"]) == (
        4, {"gecontracteerd": 3, "niet_gecontracteerd": 1, "via_ret": 1, "via_ben": 0},
        {"doelen_behaald": 2, "niet_haalbaar": 1, "uitval": 1})
    assert (escalations["to_ret"], escalations["to_ben"]) == (2, 0)  # GI-2026-0103 (done) and 0104 (at the RET)
    tiles = _tiles(page)
    care = tiles["Passende zorg binnen 3 maanden"]
    assert care[0] == percent_nl(total["share_within_norm"])
    assert f"van {total['started']} casussen met start zorg" in care[1]
    assert f"{total['waiting_without_start']} wachten nog" in care[1]
    assert tiles["Gecontracteerde zorg"][0] == percent_nl(routes["shares"]["gecontracteerd"])
    assert tiles["Niet-gecontracteerd"][0] == percent_nl(routes["shares"]["niet_gecontracteerd"])
    assert tiles["Via RET / BEN"] == (f"{percent_nl(routes['shares']['via_ret'])}/{percent_nl(routes['shares']['via_ben'])}",
                                      "1 RET · 0 BEN")
    assert tiles["Escalaties"] == (str(escalations["count"]), (
        f"{escalations['open']} open · {total['waiting_past_norm']} over de termijn van 3 maanden zonder start zorg · "
        "2 naar RET · 0 naar BEN"))
    assert tiles["Vastgelopen"][0] == str(len(stuck))
    start, stop = kpi["messages"]["JW305"], kpi["messages"]["JW307"]
    # Which JW305s are late depends on the day the tests run (the world's care starts on a fixed date).
    assert start["count"] == total["started"] and stop["count"] == 4
    assert tiles["Start/stop op tijd gemeld"] == (
        f"{percent_nl(start['share_on_time'])}/{percent_nl(stop['share_on_time'])}",
        f"JW305 en JW307 binnen 5 werkdagen: {start['late']} van 4 starts en {stop['late']} van 4 stops te laat")

    # The doorbraak table and the charts per GI and per gemeente.
    wsg = next(g for g in kpi["start_zorg"]["per_gi"] if g["organisation"] == "William Schrikker Jeugdbescherming")
    assert (wsg["started"], wsg["median_days"], wsg["share_within_norm"]) == (1, 40.0, 1.0)
    table = _doorbraak_table(page)
    for party, chart, groups in (("GI", "grafiek-gi", kpi["start_zorg"]["per_gi"]),
                                 ("Gemeente", "grafiek-gemeente", kpi["start_zorg"]["per_gemeente"])):
        for g in groups:
            assert table[(g["organisation"], party)] == [
                str(g["started"]), number_nl(g["median_days"]), number_nl(g["p90_days"]), percent_nl(g["share_within_norm"]),
                str(g["waiting_without_start"]), str(g["waiting_past_norm"])]
            assert _chart_rows(page, chart)[g["organisation"]] == \
                f"{g['median_days']:.0f} dagen (p90 {g['p90_days']:.0f})"

    # Outcomes under the titles the forms give them, one casus or more casussen.
    assert _chart_rows(page, "grafiek-uitkomst") == {
        kpi["outcome_labels"][outcome]: f"{count} {'casus' if count == 1 else 'casussen'}"
        for outcome, count in kpi["outcomes"].items()}
    assert _chart_rows(page, "grafiek-uitkomst")["Uitval (jeugdige of gezin gestopt)"] == "1 casus"
    assert _chart_rows(page, "grafiek-route")["Via BEN"] == "0 casussen"

    # The heatmap on each diagram: the engine's elements where cases were.
    for process, heatmap in heatmaps.items():
        visited = {e["element_id"]: e for e in heatmap["elements"] if e["count"]}
        assert {k: (c["title"], c["waiting_now"], c["median"], c["p90"]) for k, c in _heat(page, process).items()} == {
            k: (e["title"], e["waiting_now"], e["median_wait_days"], e["p90_wait_days"]) for k, e in visited.items()}
    assert _heat(page, "gi_verwijsproces")["stap5_afstemmen_aanbieder"]["waiting_now"] == 2
    assert _heat(page, "opschaalroute")["ret_bespreking"]["waiting_now"] == 1
    slowest = max(e["median_wait_days"] for h in heatmaps.values() for e in h["elements"] if e["count"])
    assert next(iter(_chart_rows(page, "grafiek-stappen").values())).startswith(number_nl(slowest, 1) + " dagen")


def test_the_dashboard_page_is_for_the_coordinator(world):
    session = _login(world, "regiocoordinator")
    with world.clock.stopped():
        page = session.get("/dashboard?sorteer=casus&richting=af").get_data(as_text=True)
        references = [row["case_reference"] for row in session.get("/api/monitor/stuck").json]
    assert _rows(page) == sorted(references, reverse=True)
    assert 'aria-sort="descending"' in page
    assert "Wachttijd per stap" in page and "<svg" in page
    assert _login(world, "jeugdbeschermer").get("/dashboard").status_code == 403


def _days(days: int) -> str:
    return f"{days} {'dag' if days == 1 else 'dagen'}"


def _tiles(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r'<span class="tile__label">([^<]+)</span>\s*<span class="tile__value">(.*?)</span>\s*'
                       r'<span class="tile__note">([^<]*)</span>', html)
    return {label: (unescape(re.sub(r"<[^>]+>", "", value)).strip(), unescape(note).strip())
            for label, value, note in found}


def _days_late(html: str) -> list[str]:
    return re.findall(r'<td data-label="Dagen te laat"><span class="badge badge--bad">([^<]+)</span>', html)


def _doorbraak_table(html: str) -> dict[tuple[str, str], list[str]]:
    section = html[html.index('id="doorbraak-titel"'):]
    rows = re.findall(r'<tr><th scope="row">([^<]+) <span class="muted small">(GI|Gemeente)</span></th>(.*?)</tr>',
                      section, re.S)
    return {(unescape(name), party): re.findall(r"<td>([^<]*)</td>", cells) for name, party, cells in rows}


def _chart_rows(html: str, chart: str) -> dict[str, str]:
    """A chart's table: label → value as shown, in the chart's order."""
    figure = html[html.index(f'id="{chart}-titel"'):]
    figure = figure[:figure.index("</figure>")]
    return {unescape(label): unescape(value)
            for label, value in re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td>', figure)}


def _heat(html: str, process: str) -> dict[str, dict]:
    figure = html[html.index(f'id="heatmap-{process}"'):]
    return json.loads(re.search(r'<script type="application/json" data-bpmn-heat>(.*?)</script>', figure, re.S)[1])

"""The inbox and the dashboard on a region with history (tests/ui_world.py): overdue tasks,
finished cases, escalations."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine import directory
from engine.models import User
from webapi.ui import dashboard_data

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


def test_the_dashboard_data_adapter(world):
    data = dashboard_data.load(world.runtime, _actor(world, "regiocoordinator"))
    assert [(r.case_reference, r.element_id, r.days_overdue) for r in data.stuck] == [
        ("GI-2026-0105", "stap5_afstemmen_aanbieder", 12),
        ("GI-2026-0106", "stap8b_reactie_gemeente", 4),
        ("GI-2026-0109", "stap5_afstemmen_aanbieder", 2),
    ]
    assert data.stuck[1].organisation == "Gemeente Roosendaal"
    kpi = data.kpi
    assert kpi.routes == {"gecontracteerd": 3, "niet_gecontracteerd": 1, "ret": 1, "ben": 0}
    assert kpi.outcomes == {"doelen_behaald": 2, "niet_haalbaar": 1, "uitval": 1}
    assert kpi.escalations["ret"] == 2  # GI-2026-0103 (done) and GI-2026-0104 (at the RET now)
    wsg = next(g for g in kpi.per_gi if g.name == "William Schrikker Jeugdbescherming")
    assert (wsg.cases, wsg.started, wsg.median_days, wsg.share_within_3m) == (1, 1, 40, 1.0)
    assert kpi.overall.started == 4
    heat = data.heatmap["gi_verwijsproces"]
    assert heat["stap5_afstemmen_aanbieder"].waiting_now == 2
    assert heat["stap1_plan_van_aanpak"].waiting_now == 1
    assert data.heatmap["opschaalroute"]["ret_bespreking"].waiting_now == 1
    assert heat["stap3_aanbieder_zoeken"].median_wait > 0


def test_the_dashboard_page_is_for_the_coordinator(world):
    page = _login(world, "regiocoordinator").get("/dashboard?sorteer=casus&richting=af").get_data(as_text=True)
    assert _rows(page)[:3] == ["GI-2026-0109", "GI-2026-0106", "GI-2026-0105"]
    assert 'aria-sort="descending"' in page
    assert "Wachttijd per stap" in page and "<svg" in page
    assert _login(world, "jeugdbeschermer").get("/dashboard").status_code == 403


def _actor(world, username):
    with world.runtime.reading() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return directory.actor_for(session, user_id)

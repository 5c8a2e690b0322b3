"""Monitoring for the regiocoördinator on a small hand-made dataset whose figures are worked
out by hand below: stuck list order, KPIs per GI and gemeente, the heatmap; and who may ask."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from engine import directory
from engine.clock import Clock
from engine.models import AuditEvent, Case, IjwMessage, Organisation, Timer, User, WorkItem
from engine.runtime import Runtime
from engine.scripting import AMSTERDAM

from .conftest import BACKENDS, Client, build_app

NOW = datetime(2027, 6, 30, 12, 0, tzinfo=UTC)


class FixedClock(Clock):
    def now(self) -> datetime:
        return NOW


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _midnight_after(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), AMSTERDAM)


@pytest.fixture(scope="module", params=BACKENDS)
def dataset(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp("monitoring"))
    ids = _load(runtime)
    fixed = Runtime(runtime.settings, clock=FixedClock())
    with fixed.reading() as session:
        coordinator = directory.actor_for(session, session.scalar(select(User.id).where(User.username == "regiocoordinator")))
    yield Client(app), fixed, coordinator, ids
    fixed.dispose()
    runtime.dispose()
    database.drop()


def _load(runtime) -> dict:
    """Seven cases in the demo region (cases 1–4 started care, 5 and 6 wait, one elsewhere)."""
    with runtime.transaction() as session:
        org = {o.key: o.id for o in session.scalars(select(Organisation))}
        other_region = Organisation(key="regio-elders", name="Andere regio", kind="regio")
        session.add(other_region)
        session.flush()
        other_gemeente = Organisation(key="gemeente-elders", name="Gemeente Elders", kind="gemeente",
                                      region_id=other_region.id)
        session.add(other_gemeente)
        bundle = runtime.library.bundle_for_start(session, "gi_verwijsproces", NOW)
        session.flush()
        region, gi_a, gi_b = org["regio-wbw"], org["gi-jbb"], org["gi-wsg"]
        roos, boz = org["gemeente-roosendaal"], org["gemeente-bergen-op-zoom"]

        def case(n, gi, gemeente, status, data, region_id=region):
            row = Case(reference=f"KPI-{n}", process_key="gi_verwijsproces", bundle_id=bundle.id, status=status,
                       gi_id=gi, gemeente_id=gemeente, region_id=region_id, created_at=_at("2027-01-01"),
                       data=data, engine_state={})
            session.add(row)
            session.flush()
            return row.id

        c1 = case(1, gi_a, roos, "completed", {"ingangsdatum_maatregel": "2027-01-01", "niet_gecontracteerd": False,
                                                "resultaat": "doelen_behaald"})
        c2 = case(2, gi_a, roos, "completed", {"ingangsdatum_maatregel": "2027-01-10", "niet_gecontracteerd": True,
                                                "resultaat": "uitval"})
        c3 = case(3, gi_b, boz, "running", {"ingangsdatum_maatregel": "2027-02-01", "niet_gecontracteerd": True,
                                             "einde_reden": "doelen_behaald"})
        c4 = case(4, gi_a, boz, "running", {"ingangsdatum_maatregel": "2027-01-05", "niet_gecontracteerd": False})
        c5 = case(5, gi_b, roos, "running", {"ingangsdatum_maatregel": "2027-01-01"})
        c6 = case(6, gi_a, roos, "running", {"ingangsdatum_maatregel": "2027-06-01"})
        elsewhere = case(7, gi_a, other_gemeente.id, "running", {"ingangsdatum_maatregel": "2027-01-01"},
                         region_id=other_region.id)

        # Case 4's JW305 came on Monday 14 June, after Friday 11 June, the last of its 5 werkdagen.
        for case_id, begin, recorded in ((c1, "2027-02-15", "2027-02-15"), (c2, "2027-05-10", "2027-05-10"),
                                         (c3, "2027-03-03", "2027-03-03"), (c4, "2027-06-04", "2027-06-14"),
                                         (elsewhere, "2027-01-02", "2027-01-20")):
            session.add(IjwMessage(case_id=case_id, code="JW305", direction="aanbieder → gemeente",
                                   payload={"Begindatum": begin}, recorded_at=_at(recorded)))
        # JW307: case 2 ended Tuesday 1 June, recorded on its 5th werkdag (8 June): in time; case 3
        # ended Monday 7 June, recorded Tuesday 15 June, a day after its last werkdag.
        for case_id, begin, end, recorded in ((c2, "2027-05-10", "2027-06-01", "2027-06-08"),
                                              (c3, "2027-03-03", "2027-06-07", "2027-06-15")):
            session.add(IjwMessage(case_id=case_id, code="JW307", direction="aanbieder → gemeente",
                                   payload={"Begindatum": begin, "Einddatum": end}, recorded_at=_at(recorded)))

        def completed(case_id, element, passende_zorg):
            session.add(AuditEvent(case_id=case_id, at=NOW, actor="ret", kind="task_completed", element_id=element,
                                   details={"data": {"passende_zorg": passende_zorg}}))

        completed(c2, "ret_bespreking", True)
        completed(c3, "ret_bespreking", False)
        completed(c3, "ben_advies", True)
        completed(elsewhere, "ret_bespreking", True)

        def item(case_id, element, lane, organisation, created, due=None, completed_at=None, process="gi_verwijsproces"):
            row = WorkItem(id=str(uuid.uuid4()), case_id=case_id, process_key=process, element_id=element,
                           title=element.replace("_", " "), lane=lane, organisation_id=organisation,
                           status="completed" if completed_at else "open", created_at=_at(created),
                           due_at=_at(due) if due else None, completed_at=_at(completed_at) if completed_at else None)
            session.add(row)
            return row.id

        item(c1, "stap1_plan_van_aanpak", "jeugdbeschermer", gi_a, "2027-01-01", completed_at="2027-01-05")
        item(c2, "stap1_plan_van_aanpak", "jeugdbeschermer", gi_a, "2027-01-10", completed_at="2027-01-20")
        item(c4, "stap1_plan_van_aanpak", "jeugdbeschermer", gi_a, "2027-01-05", completed_at="2027-01-07")
        item(c4, "doorbraak_escaleren", "plaatsingscoordinator", gi_a, "2027-04-05", completed_at="2027-04-09")
        # Late but done: not stuck.
        item(c4, "stap8b_reactie_gemeente", "gemeente", boz, "2027-05-01", due="2027-05-08", completed_at="2027-05-20")
        stap3 = item(c5, "stap3_aanbieder_zoeken", "jeugdbeschermer", gi_b, "2027-05-20", due="2027-06-01")
        stap1 = item(c6, "stap1_plan_van_aanpak", "jeugdbeschermer", gi_a, "2027-06-10", due="2027-06-25")
        item(c6, "overbruggingszorg_inzetten", "jeugdbeschermer", gi_a, "2027-06-20", due="2027-07-05")
        item(elsewhere, "stap3_aanbieder_zoeken", "jeugdbeschermer", gi_a, "2027-01-02", due="2027-01-10")
        item(c5, "ret_bespreking", "ret", region, "2027-06-01", process="opschaalroute")
        item(c3, "ret_bespreking", "ret", region, "2027-02-10", completed_at="2027-02-17", process="opschaalroute")
        item(c3, "ben_advies", "ben", region, "2027-02-18", completed_at="2027-02-25", process="opschaalroute")

        def timer(case_id, status, created, last_day, fired=False, process="gi_verwijsproces",
                  element="doorbraak_termijn_verstreken", norm="Passende zorg binnen 3 maanden"):
            # As the BPMN times a norm: due at midnight (Amsterdam) after its last day.
            due = _midnight_after(last_day)
            session.add(Timer(case_id=case_id, task_id=str(uuid.uuid4()), process_key=process, element_id=element,
                              norm=norm, status=status, due_at=due, run_at=due, created_at=_at(created),
                              fired_at=due if fired else None, attempts=1 if fired else 0))

        timer(c5, "fired", "2027-01-01", "2027-04-01", fired=True)
        timer(c1, "closed", "2027-01-01", "2027-04-01")
        timer(c4, "fired", "2027-01-05", "2027-04-05", fired=True)  # care started since: not stuck
        timer(elsewhere, "fired", "2027-01-01", "2027-04-01", fired=True)
        timer(c6, "waiting", "2027-06-01", "2027-09-01")
        timer(c5, "waiting", "2027-06-01", "2027-06-30", process="opschaalroute", element="wachten_op_ret_vergadering",
              norm=None)
        session.commit()
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "elsewhere": elsewhere,
            "stap3": stap3, "stap1": stap1}


def test_stuck_list_most_overdue_first_with_who_holds_the_ball(dataset):
    _client, runtime, coordinator, ids = dataset
    rows = runtime.monitoring.stuck(coordinator)
    assert [(r["kind"], r["case_id"], r["element_id"]) for r in rows] == [
        ("norm", ids["c5"], "doorbraak_termijn_verstreken"),  # past 1 April, its last day: 89.6 days overdue
        ("taak", ids["c5"], "stap3_aanbieder_zoeken"),  # due 1 June: 29.5 days
        ("taak", ids["c6"], "stap1_plan_van_aanpak"),  # due 25 June: 5.5 days
    ]
    assert [r["days_overdue"] for r in rows] == [89.6, 29.5, 5.5]
    norm, task = rows[0], rows[1]
    assert norm["step"] == "Passende zorg binnen 3 maanden"
    assert (norm["lane"], norm["organisation"]) == ("jeugdbeschermer", "William Schrikker Jeugdbescherming")
    assert norm["current_step"] == "stap3 aanbieder zoeken"
    assert (task["lane_label"], task["organisation"], task["case_reference"], task["process_name"]) == \
        ("Jeugdbeschermer (GI)", "William Schrikker Jeugdbescherming", "KPI-5", "GI verwijsproces")
    assert task["waiting_since"] == _at("2027-05-20") and task["due_at"] == _at("2027-06-01")


def test_kpis_on_the_hand_computed_dataset(dataset):
    _client, runtime, coordinator, ids = dataset
    kpi = runtime.monitoring.kpi(coordinator)
    assert kpi["cases"] == 6 and kpi["region"] == "Regio West-Brabant West (RET en BEN)"
    # Waits from ingangsdatum to Begindatum: 45, 120, 30, 150 days; 1 and 3 within 3 months.
    assert kpi["start_zorg"]["total"] == {"started": 4, "median_days": 82.5, "p90_days": 150.0,
                                          "share_within_norm": 0.5, "waiting_without_start": 2,
                                          "waiting_past_norm": 1}
    per_gi = {g["organisation"]: g for g in kpi["start_zorg"]["per_gi"]}
    gi_a = per_gi["Jeugdbescherming Brabant"]  # cases 1, 2, 4 started (45, 120, 150); 6 waits within the norm
    assert (gi_a["started"], gi_a["median_days"], gi_a["p90_days"], gi_a["share_within_norm"],
            gi_a["waiting_without_start"], gi_a["waiting_past_norm"]) == (3, 120.0, 150.0, 0.333, 1, 0)
    gi_b = per_gi["William Schrikker Jeugdbescherming"]  # case 3 started after 30 days; 5 waits past the norm
    assert (gi_b["started"], gi_b["median_days"], gi_b["p90_days"], gi_b["share_within_norm"],
            gi_b["waiting_without_start"], gi_b["waiting_past_norm"]) == (1, 30.0, 30.0, 1.0, 1, 1)
    per_gemeente = {g["organisation"]: g for g in kpi["start_zorg"]["per_gemeente"]}
    roosendaal, boz = per_gemeente["Gemeente Roosendaal"], per_gemeente["Gemeente Bergen op Zoom"]
    assert (roosendaal["started"], roosendaal["median_days"], roosendaal["p90_days"], roosendaal["share_within_norm"],
            roosendaal["waiting_without_start"], roosendaal["waiting_past_norm"]) == (2, 82.5, 120.0, 0.5, 2, 1)
    assert (boz["started"], boz["median_days"], boz["p90_days"], boz["share_within_norm"]) == (2, 90.0, 150.0, 0.5)
    assert "Gemeente Elders" not in per_gemeente
    # Of the 4 started: 2 niet-gecontracteerd (2, 3), 1 via RET (2), 1 via BEN (3; its RET found nothing).
    assert kpi["routes"] == {
        "started": 4,
        "counts": {"niet_gecontracteerd": 2, "via_ret": 1, "via_ben": 1, "gecontracteerd": 2},
        "shares": {"niet_gecontracteerd": 0.5, "via_ret": 0.25, "via_ben": 0.25, "gecontracteerd": 0.5},
    }
    # One escalation (case 4): handled in 4 days; care started 60 days after it. Cases 3 and 5
    # reached the RET (5 is there now), 3 the BEN too.
    assert kpi["escalations"] == {"count": 1, "open": 0, "completed": 1, "median_days_to_handle": 4.0,
                                  "p90_days_to_handle": 4.0, "started_after_escalation": 1,
                                  "median_days_to_start_zorg": 60.0, "to_ret": 2, "to_ben": 1}
    assert kpi["outcomes"] == {"doelen_behaald": 2, "uitval": 1}
    # iJw terms: 4 JW305 in the region, case 4's late; 2 JW307, case 3's late. The case
    # elsewhere (a late JW305) is not counted.
    assert kpi["messages"] == {
        "JW305": {"term": "5 werkdagen", "counted_from": "Begindatum", "count": 4, "late": 1,
                  "late_cases": [ids["c4"]], "share_on_time": 0.75},
        "JW307": {"term": "5 werkdagen", "counted_from": "Einddatum", "count": 2, "late": 1,
                  "late_cases": [ids["c3"]], "share_on_time": 0.5},
    }
    # Labelled as the GI's closing form (the version these cases run on) labels them.
    assert kpi["outcome_labels"] == {"doelen_behaald": "Doelen behaald",
                                     "niet_haalbaar": "Doelen in overeenstemming niet haalbaar",
                                     "uitval": "Uitval (jeugdige of gezin gestopt)"}
    assert (kpi["start_zorg"]["norm"], kpi["start_zorg"]["norm_days"]) == ("3 maanden", 92)
    assert runtime.monitoring.kpi(coordinator, process="wbw_toewijzing")["cases"] == 0


def test_a_cases_norms_for_its_own_pages(dataset):
    _client, runtime, _coordinator, ids = dataset
    # Case 5: its norm passed on 1 April without care; its RET timer guards no norm.
    assert runtime.monitoring.case_norms(ids["c5"]) == [{
        "norm": "Passende zorg binnen 3 maanden", "element_id": "doorbraak_termijn_verstreken",
        "deadline": date(2027, 4, 1), "care_started": False}]
    assert [(n["deadline"], n["care_started"]) for n in runtime.monitoring.case_norms(ids["c4"])] == \
        [(date(2027, 4, 5), True)]
    assert runtime.monitoring.case_norms(ids["c2"]) == []  # no norm timer


def test_heatmap_per_bpmn_element(dataset):
    _client, runtime, coordinator, _ids = dataset
    heatmap = runtime.monitoring.heatmap(coordinator, "gi_verwijsproces")
    elements = {e["element_id"]: e for e in heatmap["elements"]}
    # Plan van aanpak: done in 4, 10 and 2 days, one open for 20.5 days.
    assert elements["stap1_plan_van_aanpak"] == {
        "process": "gi_verwijsproces", "element_id": "stap1_plan_van_aanpak", "title": "Plan van aanpak opstellen",
        "kind": "userTask", "waiting_now": 1, "count": 4, "median_wait_days": 7.0, "p90_wait_days": 20.5}
    assert (elements["doorbraak_termijn_verstreken"]["waiting_now"],
            elements["doorbraak_termijn_verstreken"]["count"]) == (1, 3)  # case 6 waits; 5 and 4 fired
    assert elements["doorbraak_termijn_verstreken"]["median_wait_days"] == 90.9  # 1 Jan 00:00 UTC to 1 Apr 22:00 UTC
    assert elements["stap3_aanbieder_zoeken"]["waiting_now"] == 1  # the case elsewhere is not counted
    assert elements["stap9_start_jeugdhulp"]["count"] == 0  # tasks nobody reached are listed with zeros
    assert "wachten_op_ret_vergadering" not in elements and "ret_bespreking" not in elements
    opschaalroute = {e["element_id"]: e for e in runtime.monitoring.heatmap(coordinator, "opschaalroute")["elements"]}
    assert opschaalroute["wachten_op_ret_vergadering"]["waiting_now"] == 1
    assert opschaalroute["ret_bespreking"]["waiting_now"] == 1
    assert heatmap["elements"][0]["waiting_now"] >= heatmap["elements"][-1]["waiting_now"]


def test_only_the_regiocoordinator_of_the_region_sees_the_monitoring(dataset):
    client, runtime, _coordinator, _ids = dataset
    for path in ("/api/monitor/stuck", "/api/monitor/kpi", "/api/monitor/heatmap?process=gi_verwijsproces"):
        assert client.get(path, "regiocoordinator").status_code == 200, path
        for user in ("jeugdbeschermer", "gemeente", "ret"):
            assert client.get(path, user).status_code == 403, (path, user)
        assert client.get(path).status_code == 401
    assert client.get("/api/monitor/heatmap", "regiocoordinator").status_code == 422
    assert client.get("/api/monitor/heatmap?process=bestaat_niet", "regiocoordinator").status_code == 404
    assert client.get("/api/monitor/stuck?limit=0", "regiocoordinator").status_code == 422
    kpi = client.get("/api/monitor/kpi", "regiocoordinator").json
    assert kpi["routes"]["counts"] == {"niet_gecontracteerd": 2, "via_ret": 1, "via_ben": 1, "gecontracteerd": 2}
    stuck = client.get("/api/monitor/stuck", "regiocoordinator").json
    assert {row["case_reference"] for row in stuck} <= {"KPI-5", "KPI-6"}

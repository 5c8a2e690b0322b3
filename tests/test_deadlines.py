"""Due dates: norms in werkdagen and calendar units over Dutch holidays, from the BPMN
properties dueNorm/dueFrom, on the tasks of the GI verwijsproces; and the RET schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from engine.access import SYSTEM
from engine.deadlines import property_problems, task_due
from engine.meetings import first_meeting, schema_of
from engine.scripting import AMSTERDAM, SafeScriptEngine

from .conftest import BACKENDS, Client, build_app
from .gi_steps import GEMEENTE_MANDAAT, open_names, start_gi, step

EVALUATE = SafeScriptEngine().environment.evaluate


def _opened(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), AMSTERDAM).astimezone(UTC)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), AMSTERDAM)


# -- the norm arithmetic, hand-computed over holidays -------------------------------------------

@pytest.mark.parametrize("norm, opened, due", [
    # Easter 2026: Goede Vrijdag 3 April and Tweede Paasdag 6 April are no werkdagen.
    ("5 werkdagen", date(2026, 4, 1), date(2026, 4, 10)),
    # Koningsdag (Monday 27 April 2026) and Bevrijdingsdag (5 May, every year) are skipped.
    ("10 werkdagen", date(2026, 4, 20), date(2026, 5, 6)),
    # Christmas 2026: 25 and 26 December fall on Friday and Saturday.
    ("5 werkdagen", date(2026, 12, 22), date(2026, 12, 30)),
    # A calendar norm ending on Eerste Kerstdag moves to the next werkdag (Atw art. 1).
    ("6 weken", date(2026, 11, 13), date(2026, 12, 28)),
    ("3 maanden", date(2026, 11, 30), date(2027, 3, 1)),  # 28 Feb 2027 is a Sunday
    # Bridge day 15 May 2026 (after Hemelvaartsdag 14 May) counts as a holiday.
    ("2 werkdagen", date(2026, 5, 13), date(2026, 5, 19)),
])
def test_due_dates_over_holidays(norm, opened, due):
    assert task_due({"dueNorm": norm}, {}, _opened(opened), EVALUATE) == _end_of(due)


def test_due_from_a_case_data_field_and_a_norm_from_an_expression():
    data = {"vot_ontvangen": "2027-03-24", "antwoordtermijn": "5 werkdagen"}
    properties = {"dueNorm": "antwoordtermijn", "dueFrom": "vot_ontvangen"}
    # Opened weeks later, the norm still counts from the VOT; Easter 2027 is 26–29 March.
    assert task_due(properties, data, _opened(date(2027, 5, 1)), EVALUATE) == _end_of(date(2027, 4, 2))
    data["antwoordtermijn"] = "8 weken"
    assert task_due(properties, data, _opened(date(2027, 5, 1)), EVALUATE) == _end_of(date(2027, 5, 19))


def test_no_norm_no_due_date_and_a_broken_norm_does_not_stop_the_case():
    assert task_due({}, {}, _opened(date(2027, 1, 4)), EVALUATE) is None
    assert task_due({"dueNorm": "termijn_die_niet_bestaat"}, {}, _opened(date(2027, 1, 4)), EVALUATE) is None
    # A start date that is missing counts from the day the task opened.
    assert task_due({"dueNorm": "1 werkdag", "dueFrom": "leeg"}, {"leeg": None}, _opened(date(2027, 1, 4)),
                    EVALUATE) == _end_of(date(2027, 1, 5))


def test_validation_of_the_deadline_properties():
    assert property_problems({"dueNorm": "10 werkdagen", "dueFrom": "ingangsdatum_maatregel"}) == []
    assert property_problems({"dueNorm": "antwoordtermijn"}) == []
    assert property_problems({"dueNorm": "5 werkdgen"})  # neither a norm nor an expression
    assert property_problems({"dueNorm": "__import__('os')"})
    assert property_problems({"dueFrom": "datum"}) == ["dueFrom zonder dueNorm heeft geen effect."]


# -- the RET schedule -------------------------------------------------------------------------

SCHEMA = {"eerste_vergadering": "2026-01-08", "interval_dagen": 14, "expertkaart_termijn": "10 dagen"}


def test_a_case_goes_to_the_first_meeting_whose_expertkaart_deadline_it_met():
    # Meetings on 7 and 21 January and 4 February 2027; the Expertkaart is due 10 days before.
    assert first_meeting(date(2027, 1, 11), SCHEMA, date(2027, 1, 11)) == date(2027, 1, 21)
    assert first_meeting(date(2027, 1, 12), SCHEMA, date(2027, 1, 12)) == date(2027, 2, 4)
    # 10 days before 27 May 2027 is Tweede Pinksterdag: the deadline moves back to Friday 14 May.
    assert first_meeting(date(2027, 5, 14), SCHEMA, date(2027, 5, 14)) == date(2027, 5, 27)
    assert first_meeting(date(2027, 5, 15), SCHEMA, date(2027, 5, 15)) == date(2027, 6, 10)
    # Delivered long ago, registered today: the next meeting, never one in the past.
    assert first_meeting(date(2026, 10, 1), SCHEMA, date(2027, 1, 8)) == date(2027, 1, 21)


def test_the_schedule_comes_from_the_region_settings():
    assert schema_of({"ret_eerste_vergadering": "2026-01-08"}) == SCHEMA
    assert schema_of({}) is None


# -- over HTTP: the due dates on the tasks of the GI verwijsproces --------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def client(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp("deadlines"))
    yield Client(app)
    runtime.dispose()
    database.drop()


def _task(client, case_id, user, name):
    return next(t for t in client.get("/api/tasks", user).json if t["case_id"] == case_id and t["name"] == name)


def _due_day(task) -> date:
    return datetime.fromisoformat(task["due_at"]).astimezone(AMSTERDAM).date()


def test_answer_deadlines_of_the_gemeente_over_easter(client):
    runtime = client.app.extensions["verwijsflow"]
    runtime.timers.move_clock(SYSTEM, datetime(2027, 3, 24, 9, 0, tzinfo=AMSTERDAM))  # Wednesday before Easter
    case = start_gi(client, "GI-TERMIJN", gemeente=GEMEENTE_MANDAAT)
    for name in ("stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder",
                 "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "stap8a_verzoek_om_toewijzing"):
        step(client, case["id"], name)
    answer = _task(client, case["id"], "gemeente2", "stap8b_reactie_gemeente")
    assert _due_day(answer) == date(2027, 4, 2)  # 5 werkdagen, skipping Goede Vrijdag and Tweede Paasdag
    assert answer["overdue"] is False
    # "In onderzoek": the final answer is due 8 weeks after the VOT came in.
    step(client, case["id"], "stap8b_reactie_gemeente", BerichtCode="JW319", VerzoekAntwoord="2",
         ToewijzingNummer=None, Toewijzingsdatum=None, Ingangsdatum=None, Product=None, Omvang=None)
    assert open_names(client, case["id"]) == ["stap8b_reactie_gemeente"]
    assert _due_day(_task(client, case["id"], "gemeente2", "stap8b_reactie_gemeente")) == date(2027, 5, 19)
    step(client, case["id"], "stap8b_reactie_gemeente")
    # Care starts within 3 weeks of the toewijzing (opened on 24 March: due 14 April).
    assert _due_day(_task(client, case["id"], "aanbieder", "stap9_start_jeugdhulp")) == date(2027, 4, 14)
    # Tasks without a norm have no due date.
    case2 = start_gi(client, "GI-GEEN-TERMIJN")
    assert client.open_task(case2["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")["due_at"] is None


def test_a_task_past_its_due_date_is_overdue(client):
    case = start_gi(client, "GI-TE-LAAT", gemeente=GEMEENTE_MANDAAT)
    for name in ("stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder",
                 "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "stap8a_verzoek_om_toewijzing"):
        step(client, case["id"], name)
    task = _task(client, case["id"], "gemeente2", "stap8b_reactie_gemeente")
    runtime = client.app.extensions["verwijsflow"]
    runtime.timers.move_clock(SYSTEM, datetime.fromisoformat(task["due_at"]) + timedelta(days=1))
    late = client.get("/api/tasks?overdue=true", "gemeente2").json
    assert task["id"] in {t["id"] for t in late} and all(t["overdue"] for t in late)
    assert task["id"] not in {t["id"] for t in client.get("/api/tasks?overdue=false", "gemeente2").json}

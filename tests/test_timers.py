"""Timers: the table of waiting timers, firing exactly once (also with two schedulers on one
database), surviving a restart, retries, the doorbraak escalation and the RET meeting
planning on the virtual clock."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import clock, directory
from engine.access import SYSTEM
from engine.config import ROOT
from engine.errors import Forbidden
from engine.models import AuditEvent, Case, Timer, User, WorkItem
from engine.scripting import AMSTERDAM

from .conftest import BACKENDS, FIXTURES, Client, build_app, make_database, make_runtime
from .gi_steps import GEMEENTE_MANDAAT, START, STEP_DATA, move_clock_to, open_names, start_gi, step, today


def _rows(runtime, query) -> list:
    with runtime.reading() as session:
        rows = list(session.scalars(query))
        session.expunge_all()  # keep them readable after the read transaction ends
        return rows


def _timers(runtime, case_id: int) -> list[Timer]:
    return _rows(runtime, select(Timer).where(Timer.case_id == case_id).order_by(Timer.id))


def _audit(runtime, case_id: int, kind: str) -> list[AuditEvent]:
    return _rows(runtime, select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == kind))


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), AMSTERDAM).astimezone(UTC)


def _actor(runtime, username: str):
    with runtime.reading() as session:
        return directory.actor_for(session, session.scalar(select(User.id).where(User.username == username)))


# -- the doorbraak ---------------------------------------------------------------------------------

def test_doorbraak_escalates_after_three_months_without_stopping_the_case(fresh):
    client, runtime = fresh
    case = start_gi(client, "GI-DOORBRAAK", ingangsdatum="2027-01-15")
    [timer] = _timers(runtime, case["id"])
    assert (timer.element_id, timer.status) == ("doorbraak_termijn_verstreken", "waiting")
    # plus_dagen(plus_maanden(ingangsdatum_maatregel, 3), 1): when 15 April, the last day in time, is over.
    assert timer.due_at == _midnight("2027-04-16")
    assert "3 maanden" in timer.norm
    step(client, case["id"], "stap1_plan_van_aanpak")

    move_clock_to(client, "2027-04-01")
    assert open_names(client, case["id"]) == ["stap3_aanbieder_zoeken"]  # not yet
    move_clock_to(client, "2027-04-20")
    # The GI's plaatsingscoördinator gets the escalation; the jeugdbeschermer's search goes on.
    assert open_names(client, case["id"]) == ["doorbraak_escaleren", "stap3_aanbieder_zoeken"]
    task = client.open_task(case["id"], "plaatsingscoordinator", "doorbraak_escaleren")
    assert task["lane"] == "plaatsingscoordinator"
    # The timer fired at its own moment on the way, not when the clock stopped.
    assert datetime.fromisoformat(task["created_at"]).astimezone(AMSTERDAM).date() == date(2027, 4, 16)
    [timer] = _timers(runtime, case["id"])
    assert timer.status == "fired" and timer.attempts == 1
    assert [e.element_id for e in _audit(runtime, case["id"], "timer_fired")] == ["doorbraak_termijn_verstreken"]
    assert client.case(case["id"])["status"] == "running"

    # The coordinator sees it as stuck: past the 3-month norm without start of care.
    stuck = client.get("/api/monitor/stuck", "regiocoordinator").json
    [row] = [r for r in stuck if r["case_id"] == case["id"] and r["kind"] == "norm"]
    assert row["element_id"] == "doorbraak_termijn_verstreken" and row["days_overdue"] == 4.0  # since 16 April

    # Escalated to the RET via the gedragswetenschapper; the main flow still waits at step 3.
    step(client, case["id"], "doorbraak_escaleren")
    assert open_names(client, case["id"]) == ["consultatie_gedragswetenschapper", "stap3_aanbieder_zoeken"]


def test_care_started_in_time_wins_the_race_and_no_escalation_follows(fresh):
    client, runtime = fresh
    case = start_gi(client, "GI-OP-TIJD", gemeente=GEMEENTE_MANDAAT)
    for name in ("stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder",
                 "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "stap8a_verzoek_om_toewijzing",
                 "stap8b_reactie_gemeente", "stap9_start_jeugdhulp"):
        step(client, case["id"], name)
    [timer] = _timers(runtime, case["id"])
    assert timer.status == "closed" and timer.fired_at is None
    move_clock_to(client, datetime.now(UTC) + timedelta(days=120))
    assert open_names(client, case["id"]) == ["stop_jeugdhulp_melden", "voortgang_bespreken"]
    step(client, case["id"], "voortgang_bespreken", maatregel_beeindigd=True)
    step(client, case["id"], "stop_jeugdhulp_melden")
    assert step(client, case["id"], "afsluitende_evaluatie")["status"] == "completed"
    assert _audit(runtime, case["id"], "timer_fired") == []


def test_care_that_starts_on_the_last_day_of_the_norm_is_in_time(fresh):
    client, runtime = fresh
    case = start_gi(client, "GI-LAATSTE-DAG", gemeente=GEMEENTE_MANDAAT, ingangsdatum="2027-01-15")
    for name in ("stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder",
                 "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "stap8a_verzoek_om_toewijzing",
                 "stap8b_reactie_gemeente"):
        step(client, case["id"], name)
    # 15 April is the last day of "binnen 3 maanden": no escalation during it.
    move_clock_to(client, datetime(2027, 4, 15, 16, 0, tzinfo=AMSTERDAM))
    assert open_names(client, case["id"]) == ["stap9_start_jeugdhulp"]
    step(client, case["id"], "stap9_start_jeugdhulp", Begindatum="2027-04-15")
    move_clock_to(client, "2027-04-20")
    assert "doorbraak_escaleren" not in open_names(client, case["id"])
    assert _audit(runtime, case["id"], "timer_fired") == []
    assert runtime.monitoring.case_norms(case["id"])[0]["deadline"] == date(2027, 4, 15)
    coordinator = _actor(runtime, "regiocoordinator")
    assert not [r for r in runtime.monitoring.stuck(coordinator) if r["case_id"] == case["id"]]


# -- the RET meeting -------------------------------------------------------------------------------

def _to_aanmelden_ret(client, reference: str) -> int:
    case = start_gi(client, reference, gemeente=GEMEENTE_MANDAAT)
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=False)
    step(client, case["id"], "a1_hulp_buiten_aanbod", passend_buiten_aanbod=False, aanbieder=None)
    step(client, case["id"], "consultatie_gedragswetenschapper")
    return case["id"]


def test_a_case_that_misses_the_expertkaart_deadline_goes_to_the_next_ret_meeting(fresh):
    client, runtime = fresh
    # The demo RET meets every 14 days from 8 January 2026: 21 January and 4 February 2027 are
    # meetings, with Expertkaart deadlines on 11 and 25 January.
    move_clock_to(client, "2027-01-11T09:00")
    on_time = _to_aanmelden_ret(client, "GI-RET-OP-TIJD")
    late = _to_aanmelden_ret(client, "GI-RET-TE-LAAT")
    step(client, on_time, "aanmelden_ret", datum_expertkaart_aangeleverd="2027-01-11")
    move_clock_to(client, "2027-01-12T09:00")
    step(client, late, "aanmelden_ret", datum_expertkaart_aangeleverd="2027-01-12")
    assert client.case(on_time)["data"]["ret_vergaderdatum"] == "2027-01-21"
    assert client.case(late)["data"]["ret_vergaderdatum"] == "2027-02-04"
    assert "ret_bespreking" not in open_names(client, on_time)

    move_clock_to(client, "2027-01-21T08:00")
    assert "ret_bespreking" in open_names(client, on_time)
    assert "ret_bespreking" not in open_names(client, late)
    task = client.open_task(on_time, "ret", "ret_bespreking")
    # The RET records its outcome within one werkdag of the meeting.
    assert datetime.fromisoformat(task["due_at"]).astimezone(AMSTERDAM).date() == date(2027, 1, 22)

    move_clock_to(client, "2027-02-04T08:00")
    assert "ret_bespreking" in open_names(client, late)
    fired = {t.element_id for t in _timers(runtime, late) if t.status == "fired"}
    assert fired == {"wachten_op_ret_vergadering"}


# -- exactly once, durable, retried -----------------------------------------------------------------

def _start_cases(runtime, count: int, ingangsdatum: str) -> list[int]:
    actor = _actor(runtime, "jeugdbeschermer")
    return [runtime.cases.start(actor, "gi_verwijsproces", {**START, "gemeente": GEMEENTE_MANDAAT,
                                                             "ingangsdatum_maatregel": ingangsdatum,
                                                             "casusreferentie": f"GI-TIMER-{i}"})["id"]
            for i in range(count)]


def _set_clock_without_firing(runtime, moment: datetime) -> None:
    with runtime.transaction() as session:
        clock.store_offset(session, moment - datetime.now(UTC))
        session.commit()
    runtime.clock.invalidate()


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_timer_fires_once_with_two_schedulers_on_one_database(backend, tmp_path):
    app, first, database = build_app(backend, tmp_path)
    second = make_runtime(database.url, tmp_path)  # another server process: own engine, pool and cache
    try:
        ingang = today(Client(app))
        cases = _start_cases(first, 12, ingang)
        due = _timers(first, cases[0])[0].due_at
        _set_clock_without_firing(first, due + timedelta(days=1))
        second.clock.invalidate()

        fired: dict[str, list[int]] = {"first": [], "second": []}
        barrier = threading.Barrier(2)
        errors = []

        def scheduler(name, runtime):
            try:
                barrier.wait()
                fired[name] += runtime.timers.fire_due()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=scheduler, args=(n, r)) for n, r in (("first", first), ("second", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        both = fired["first"] + fired["second"]
        assert sorted(both) == sorted(cases), "every case's timer fired, none twice"
        with first.reading() as session:
            escalations = session.execute(
                select(WorkItem.case_id, func.count()).where(WorkItem.element_id == "doorbraak_escaleren")
                .group_by(WorkItem.case_id)).all()
            assert sorted(escalations) == [(case_id, 1) for case_id in sorted(cases)]
            assert session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.kind == "timer_fired")) == len(cases)
            assert session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "waiting")) == 0
        assert first.timers.fire_due() == [] and second.timers.fire_due() == []
    finally:
        second.dispose()
        first.dispose()
        database.drop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_timers_survive_a_restart(backend, tmp_path):
    app, before, database = build_app(backend, tmp_path)
    try:
        [case_id] = _start_cases(before, 1, today(Client(app)))
        due = _timers(before, case_id)[0].due_at
    finally:
        before.dispose()  # the server stops: caches and workflows in memory are gone
    after = make_runtime(database.url, tmp_path)
    try:
        fired = after.timers.move_clock(SYSTEM, due + timedelta(hours=1))
        assert fired == [case_id]
        with after.reading() as session:
            names = set(session.scalars(select(WorkItem.element_id)
                                        .where(WorkItem.case_id == case_id, WorkItem.status == "open")))
        assert names == {"stap1_plan_van_aanpak", "doorbraak_escaleren"}
    finally:
        after.dispose()
        database.drop()


@pytest.fixture(params=BACKENDS)
def timerfout(request, tmp_path):
    app, runtime, database = build_app(request.param, tmp_path, processes_dir=FIXTURES, forms_dir=FIXTURES / "forms")
    yield Client(app), runtime
    runtime.dispose()
    database.drop()


def test_a_failing_timer_step_is_retried_with_backoff_then_the_case_is_in_error(timerfout):
    client, runtime = timerfout
    case = client.start("timerfout", {"gemeente": "gemeente-roosendaal", "casusreferentie": "T-1", "deler": 0})
    [timer] = _timers(runtime, case["id"])
    move_clock_to(client, timer.due_at + timedelta(seconds=30))
    [timer] = _timers(runtime, case["id"])
    assert (timer.status, timer.attempts) == ("waiting", 1)
    assert timer.run_at > timer.due_at and "ZeroDivisionError" in timer.last_error
    assert client.case(case["id"])["status"] == "running" and client.case(case["id"])["open_tasks"] == []

    move_clock_to(client, timer.due_at + timedelta(days=1))  # passes every backoff moment
    [timer] = _timers(runtime, case["id"])
    assert (timer.status, timer.attempts) == ("failed", 5)
    view = client.case(case["id"])
    # The user reads what happened in Dutch; the operator finds the technical cause on the timer.
    assert view["status"] == "error" and "De stap na 'Een dag later' kon niet worden uitgevoerd" in view["error"]
    assert "ZeroDivisionError" not in view["error"] and "ZeroDivisionError" in timer.last_error
    assert view["open_tasks"] == []  # nothing of the failed step was kept
    assert len(_audit(runtime, case["id"], "timer_retry")) == 4
    assert len(_audit(runtime, case["id"], "timer_failed")) == 1
    assert runtime.timers.fire_due() == []


def test_a_transient_failure_is_retried_and_the_timer_then_fires(timerfout, monkeypatch):
    client, runtime = timerfout
    case = client.start("timerfout", {"gemeente": "gemeente-roosendaal", "casusreferentie": "T-2", "deler": 4})
    [timer] = _timers(runtime, case["id"])
    real_run, failures = runtime.cases._run, []

    def run_failing_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("verbinding met de database verbroken")
        return real_run(*args, **kwargs)

    monkeypatch.setattr(runtime.cases, "_run", run_failing_once)
    move_clock_to(client, timer.due_at + timedelta(seconds=30))
    [timer] = _timers(runtime, case["id"])
    assert (timer.status, timer.attempts, timer.last_error) == \
        ("waiting", 1, "RuntimeError: verbinding met de database verbroken")
    move_clock_to(client, timer.run_at + timedelta(seconds=1))
    [timer] = _timers(runtime, case["id"])
    assert (timer.status, timer.attempts) == ("fired", 2)
    assert [t["name"] for t in client.case(case["id"])["open_tasks"]] == ["taak"]
    assert client.case(case["id"])["data"]["uitkomst"] == 25


def test_a_case_stopped_by_a_failing_timer_takes_no_commands_until_it_is_resumed(fresh, monkeypatch):
    client, runtime = fresh
    case = start_gi(client, "GI-HERVAT", ingangsdatum="2027-01-15")
    real_run = runtime.cases._run

    def failing_for_timers(session, case_row, bundle, live, actor, step_, after):
        if actor.is_system:  # a timer's step; users' steps work
            raise RuntimeError("de gegevensbron van de regio is onbereikbaar")
        return real_run(session, case_row, bundle, live, actor, step_, after=after)

    monkeypatch.setattr(runtime.cases, "_run", failing_for_timers)
    move_clock_to(client, "2027-05-01")  # past the doorbraak deadline and every retry
    [timer] = _timers(runtime, case["id"])
    assert (timer.element_id, timer.status, timer.attempts) == ("doorbraak_termijn_verstreken", "failed", 5)
    assert client.case(case["id"])["status"] == "error"

    # Stopped: its timers never fire, and users cannot move it on half-way.
    task = client.open_task(case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    refused = client.post(f"/api/tasks/{task['id']}/complete", "jeugdbeschermer",
                          json={"data": STEP_DATA["stap1_plan_van_aanpak"]})
    assert refused.status_code == 409 and "hervat" in refused.json["message"]
    assert client.post(f"/api/tasks/{task['id']}/claim", "jeugdbeschermer").status_code == 409
    assert open_names(client, case["id"]) == ["stap1_plan_van_aanpak"]

    # The cause is repaired; a procesontwerper of the case's region resumes it.
    monkeypatch.undo()
    assert client.post(f"/api/cases/{case['id']}/resume", "jeugdbeschermer").status_code == 403
    resumed = client.post(f"/api/cases/{case['id']}/resume", "procesontwerper")
    assert resumed.status_code == 200, resumed.json
    assert resumed.json["status"] == "running" and resumed.json["timers"] == ["doorbraak_termijn_verstreken"]
    assert client.post(f"/api/cases/{case['id']}/resume", "procesontwerper").status_code == 409
    [timer] = _timers(runtime, case["id"])
    assert (timer.status, timer.attempts) == ("waiting", 0)
    view = client.case(case["id"])
    assert view["status"] == "running" and view["error"] is None
    [event] = _audit(runtime, case["id"], "case_resumed")
    assert event.actor == "procesontwerper" and event.details["timers"] == ["doorbraak_termijn_verstreken"]

    assert move_clock_to(client, runtime.clock.now() + timedelta(minutes=1)) == [case["id"]]
    assert open_names(client, case["id"]) == ["doorbraak_escaleren", "stap1_plan_van_aanpak"]
    step(client, case["id"], "stap1_plan_van_aanpak")


def test_resume_on_the_command_line(fresh):
    client, runtime = fresh
    case = start_gi(client, "GI-HERVAT-CLI")
    with runtime.transaction() as session:  # as a timer leaves it after its last failed attempt
        session.get(Case, case["id"]).status = "error"
        session.get(Case, case["id"]).error = "Tijdgebeurtenis doorbraak_termijn_verstreken is na 5 pogingen mislukt"
        for timer in session.scalars(select(Timer).where(Timer.case_id == case["id"])):
            timer.status, timer.attempts = "failed", 5
        session.commit()
    env = {"VERWIJSFLOW_DATABASE_URL": runtime.settings.database_url,
           "VERWIJSFLOW_INSTANCE_DIR": str(runtime.settings.instance_dir), "VERWIJSFLOW_SECRET_KEY": "test", "PATH": ""}
    cli = [sys.executable, "-m", "webapi.cli", "resume", str(case["id"])]
    done = subprocess.run(cli, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loopt weer" in done.stdout and "doorbraak_termijn_verstreken" in done.stdout
    assert client.case(case["id"])["status"] == "running"
    [timer] = _timers(runtime, case["id"])
    assert (timer.status, timer.attempts) == ("waiting", 0)
    again = subprocess.run(cli, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert again.returncode == 1 and "niets te hervatten" in again.stderr


# -- the virtual clock ------------------------------------------------------------------------------

def test_the_clock_only_moves_in_demo_mode(tmp_path):
    database = make_database("sqlite", tmp_path)
    runtime = make_runtime(database.url, tmp_path)
    runtime.migrate()
    try:
        with pytest.raises(Forbidden):
            runtime.timers.move_clock(SYSTEM, datetime.now(UTC) + timedelta(days=1))
    finally:
        runtime.dispose()
    env = {"VERWIJSFLOW_DATABASE_URL": database.url, "VERWIJSFLOW_INSTANCE_DIR": str(tmp_path / "instance"),
           "VERWIJSFLOW_SECRET_KEY": "test", "PATH": ""}
    cli = [sys.executable, "-m", "webapi.cli", "clock"]
    refused = subprocess.run([*cli, "advance", "30d"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert refused.returncode == 1 and "demo" in refused.stderr
    shown = subprocess.run([*cli, "show"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert shown.returncode == 0 and "Klok van de engine" in shown.stdout


def test_clock_commands_in_demo_mode(fresh):
    client, runtime = fresh
    env_url = runtime.settings.database_url
    [case_id] = _start_cases(runtime, 1, today(client))
    env = {"VERWIJSFLOW_DATABASE_URL": env_url, "VERWIJSFLOW_INSTANCE_DIR": str(runtime.settings.instance_dir),
           "VERWIJSFLOW_SECRET_KEY": "test", "PATH": ""}
    cli = [sys.executable, "-m", "webapi.cli", "clock"]
    moved = subprocess.run([*cli, "advance", "100d"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert moved.returncode == 0, moved.stderr
    assert "1 timer(s) afgegaan" in moved.stdout
    backwards = subprocess.run([*cli, "set", "2020-01-01"], capture_output=True, text=True, env=env, cwd=ROOT,
                               timeout=120)
    assert backwards.returncode == 1 and "alleen vooruit" in backwards.stderr
    runtime.clock.invalidate()
    assert runtime.clock.now() > datetime.now(UTC) + timedelta(days=99)
    with runtime.reading() as session:
        assert session.scalar(select(Case.status).where(Case.id == case_id)) == "running"
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "clock_moved")) == 1


def test_the_scheduler_runs_in_each_server_process(tmp_path):
    from webapi import create_app

    database = make_database("sqlite", tmp_path)
    runtime = make_runtime(database.url, tmp_path, scheduler=True, timer_interval=3600)
    create_app(runtime=runtime)
    try:
        assert runtime.scheduler is not None and runtime.scheduler.scheduler.running
        assert runtime.scheduler.tick() == 0
    finally:
        runtime.dispose()
    assert runtime.scheduler is None

"""Moving running cases to a new process version: dry run per case with reasons and mapping, one
transaction per case, recorded in the case history, undoable per case. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.config import ROOT
from engine.models import Case, CaseMigration, EngineTask, WorkItem

from .conftest import BACKENDS, Client, build_app
from .designer_helpers import (
    CHECK_FORM,
    GI,
    check_form,
    current_version,
    deploy,
    gi_bpmn,
    renamed,
    with_optional_check_after_step1,
    without_step3,
)
from .gi_steps import GEMEENTE_MANDAAT, deliver_and_close, open_names, start_gi, step, wait_for_ret_meeting


@pytest.fixture(scope="module", params=BACKENDS)
def env(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp(f"migration-{request.param}"))
    yield Client(app), runtime
    runtime.dispose()
    database.drop()


@pytest.fixture
def original(env):
    """Each test starts and ends with the original GI verwijsproces as the current version."""
    client, _ = env
    deploy(client, "procesontwerper", f"{GI}.bpmn", gi_bpmn())
    yield current_version(client)
    deploy(client, "procesontwerper", f"{GI}.bpmn", gi_bpmn())


def migrate(client, from_version, to_version, case_ids, dry_run, user="procesontwerper"):
    response = client.post(f"/api/processes/{GI}/migrate", user, json={
        "from_version": from_version, "to_version": to_version, "dry_run": dry_run, "case_ids": case_ids})
    assert response.status_code == 200, response.json
    return {c["case_id"]: c for c in response.json["cases"]}, response.json


def history_kinds(client, case_id) -> list[str]:
    return [h["kind"] for h in client.case(case_id)["history"]]


def _rows(runtime, case_id) -> dict:
    with runtime.reading() as session:
        case = session.get(Case, case_id)
        tasks = session.execute(select(EngineTask.task_id, EngineTask.workflow_key, EngineTask.seq, EngineTask.state,
                                       EngineTask.payload).where(EngineTask.case_id == case_id)).all()
        items = session.execute(select(WorkItem.id, WorkItem.element_id, WorkItem.title, WorkItem.form, WorkItem.lane,
                                       WorkItem.status).where(WorkItem.case_id == case_id)).all()
        return {"bundle": case.bundle_id, "state": case.engine_state, "data": case.data,
                "tasks": sorted(map(tuple, tasks)), "items": sorted(map(tuple, items))}


def test_a_new_optional_step_after_the_current_step_migrates_the_cases_before_it(env, original):
    client, runtime = env
    before_step = start_gi(client, "MIG-VOOR")["id"]  # waits in step 1
    past_step = start_gi(client, "MIG-VOORBIJ")["id"]
    step(client, past_step, "stap1_plan_van_aanpak")  # waits in step 3: already past the new step
    response = client.post("/api/processes", "procesontwerper", json={"files": [
        {"filename": f"{GI}.bpmn", "content": with_optional_check_after_step1(gi_bpmn())},
        {"filename": f"forms/{CHECK_FORM}", "content": check_form()}]})
    assert response.status_code == 201, response.json
    new = current_version(client)

    cases, result = migrate(client, original, new, [before_step, past_step], dry_run=True)
    assert result["dry_run"] is True and result["total"] == 2 and result["migratable"] == 1
    assert cases[before_step]["migratable"] is True and cases[before_step]["reasons"] == []
    assert cases[before_step]["mapping"][GI]["stap1_plan_van_aanpak"] == "stap1_plan_van_aanpak"
    refused = cases[past_step]
    assert refused["migratable"] is False
    assert any("afgeronde stap 'Plan van aanpak opstellen'" in r and "uitgaande stromen" in r
               for r in refused["reasons"]), refused["reasons"]
    # A dry run changes nothing.
    assert client.case(before_step)["process_version"] == original
    assert "case_migrated" not in history_kinds(client, before_step)

    cases, result = migrate(client, original, new, [before_step, past_step], dry_run=False)
    assert cases[before_step]["migrated"] is True and cases[past_step]["migrated"] is False
    assert result["migrated"] == 1
    view = client.case(before_step)
    assert view["process_version"] == new
    migrated = next(h for h in view["history"] if h["kind"] == "case_migrated")
    assert migrated["details"]["from_version"] == original and migrated["details"]["to_version"] == new
    assert migrated["details"]["mapping"][GI]["stap1_plan_van_aanpak"] == "stap1_plan_van_aanpak"
    assert client.case(past_step)["process_version"] == original

    # The migrated case takes the new step; the other finishes its search on the old version.
    step(client, before_step, "stap1_plan_van_aanpak", afgestemd_met_gezin=False)
    assert open_names(client, before_step) == ["stap1b_veiligheidscheck"]
    client.complete(before_step, "jeugdbeschermer", "stap1b_veiligheidscheck", veilig=True)
    assert open_names(client, before_step) == ["stap3_aanbieder_zoeken"]
    step(client, past_step, "stap3_aanbieder_zoeken")
    assert open_names(client, past_step) == ["stap4_overleg_deskundige_gemeente"]
    # A migrated case is not migrated twice.
    cases, _ = migrate(client, original, new, [before_step], dry_run=True)
    assert cases == {}


def test_removing_the_step_a_case_waits_in_is_refused_for_that_case_in_the_dry_run(env, original):
    client, runtime = env
    waiting_in_step3 = start_gi(client, "MIG-STAP3")["id"]
    step(client, waiting_in_step3, "stap1_plan_van_aanpak")
    still_at_step1 = start_gi(client, "MIG-STAP1")["id"]
    assert deploy(client, "procesontwerper", f"{GI}.bpmn", without_step3(gi_bpmn())).status_code == 201
    new = current_version(client)

    cases, result = migrate(client, original, new, [waiting_in_step3, still_at_step1], dry_run=True)
    refused = cases[waiting_in_step3]
    assert refused["migratable"] is False
    assert refused["reasons"][0] == (f"De huidige stap 'Aanbieder zoeken' (stap3_aanbieder_zoeken) bestaat niet "
                                     f"meer in versie {new}.")
    # Also conservative about its history: the step before it got another outgoing flow.
    assert "'Zoekronde voorbereiden'" in refused["reasons"][1]
    assert refused["mapping"][GI]["stap3_aanbieder_zoeken"] is None
    assert cases[still_at_step1]["migratable"] is True
    assert result["migrated"] == 0
    assert client.case(waiting_in_step3)["process_version"] == original


def test_undo_restores_the_case_exactly(env, original):
    client, runtime = env
    case_id = start_gi(client, "MIG-UNDO")["id"]
    before = _rows(runtime, case_id)
    assert deploy(client, "procesontwerper", f"{GI}.bpmn",
                  renamed(gi_bpmn(), "Plan van aanpak opstellen", "Plan van aanpak met het gezin maken")).status_code == 201
    new = current_version(client)

    cases, _ = migrate(client, original, new, [case_id], dry_run=False)
    assert cases[case_id]["migrated"] is True
    assert client.case(case_id)["open_tasks"][0]["title"] == "Plan van aanpak met het gezin maken"
    assert client.case(case_id)["process_version"] == new
    assert _rows(runtime, case_id)["bundle"] != before["bundle"]

    response = client.post(f"/api/cases/{case_id}/migration/undo", "procesontwerper")
    assert response.status_code == 200, response.json
    assert response.json["version"] == original
    after = _rows(runtime, case_id)
    assert after == before
    view = client.case(case_id)
    assert view["process_version"] == original
    assert view["open_tasks"][0]["title"] == "Plan van aanpak opstellen"
    assert history_kinds(client, case_id)[-2:] == ["case_migrated", "case_migration_undone"]
    again = client.post(f"/api/cases/{case_id}/migration/undo", "procesontwerper")
    assert again.status_code == 409 and "al teruggedraaid" in again.json["message"]

    # Migrated again and moved on: undo would wipe a step, so it is refused.
    cases, _ = migrate(client, original, new, [case_id], dry_run=False)
    assert cases[case_id]["migrated"] is True
    step(client, case_id, "stap1_plan_van_aanpak")
    refused = client.post(f"/api/cases/{case_id}/migration/undo", "procesontwerper")
    assert refused.status_code == 409
    assert "verder gegaan" in refused.json["message"] and "Plan van aanpak met het gezin maken" in refused.json["message"]
    with runtime.reading() as session:
        records = session.scalars(select(CaseMigration).where(CaseMigration.case_id == case_id)).all()
        assert [r.undone_at is not None for r in records] == [True, False]
    # The case runs on, on the new version.
    step(client, case_id, "stap3_aanbieder_zoeken")
    assert open_names(client, case_id) == ["stap4_overleg_deskundige_gemeente"]


def test_undo_is_for_designers_of_the_case_region_only(env, original):
    client, runtime = env
    case_id = start_gi(client, "MIG-UNDO-ROL")["id"]
    assert client.post(f"/api/cases/{case_id}/migration/undo", "jeugdbeschermer").status_code == 403
    never = client.post(f"/api/cases/{case_id}/migration/undo", "procesontwerper")
    assert never.status_code == 409 and "nooit" in never.json["message"]
    assert client.post("/api/cases/999999/migration/undo", "procesontwerper").status_code == 404


def test_unknown_versions_are_422_and_an_unknown_process_404(env, original):
    client, runtime = env
    response = client.post(f"/api/processes/{GI}/migrate", "procesontwerper",
                           json={"from_version": original, "to_version": 999, "dry_run": True})
    assert response.status_code == 422 and "to_version" in response.json["errors"]
    response = client.post(f"/api/processes/{GI}/migrate", "procesontwerper", json={"to_version": 1})
    assert response.status_code == 422 and "from_version" in response.json["errors"]
    response = client.post("/api/processes/bestaat_niet/migrate", "procesontwerper",
                           json={"from_version": 1, "to_version": 1})
    assert response.status_code == 404


def _in_overbrugging(client) -> int:
    case_id = start_gi(client, "MIG-OVERBRUGGING")["id"]
    step(client, case_id, "stap1_plan_van_aanpak")
    step(client, case_id, "stap3_aanbieder_zoeken")
    step(client, case_id, "stap4_overleg_deskundige_gemeente")
    step(client, case_id, "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=True,
         overbruggingszorg_nodig=True)
    assert open_names(client, case_id) == ["overbruggingszorg_inzetten", "stap3_aanbieder_zoeken"]
    return case_id


def _in_opschaalroute(client) -> int:
    case_id = start_gi(client, "MIG-OPSCHALEN")["id"]
    step(client, case_id, "stap1_plan_van_aanpak")
    step(client, case_id, "stap3_aanbieder_zoeken")
    step(client, case_id, "stap4_overleg_deskundige_gemeente")
    step(client, case_id, "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=False)
    step(client, case_id, "a1_hulp_buiten_aanbod", passend_buiten_aanbod=False, aanbieder=None)
    step(client, case_id, "consultatie_gedragswetenschapper")
    assert open_names(client, case_id) == ["aanmelden_ret"]
    return case_id


def _in_regie(client) -> int:
    case_id = start_gi(client, "MIG-REGIE", gemeente=GEMEENTE_MANDAAT)["id"]
    step(client, case_id, "stap1_plan_van_aanpak")
    step(client, case_id, "stap3_aanbieder_zoeken")
    step(client, case_id, "stap5_afstemmen_aanbieder")
    step(client, case_id, "stap6_bepaling_jeugdhulp")
    step(client, case_id, "stap7_aanmelden_aanbieder")
    step(client, case_id, "stap8a_verzoek_om_toewijzing")
    step(client, case_id, "stap8b_reactie_gemeente")
    step(client, case_id, "stap9_start_jeugdhulp")
    step(client, case_id, "voortgang_bespreken")
    assert open_names(client, case_id) == ["stop_jeugdhulp_melden", "voortgang_bespreken"]
    return case_id


def test_cases_in_parallel_branches_called_and_embedded_subprocesses_migrate_and_run_to_the_end(env, original):
    """A new version that renames steps behind and ahead of every case: all of them move,
    including those waiting in a parallel branch, a called process and an embedded subprocess,
    and each then runs to its end on the new version."""
    client, runtime = env
    overbrugging, opschalen, regie = _in_overbrugging(client), _in_opschaalroute(client), _in_regie(client)
    text = gi_bpmn()
    for old, new_name in (("Plan van aanpak opstellen", "Plan van aanpak maken"),
                          ("Voortgang bespreken", "Voortgang met gezin en aanbieder bespreken"),
                          ("Afsluitende evaluatie", "Evaluatie bij afsluiting")):
        text = renamed(text, old, new_name)
    assert deploy(client, "procesontwerper", f"{GI}.bpmn", text).status_code == 201
    new = current_version(client)

    cases, result = migrate(client, original, new, [overbrugging, opschalen, regie], dry_run=False)
    assert result["migrated"] == 3, cases
    assert "opschaalroute" in cases[opschalen]["mapping"]
    assert [t["title"] for t in client.case(regie)["open_tasks"] if t["name"] == "voortgang_bespreken"] == \
        ["Voortgang met gezin en aanbieder bespreken"]

    step(client, overbrugging, "overbruggingszorg_inzetten")
    step(client, overbrugging, "stap3_aanbieder_zoeken")
    step(client, overbrugging, "stap4_overleg_deskundige_gemeente")
    step(client, overbrugging, "stap5_afstemmen_aanbieder")
    step(client, overbrugging, "stap6_bepaling_jeugdhulp")
    step(client, overbrugging, "stap7_aanmelden_aanbieder")
    assert deliver_and_close(client, overbrugging)["status"] == "completed"

    step(client, opschalen, "aanmelden_ret")
    wait_for_ret_meeting(client, opschalen)
    step(client, opschalen, "ret_bespreking")
    step(client, opschalen, "stap6_bepaling_jeugdhulp")
    step(client, opschalen, "stap7_aanmelden_aanbieder")
    assert deliver_and_close(client, opschalen)["status"] == "completed"

    step(client, regie, "voortgang_bespreken", maatregel_beeindigd=True)
    step(client, regie, "stop_jeugdhulp_melden")
    final = step(client, regie, "afsluitende_evaluatie")
    assert final["status"] == "completed" and final["process_version"] == new
    assert client.case(regie)["history"][-2]["title"] == "Evaluatie bij afsluiting"


def test_a_new_form_version_reaches_running_cases_by_migrating_to_the_same_process_version(env, original):
    client, runtime = env
    case_id = start_gi(client, "MIG-FORMULIER")["id"]
    path = "gi_verwijsproces/stap1_plan_van_aanpak.json"
    old_form = (ROOT / "forms" / path).read_text(encoding="utf-8")
    schema = json.loads(old_form)
    schema["properties"]["notitie"] = {"type": "string", "title": "Notitie voor het team"}
    assert deploy(client, "procesontwerper", f"forms/{path}", json.dumps(schema)).status_code == 201
    task = client.open_task(case_id, "jeugdbeschermer", "stap1_plan_van_aanpak")
    assert "notitie" not in client.get(f"/api/tasks/{task['id']}", "jeugdbeschermer").json["form"]["properties"]

    cases, _ = migrate(client, original, original, [case_id], dry_run=False)
    assert cases[case_id]["migrated"] is True, cases
    assert "notitie" in client.get(f"/api/tasks/{task['id']}", "jeugdbeschermer").json["form"]["properties"]
    cases, _ = migrate(client, original, original, [case_id], dry_run=True)
    assert cases[case_id]["migratable"] is False and "al op deze versie" in cases[case_id]["reasons"][0]
    assert deploy(client, "procesontwerper", f"forms/{path}", old_form).status_code == 201

"""Process designers deploy new versions over the API: validated first, all or nothing, only by a
procesontwerper, audited; running cases keep the version they started on."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import event, func, select

from engine import demo
from engine.directory import hash_password
from engine.models import Artifact, AuditEvent, Bundle, Organisation, User

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
)
from .gi_steps import deliver_and_close, start_gi, step

HOSTILE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="kwaadaardig" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="jeugdbeschermer"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>script</bpmn:flowNodeRef><bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>einde</bpmn:flowNodeRef><bpmn:flowNodeRef>einde2</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="tovenaar"><bpmn:flowNodeRef>toveren</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="script" name="Opruimen" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>__import__('os').system('rm -rf /')</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="toveren" name="Toveren">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="gi_verwijsproces/stap1_plan_van_aanpak.json"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" name="Spreuk gelukt?" default="f5">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="einde"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="einde2"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script" />
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="toveren" />
    <bpmn:sequenceFlow id="f3" sourceRef="toveren" targetRef="gw" />
    <bpmn:sequenceFlow id="f4" name="ja" sourceRef="gw" targetRef="einde">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">spreuk_gelukt == True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f5" sourceRef="gw" targetRef="einde2" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="module", params=BACKENDS)
def designer(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp(f"designer-{request.param}"))
    yield Client(app), runtime
    runtime.dispose()
    database.drop()


def _artifact_count(runtime) -> int:
    with runtime.reading() as session:
        return session.scalar(select(func.count()).select_from(Artifact))


def test_only_a_procesontwerper_may_deploy_validate_or_open_the_files(designer):
    client, runtime = designer
    before = _artifact_count(runtime)
    for user in ("jeugdbeschermer", "regiocoordinator"):
        response = deploy(client, user, f"{GI}.bpmn", renamed(gi_bpmn(), "Aanbieder zoeken", "Zoeken"))
        assert response.status_code == 403, response.json
        assert "procesontwerper" in response.json["message"]
        assert client.post("/api/processes/validate", user, json={"filename": "x.bpmn", "content": ""}).status_code == 403
        assert client.get("/api/artifacts", user).status_code == 403
        assert client.post(f"/api/processes/{GI}/migrate", user,
                           json={"from_version": 1, "to_version": 1, "dry_run": True}).status_code == 403
    assert client.post("/api/processes", json={"filename": "x.bpmn", "content": ""}).status_code == 401
    assert _artifact_count(runtime) == before


def test_a_hostile_diagram_is_refused_with_every_problem_named(designer):
    client, runtime = designer
    before = _artifact_count(runtime)
    response = deploy(client, "procesontwerper", "kwaadaardig.bpmn", HOSTILE)
    assert response.status_code == 422, response.json
    problems = response.json["problems"]
    by_element = {}
    for problem in problems:
        assert problem["file"] == "kwaadaardig.bpmn" and problem["line"], problem
        by_element.setdefault(problem["element_id"], []).append(problem["message"])
    assert any("__import__" in m for m in by_element["script"]), problems
    assert any("'tovenaar'" in m for m in by_element["toveren"]), problems
    assert any("'spreuk_gelukt'" in m and "Spreuk gelukt?" in m for m in by_element["f4"]), problems
    assert "er is niets uitgerold" in response.json["message"]
    assert _artifact_count(runtime) == before
    assert client.get("/api/processes/kwaadaardig", "procesontwerper").status_code == 404


def test_validate_only_lists_the_same_problems_and_deploys_nothing(designer):
    client, runtime = designer
    before = _artifact_count(runtime)
    response = client.post("/api/processes/validate", "procesontwerper",
                           json={"filename": "kwaadaardig.bpmn", "content": HOSTILE})
    assert response.status_code == 200
    assert response.json["valid"] is False
    assert {p["element_id"] for p in response.json["problems"]} >= {"script", "toveren", "f4"}
    fine = client.post("/api/processes/validate", "procesontwerper",
                       json={"filename": f"{GI}.bpmn", "content": gi_bpmn()})
    assert fine.json == {"valid": True, "problems": []}
    assert _artifact_count(runtime) == before


def test_a_step_with_a_form_that_is_not_deployed_yet_is_refused_until_the_form_comes_along(designer):
    client, runtime = designer
    version = current_version(client)
    changed = with_optional_check_after_step1(gi_bpmn())
    response = deploy(client, "procesontwerper", f"{GI}.bpmn", changed)
    assert response.status_code == 422
    assert [p["element_id"] for p in response.json["problems"]] == ["stap1b_veiligheidscheck"]
    assert current_version(client) == version
    # Both files in one request: validated together, deployed together.
    response = client.post("/api/processes", "procesontwerper", json={"files": [
        {"filename": f"{GI}.bpmn", "content": changed},
        {"filename": f"forms/{CHECK_FORM}", "content": check_form()},
    ]})
    assert response.status_code == 201, response.json
    deployed = {(a["kind"], a["key"]): a for a in response.json["deployed"]}
    assert deployed[("form", CHECK_FORM)]["version"] == 1
    assert deployed[("bpmn", GI)]["version"] == version + 1
    summary = deployed[("bpmn", GI)]["summary"]
    assert {"gw_check", "stap1b_veiligheidscheck", "gw_na_check", "flow_check_ja"} <= set(summary["added"])
    assert summary["elements"]["stap1b_veiligheidscheck"] == {"kind": "userTask", "name": "Veiligheidscheck"}
    assert summary["connection_changed"] == ["flow_stap1_gw"]
    # Going back to the previous content makes that version current again, under its own number.
    response = deploy(client, "procesontwerper", f"{GI}.bpmn", gi_bpmn())
    assert response.status_code == 201
    assert response.json["deployed"][0]["version"] == 1 and current_version(client) == 1


def test_a_renamed_task_is_a_new_version_while_running_cases_finish_on_their_own(designer):
    client, runtime = designer
    old_case = start_gi(client, "GI-OUD")
    step(client, old_case["id"], "stap1_plan_van_aanpak")
    before = current_version(client)

    response = deploy(client, "procesontwerper", f"{GI}.bpmn",
                      renamed(gi_bpmn(), "Aanbieder zoeken", "Passende aanbieder zoeken"))
    assert response.status_code == 201, response.json
    new_version = response.json["deployed"][0]["version"]
    assert new_version == current_version(client) != before

    assert client.get(f"/api/processes/{GI}/versions", "jeugdbeschermer").status_code == 403
    versions = client.get(f"/api/processes/{GI}/versions", "procesontwerper").json
    latest = next(v for v in versions if v["version"] == new_version)
    assert latest["deployed_by"] == "procesontwerper" and latest["deployed_at"]
    assert latest["summary"]["renamed"] == [
        {"id": "stap3_aanbieder_zoeken", "from": "Aanbieder zoeken", "to": "Passende aanbieder zoeken"}]
    assert next(v for v in versions if v["version"] == before)["running_cases"] >= 1

    new_case = start_gi(client, "GI-NIEUW")
    step(client, new_case["id"], "stap1_plan_van_aanpak")
    assert client.case(new_case["id"])["open_tasks"][0]["title"] == "Passende aanbieder zoeken"
    assert client.case(new_case["id"])["process_version"] == new_version

    old = client.case(old_case["id"])
    assert old["open_tasks"][0]["title"] == "Aanbieder zoeken"
    assert old["process_version"] == before
    for name in ("stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente", "stap5_afstemmen_aanbieder",
                 "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder"):
        step(client, old_case["id"], name)
    final = deliver_and_close(client, old_case["id"])
    assert final["status"] == "completed" and final["process_version"] == before

    with runtime.reading() as session:
        audit = session.execute(select(AuditEvent.actor, AuditEvent.details).where(
            AuditEvent.kind == "artifact_deployed", AuditEvent.case_id.is_(None))).all()
    assert any(d["key"] == GI and d["version"] == new_version and actor == "procesontwerper" for actor, d in audit)
    deploy(client, "procesontwerper", f"{GI}.bpmn", gi_bpmn())  # leave the original current


def test_the_same_content_again_is_200_with_nothing_new(designer):
    client, runtime = designer
    before = _artifact_count(runtime)
    response = deploy(client, "procesontwerper", f"{GI}.bpmn", gi_bpmn())
    assert response.status_code == 200, response.json
    assert response.json["deployed"] == []
    assert response.json["unchanged"][0]["key"] == GI and response.json["unchanged"][0]["current"]
    assert _artifact_count(runtime) == before


def test_forms_follow_the_same_path(designer):
    client, runtime = designer
    path = "gi_verwijsproces/stap2_overleg_lokaal_team.json"
    current = client.get(f"/api/artifacts/form/{path}", "procesontwerper").json
    schema = json.loads(current["content"])

    broken = dict(schema, properties={**schema["properties"], "extra": {"type": "kleur"}})
    response = client.post("/api/processes", "procesontwerper",
                           data={"file": (io.BytesIO(json.dumps(broken).encode()), f"forms/{path}")},
                           content_type="multipart/form-data")
    assert response.status_code == 422, response.json
    assert response.json["problems"][0]["file"] == f"forms/{path}"

    old_title = schema["properties"]["zorghistorie"]["title"]
    schema["properties"]["notitie"] = {"type": "string", "title": "Notitie"}
    schema["properties"]["zorghistorie"]["title"] = "Eerdere hulp"
    response = client.post("/api/processes", "procesontwerper",
                           data={"file": (io.BytesIO(json.dumps(schema).encode()), f"forms/{path}")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    summary = response.json["deployed"][0]["summary"]
    assert summary["fields_added"] == ["notitie"]
    assert summary["fields_renamed"] == [{"field": "zorghistorie", "from": old_title, "to": "Eerdere hulp"}]
    after = client.get(f"/api/artifacts/form/{path}", "procesontwerper").json
    assert [v["version"] for v in after["versions"]] == [current["version"], current["version"] + 1]
    older = client.get(f"/api/artifacts/form/{path}?version={current['version']}", "procesontwerper").json
    assert older["content"] == current["content"] and older["current"] is False


def test_bad_file_names_are_422_with_the_field(designer):
    client, runtime = designer
    for name in ("../../etc/passwd.bpmn", "forms/../x.json", "start.json", "notities.txt", "kwaad ding.bpmn"):
        response = deploy(client, "procesontwerper", name, "<x/>")
        assert response.status_code == 422, (name, response.json)
        assert "file" in response.json["errors"], response.json
    response = client.post("/api/processes", "procesontwerper", json={"filename": f"{GI}.bpmn"})
    assert response.status_code == 422 and "content" in response.json["errors"]


def test_a_restart_does_not_undo_a_deploy(designer):
    client, runtime = designer
    response = deploy(client, "procesontwerper", f"{GI}.bpmn", renamed(gi_bpmn(), "Aanbieder zoeken", "Zoeken"))
    assert response.status_code == 201
    version = response.json["deployed"][0]["version"]
    assert runtime.deploy_from_disk() == []  # what start-up does: the files on disk were deployed before
    assert current_version(client) == version
    deploy(client, "procesontwerper", f"{GI}.bpmn", gi_bpmn())


def test_versions_count_only_the_running_cases_of_the_designers_region(designer):
    client, runtime = designer
    start_gi(client, "GI-REGIO-TELLING")
    with runtime.transaction() as session:
        other = Organisation(key="regio-elders", name="Regio Elders", kind="regio", settings={})
        session.add(other)
        session.flush()
        session.add(User(username="ontwerper-elders", display_name="Ontwerper elders", organisation_id=other.id,
                         roles=["procesontwerper"], password_hash=hash_password(demo.PASSWORD)))
        session.commit()

    ours = client.get(f"/api/processes/{GI}/versions", "procesontwerper")
    theirs = client.get(f"/api/processes/{GI}/versions", "ontwerper-elders")
    assert ours.status_code == theirs.status_code == 200
    assert sum(v["running_cases"] for v in ours.json) >= 1
    assert [v["running_cases"] for v in theirs.json] == [0] * len(theirs.json)
    assert client.get(f"/api/processes/{GI}/versions", "regiocoordinator").status_code == 403


def test_reading_processes_writes_nothing(fresh):
    client, runtime = fresh
    for user in ("jeugdbeschermer", "regiocoordinator"):
        client.token(user)  # logging in is not what this test looks at
    writes: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(runtime.db, "before_cursor_execute", record)
    try:  # a fresh deploy: no case has started, so no bundle row exists yet
        assert client.get(f"/api/processes/{GI}", "jeugdbeschermer").json["start_form"]["properties"]["gemeente"]
        assert client.get("/api/processes", "jeugdbeschermer").status_code == 200
        assert client.get(f"/api/monitor/heatmap?process={GI}", "regiocoordinator").status_code == 200
        assert writes == []
        case = start_gi(client, "GI-EERSTE")  # the first start writes the bundle its case runs on
    finally:
        event.remove(runtime.db, "before_cursor_execute", record)
    assert any("bundles" in statement for statement in writes)
    with runtime.reading() as session:
        assert session.scalar(select(func.count()).select_from(Bundle)) == 1
    assert client.case(case["id"])["process_version"] == current_version(client)

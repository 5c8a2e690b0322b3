"""Claiming, releasing and assigning tasks, and the inbox filters."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import demo
from engine.directory import hash_password
from engine.models import AuditEvent, Organisation, User
from engine.scripting import AMSTERDAM

from .conftest import BACKENDS, Client, build_app
from .gi_steps import GEMEENTE_MANDAAT, STEP_DATA, start_gi, step


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp("claims"))
    with runtime.transaction() as session:
        gi = session.scalar(select(Organisation.id).where(Organisation.key == "gi-jbb"))
        session.add(User(username="collega", display_name="Tweede jeugdbeschermer (test)",
                         password_hash=hash_password(demo.PASSWORD), organisation_id=gi, roles=["jeugdbeschermer"]))
        session.commit()
    yield Client(app)
    runtime.dispose()
    database.drop()


def _post(client, task_id, action, user, **body):
    return client.post(f"/api/tasks/{task_id}/{action}", user, json=body if body else None)


def test_claim_unclaim_and_assign(client):
    case = start_gi(client, "GI-CLAIM")
    task = client.open_task(case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    assert task["claimed_by"] is None

    claimed = _post(client, task["id"], "claim", "jeugdbeschermer")
    assert claimed.status_code == 200 and claimed.json["claimed_by_name"] == "jeugdbeschermer"
    assert _post(client, task["id"], "claim", "jeugdbeschermer").status_code == 409
    taken = _post(client, task["id"], "claim", "collega")
    assert taken.status_code == 409 and "jeugdbeschermer" in taken.json["message"]
    # Only the one who holds it can complete it.
    blocked = client.post(f"/api/tasks/{task['id']}/complete", "collega", json={"data": STEP_DATA["stap1_plan_van_aanpak"]})
    assert blocked.status_code == 409

    released = _post(client, task["id"], "unclaim", "collega")  # a colleague may release it
    assert released.status_code == 200 and released.json["claimed_by"] is None
    assert _post(client, task["id"], "unclaim", "collega").status_code == 409

    assigned = _post(client, task["id"], "assign", "jeugdbeschermer", username="collega")
    assert assigned.status_code == 200 and assigned.json["claimed_by_name"] == "collega"
    assert _post(client, task["id"], "assign", "jeugdbeschermer", username="collega").status_code == 409
    assert client.post(f"/api/tasks/{task['id']}/complete", "jeugdbeschermer",
                       json={"data": STEP_DATA["stap1_plan_van_aanpak"]}).status_code == 409
    done = client.post(f"/api/tasks/{task['id']}/complete", "collega", json={"data": STEP_DATA["stap1_plan_van_aanpak"]})
    assert done.status_code == 200
    assert _post(client, task["id"], "claim", "jeugdbeschermer").status_code == 409  # already done

    runtime = client.app.extensions["verwijsflow"]
    with runtime.reading() as session:
        kinds = [(e.kind, e.actor, e.details.get("assigned_to")) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case["id"], AuditEvent.kind.like("task_%"))
            .order_by(AuditEvent.id))]
    assert kinds == [("task_claimed", "jeugdbeschermer", None), ("task_unclaimed", "collega", None),
                     ("task_assigned", "jeugdbeschermer", "collega"), ("task_completed", "collega", None)]


def test_who_may_claim_and_to_whom_a_task_can_be_assigned(client):
    case = start_gi(client, "GI-TOEWIJZEN")
    task = client.open_task(case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    assert _post(client, task["id"], "claim", "gemeente").status_code == 403  # a party, not this task's role
    assert _post(client, task["id"], "claim", "jeugdbeschermer2").status_code == 404  # another GI
    assert _post(client, task["id"], "claim", "regiocoordinator").status_code == 403
    assert _post(client, "bestaat-niet", "claim", "jeugdbeschermer").status_code == 404
    for username, reason in (("lokaalteam", "organisatie"), ("plaatsingscoordinator", "rol"),
                             ("niemand", "bestaat niet")):
        response = _post(client, task["id"], "assign", "jeugdbeschermer", username=username)
        assert response.status_code == 422, username
        assert reason in response.json["errors"]["username"][0]
    assert _post(client, task["id"], "assign", "jeugdbeschermer").status_code == 422  # username missing
    assert client.open_task(case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")["claimed_by"] is None


def test_inbox_filters(client):
    mine = start_gi(client, "GI-FILTER-1", gemeente=GEMEENTE_MANDAAT)
    other = start_gi(client, "GI-FILTER-2", gemeente=GEMEENTE_MANDAAT)
    for case in (mine, other):
        for name in ("stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap5_afstemmen_aanbieder",
                     "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "stap8a_verzoek_om_toewijzing"):
            step(client, case["id"], name)
    answer = client.open_task(mine["id"], "gemeente2", "stap8b_reactie_gemeente")
    _post(client, answer["id"], "claim", "gemeente2")

    def ids(query):
        response = client.get(f"/api/tasks{query}", "gemeente2")
        assert response.status_code == 200, response.json
        return {t["id"] for t in response.json if t["case_id"] in (mine["id"], other["id"])}

    both = ids("")
    assert answer["id"] in both and len(both) == 2
    assert ids("?unassigned=true") == both - {answer["id"]}
    assert ids("?unassigned=false") == {answer["id"]}
    assert ids("?lane=gemeente") == both and ids("?lane=lokaalteam") == set()
    assert ids("?overdue=true") == set() and ids("?overdue=false") == both
    due = datetime.fromisoformat(answer["due_at"]).astimezone(AMSTERDAM).date()
    assert ids(f"?due_before={due.isoformat()}") == set()  # due at the end of that day, not before it starts
    assert ids(f"?due_before={(due + timedelta(days=1)).isoformat()}") == both
    assert client.get("/api/tasks?lane=ret", "gemeente2").status_code == 422
    assert client.get("/api/tasks?overdue=misschien", "gemeente2").status_code == 422
    assert client.get("/api/tasks?due_before=morgen", "gemeente2").status_code == 422
    # Most urgent first: tasks with a due date come before tasks without one.
    listed = client.get("/api/tasks", "jeugdbeschermer").json
    dues = [t["due_at"] is None for t in listed]
    assert dues == sorted(dues)

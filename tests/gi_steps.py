"""Form data for each step of the GI verwijsproces and the opschaalroute, and small walkers.

Shared by the path tests and the benchmarks. Each function completes one step over HTTP as
the demo user of the step's lane.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.access import SYSTEM
from engine.models import Timer
from engine.scripting import AMSTERDAM, as_moment
from engine.simulation import AANBIEDER, GEMEENTE_MANDAAT, GEMEENTE_OVERLEG, PRODUCT, START, STEP_DATA

__all__ = ["AANBIEDER", "GEMEENTE_MANDAAT", "GEMEENTE_OVERLEG", "PRODUCT", "START", "STEP_DATA"]

LANE_USERS = {
    "jeugdbeschermer": "jeugdbeschermer",
    "plaatsingscoordinator": "plaatsingscoordinator",
    "lokaalteam": "lokaalteam",
    "gemeente": "gemeente",
    "aanbieder": "aanbieder",
    "gedragswetenschapper": "gedragswetenschapper",
    "ret": "ret",
    "ben": "ben",
}


def runtime_of(client):
    return client.app.extensions["verwijsflow"]


def today(client) -> str:
    """The virtual clock's date: tests that move the clock start their cases on 'today'."""
    return runtime_of(client).clock.now().astimezone(AMSTERDAM).date().isoformat()


def start_gi(client, reference: str, gemeente: str = GEMEENTE_OVERLEG, user: str = "jeugdbeschermer",
             ingangsdatum: str | None = None) -> dict:
    """Start a GI case whose measure began today (so the doorbraak deadline is 3 months out)."""
    data = {**START, "ingangsdatum_maatregel": ingangsdatum or today(client), "gemeente": gemeente,
            "casusreferentie": reference}
    return client.start("gi_verwijsproces", data, user)


def move_clock_to(client, moment) -> list[int]:
    """Advance the virtual clock (demo mode) to `moment`, firing the timers it passes; when
    the clock is already past it, just fire what is due (as the scheduler would)."""
    runtime = runtime_of(client)
    moment = as_moment(moment)
    if moment <= runtime.clock.now():
        return runtime.timers.fire_due()
    return runtime.timers.move_clock(SYSTEM, moment)


def wait_for_ret_meeting(client, case_id: int) -> datetime | None:
    """Let the virtual clock run to the RET meeting the case was planned in (any process that
    calls the opschaalroute); returns the meeting's moment. A meeting today needs no waiting:
    its timer fired within the step that planned it."""
    with runtime_of(client).reading() as session:
        meeting = session.scalar(select(Timer.due_at).where(
            Timer.case_id == case_id, Timer.element_id == "wachten_op_ret_vergadering", Timer.status == "waiting"))
    if meeting is not None:
        move_clock_to(client, meeting + timedelta(minutes=1))
    return meeting


def sees_case_without_data(client, case_id: int, user: str) -> dict:
    """`user` sees the case (in the list too) with its status, open steps and history, but not
    its data, the history's details or the iJw payloads; returns the case view."""
    response = client.get(f"/api/cases/{case_id}", user)
    assert response.status_code == 200, response.json
    view = response.json
    assert view["data"] is None and view["ijw_messages"] == []
    assert view["history"] and all(h["details"] == {} for h in view["history"])
    assert any(c["id"] == case_id for c in client.get("/api/cases", user).json)
    return view


def open_names(client, case_id: int) -> list[str]:
    return sorted(t["name"] for t in client.case(case_id)["open_tasks"])


def user_for(case: dict, lane: str) -> str:
    """The demo user who holds the ball for this lane on this case."""
    if lane in ("gemeente", "lokaalteam") and case["parties"]["gemeente"] == "Gemeente Bergen op Zoom":
        return "gemeente2"
    return LANE_USERS[lane]


def step(client, case_id: int, name: str, **overrides) -> dict:
    """Complete the open task `name` as the demo user of its lane, with the standard data;
    an override of None leaves that field out."""
    case = client.case(case_id)
    task = next((t for t in case["open_tasks"] if t["name"] == name), None)
    assert task is not None, f"{name} is niet open; open: {open_names(client, case_id)}"
    data = {k: v for k, v in {**STEP_DATA[name], **overrides}.items() if v is not None}
    return client.complete(case_id, user_for(case, task["lane"]), name, **data)


def deliver_and_close(client, case_id: int) -> dict:
    """Steps 8–10 for a case whose referral (steps 6–7) is done: care starts, runs, stops."""
    step(client, case_id, "stap8a_verzoek_om_toewijzing")
    step(client, case_id, "stap8b_reactie_gemeente")
    step(client, case_id, "stap9_start_jeugdhulp")
    assert open_names(client, case_id) == ["stop_jeugdhulp_melden", "voortgang_bespreken"]
    step(client, case_id, "voortgang_bespreken")
    step(client, case_id, "stop_jeugdhulp_melden")
    assert open_names(client, case_id) == ["afsluitende_evaluatie"]
    return step(client, case_id, "afsluitende_evaluatie")

"""A small, lived-in region for the UI tests and screenshots: cases started weeks ago on a
clock that is moved forward step by step, some done, some waiting, some overdue.

Walked over the API by the demo users of each lane (tests/gi_steps.py), so every case is
as the engine made it. The engine sets due dates from the BPMN's norms; some open tasks get
theirs set directly here, to tell the story the pages show.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from engine import demo
from engine.clock import Clock
from engine.config import ROOT, Settings
from engine.models import Timer, WorkItem
from engine.runtime import Runtime
from webapi import create_app

from .conftest import Client, make_database
from .gi_steps import GEMEENTE_MANDAAT, GEMEENTE_OVERLEG, START, STEP_DATA, start_gi, user_for


class TravelClock(Clock):
    """Real time shifted by an offset the test moves; held still while `stopped`."""

    def __init__(self):
        self.offset = timedelta(0)
        self.held: datetime | None = None

    def now(self) -> datetime:
        return self.held or datetime.now(UTC) + self.offset

    @contextmanager
    def stopped(self):
        """Time stands still inside, so two requests see the same moment."""
        self.held = self.now()
        try:
            yield
        finally:
            self.held = None

    def days_ago(self, days: float) -> None:
        self.offset = -timedelta(days=days)

    def back_to_now(self) -> None:
        self.offset = timedelta(0)


@dataclass
class World:
    app: object
    runtime: Runtime
    clock: TravelClock
    api: Client
    cases: dict[str, int] = field(default_factory=dict)  # reference -> case id

    def id(self, reference: str) -> int:
        return self.cases[reference]


def build_world(tmp_path: Path, backend: str = "sqlite"):
    database = make_database(backend, tmp_path)
    settings = Settings.from_env(
        database_url=database.url, instance_dir=tmp_path / "instance", processes_dir=ROOT / "processes",
        forms_dir=ROOT / "forms", secret_key="test-secret",
    )
    clock = TravelClock()
    runtime = Runtime(settings, clock=clock)
    app = create_app(runtime=runtime)
    with runtime.transaction() as session:
        demo.load(session)
        session.commit()
    world = World(app, runtime, clock, Client(app))
    _populate(world)
    return world, database


def _start(world: World, reference: str, days_ago: float, care_after_days: int, gemeente: str = GEMEENTE_OVERLEG,
           user: str = "jeugdbeschermer") -> int:
    """Start a case `days_ago`; its measure began `care_after_days` before care starts (21 Oct 2026)."""
    world.clock.days_ago(days_ago)
    ingang = date(2026, 10, 21) - timedelta(days=care_after_days)
    case = world.api.start("gi_verwijsproces", {**START, "gemeente": gemeente, "casusreferentie": reference,
                                                "ingangsdatum_maatregel": ingang.isoformat()}, user)
    world.cases[reference] = case["id"]
    return case["id"]


def _walk(world: World, case_id: int, days_ago: float, steps: list, every: float = 3.0,
          gi_user: str = "jeugdbeschermer") -> float:
    """Complete steps, moving the clock `every` days before each; returns where the clock is."""
    for item in steps:
        name, overrides = (item, {}) if isinstance(item, str) else item
        days_ago -= every
        world.clock.days_ago(days_ago)
        _step(world.api, case_id, name, gi_user, **overrides)
    return days_ago


def _step(api: Client, case_id: int, name: str, gi_user: str, **overrides) -> None:
    """gi_steps.step, for a case of any GI."""
    case = api.case(case_id, gi_user)
    task = next(t for t in case["open_tasks"] if t["name"] == name)
    user = gi_user if task["lane"] == "jeugdbeschermer" else user_for(case, task["lane"])
    data = {k: v for k, v in {**STEP_DATA[name], **overrides}.items() if v is not None}
    api.complete(case_id, user, name, **data)


def _attend_ret_meeting(world: World, case_id: int) -> float:
    """The case waits for its RET meeting (a timer): run the world's clock to it and fire the
    timer, as the scheduler would; returns how many days ago that was."""
    with world.runtime.reading() as session:
        meeting = session.scalar(select(Timer.due_at).where(
            Timer.case_id == case_id, Timer.element_id == "wachten_op_ret_vergadering", Timer.status == "waiting"))
    days_ago = (datetime.now(UTC) - meeting).total_seconds() / 86400 - 1 / 1440
    world.clock.days_ago(days_ago)
    world.runtime.timers.fire_due()
    return days_ago


def set_due(world: World, case_id: int, element_id: str, due: datetime) -> None:
    """What the deadlines issue will do from the BPMN's dueNorm: give an open task a due date."""
    with world.runtime.transaction() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.case_id == case_id, WorkItem.element_id == element_id, WorkItem.status == "open")
            .values(due_at=due)
        )
        session.commit()


SEARCH = ["stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente",
          "stap5_afstemmen_aanbieder"]
REFERRAL = ["stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder"]
TO_RET = ["stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente",
          ("stap5_afstemmen_aanbieder", {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": False}),
          ("a1_hulp_buiten_aanbod", {"passend_buiten_aanbod": False, "aanbieder": None})]


def _deliver(outcome: str = "doelen_behaald") -> list:
    return ["stap8a_verzoek_om_toewijzing", "stap8b_reactie_gemeente", "stap9_start_jeugdhulp", "voortgang_bespreken",
            "stop_jeugdhulp_melden", ("afsluitende_evaluatie", {"resultaat": outcome})]


def _populate(world: World) -> None:
    # Finished cases: contracted, niet-gecontracteerd (A1/A2), via the RET, and one of the second GI.
    case = _start(world, "GI-2026-0101", days_ago=95, care_after_days=24)
    _walk(world, case, 95, SEARCH + REFERRAL + _deliver(), every=2)

    case = _start(world, "GI-2026-0102", days_ago=90, care_after_days=58, gemeente=GEMEENTE_MANDAAT)
    _walk(world, case, 90, [
        "stap1_plan_van_aanpak", "stap3_aanbieder_zoeken",
        ("stap5_afstemmen_aanbieder", {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": False}),
        "a1_hulp_buiten_aanbod", "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "a2_maatwerkcontract",
    ] + _deliver("niet_haalbaar"), every=3)

    case = _start(world, "GI-2026-0103", days_ago=85, care_after_days=104)
    days = _walk(world, case, 85, TO_RET, every=3)
    _walk(world, case, days, ["consultatie_gedragswetenschapper", "aanmelden_ret"], every=5)
    days = _attend_ret_meeting(world, case)
    _walk(world, case, days, ["ret_bespreking"] + REFERRAL + _deliver(), every=5)

    case = _start(world, "WSG-2026-0201", days_ago=70, care_after_days=40, user="jeugdbeschermer2")
    _walk(world, case, 70, SEARCH + REFERRAL + _deliver("uitval"), every=3, gi_user="jeugdbeschermer2")

    # Running cases.
    case = _start(world, "GI-2026-0104", days_ago=60, care_after_days=150)  # at the RET: its meeting was held
    days = _walk(world, case, 60, TO_RET, every=4)
    _walk(world, case, days, ["consultatie_gedragswetenschapper", "aanmelden_ret"], every=5)
    _attend_ret_meeting(world, case)
    set_due(world, case, "ret_bespreking", _days_ago(-3))

    case = _start(world, "GI-2026-0105", days_ago=48, care_after_days=130)  # stuck at step 5
    _walk(world, case, 48, SEARCH[:3], every=4)
    set_due(world, case, "stap5_afstemmen_aanbieder", _days_ago(12))

    case = _start(world, "GI-2026-0106", days_ago=40, care_after_days=90)  # stuck at the gemeente (JW315 answer)
    _walk(world, case, 40, SEARCH + REFERRAL + ["stap8a_verzoek_om_toewijzing"], every=3)
    set_due(world, case, "stap8b_reactie_gemeente", _days_ago(4))

    case = _start(world, "GI-2026-0108", days_ago=9, care_after_days=60)  # searching, due next week
    _walk(world, case, 9, ["stap1_plan_van_aanpak"], every=2)
    set_due(world, case, "stap3_aanbieder_zoeken", _days_ago(-6))

    case = _start(world, "GI-2026-0109", days_ago=20, care_after_days=75)  # step 5 looped back to 3
    _walk(world, case, 20, SEARCH[:3] + [
        ("stap5_afstemmen_aanbieder", {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": True}),
    ] + SEARCH[1:3], every=2)
    set_due(world, case, "stap5_afstemmen_aanbieder", _days_ago(2))

    world.clock.back_to_now()
    # Fresh today: the jeugdbeschermer's plan van aanpak (the form the browser test fills in).
    case = start_gi(world.api, "GI-2026-0107")
    world.cases["GI-2026-0107"] = case["id"]


def _days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)

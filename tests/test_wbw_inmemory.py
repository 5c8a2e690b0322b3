"""The WBW process in memory (SpiffWorkflow and the engine's safe script engine, no database):
the timers driven by the engine's clock, and the payments of every profiel-intensiteit
combination through the process's own scripts and tables.

Each submission is validated with the engine's form validation first, with the case data so
far, so the forms' rules (x-voorwaarden) hold here too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import forms
from engine.frontier import Workflow
from engine.parsing import Parser
from engine.scripting import SafeScriptEngine

from .test_wbw_dmn import SEED_MAX_TRANCHES, SEED_TARIFFS
from .wbw_steps import AANBIEDER, BORN, GEMEENTE, STEP_DATA, TODAY

ROOT = Path(__file__).resolve().parent.parent
ORGANISATIONS = {"gemeente": [(GEMEENTE, "Gemeente Roosendaal")],
                 "aanbieder": [(AANBIEDER, "Jeugdhulp De Horizon"), ("aanbieder-zuidwest", "Gezinsbegeleiding Zuidwest")]}


@cache
def _specs():
    parser = Parser()
    for path in sorted((ROOT / "processes").glob("*.bpmn")):
        parser.add_bpmn_text(path.read_text(encoding="utf-8"), path.name)
    for path in sorted((ROOT / "processes").glob("*.dmn")):
        parser.add_dmn_text(path.read_text(encoding="utf-8"), path.name)
    return parser.specs_for("wbw_toewijzing")


@cache
def _form(name: str) -> dict:
    schema = json.loads((ROOT / "forms" / "wbw_toewijzing" / f"{name}.json").read_text(encoding="utf-8"))
    return forms.resolve(schema, lambda kind: ORGANISATIONS[kind])


class Case:
    """One case in memory, on a clock the test moves."""

    def __init__(self, age: int = 9, **start):
        self.now = TODAY
        spec, subprocess_specs = _specs()
        self.workflow = Workflow(spec, subprocess_specs, script_engine=SafeScriptEngine(clock=lambda: self.now))
        data = {"gemeente": GEMEENTE, "casusreferentie": "MEM-1", "geboortedatum": BORN[age],
                "verwijzer": "gemeentelijke_toegang", **start}
        forms.validate(_form("start"), data)
        self.workflow.task_tree.data.update(data)
        self.workflow.do_engine_steps()

    def ready(self) -> list[str]:
        return sorted(t.task_spec.name for t in self.workflow.get_tasks(state=TaskState.READY, manual=True))

    @property
    def data(self) -> dict:
        task = self.workflow.last_task
        active = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        return (active[0] if active else task).data

    def step(self, name: str, **overrides) -> None:
        task = next(t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == name)
        submitted = {k: v for k, v in {**STEP_DATA[name], **overrides}.items() if v is not None}
        forms.validate(_form(name), submitted, case_data=task.data)
        task.data.update(submitted)
        task.run()
        self.workflow.do_engine_steps()

    def advance(self, to: datetime) -> None:
        self.now = to
        self.workflow.refresh_timers()
        self.workflow.do_engine_steps()


def _to_care(case: Case, profiel: int, intensiteit: str | None, tranches: int | None = None) -> None:
    case.step("gesprek")
    case.step("gezinsplan_deel1")
    case.step("gezinsplan_deel2")
    case.step("profielkeuze", profiel=profiel, voucher=intensiteit is None)
    case.step("aanbieder_kiezen")
    if intensiteit is not None:
        case.step("intake_arrangement", profiel=profiel, intensiteit=intensiteit, tranches=tranches)
        case.step("instemming_arrangement")
        case.step("arrangement_toetsen")
    case.step("toewijzing_versturen")
    case.step("start_zorg_melden")


# -- timers on the engine's clock ---------------------------------------------------------------

def test_duurzaam_ends_by_timer_on_the_day_before_the_18th_birthday():
    case = Case(age=17, verwijzer="gemeentelijke_toegang")
    _to_care(case, 9, "duurzaam", 12)
    assert case.ready() == ["zorg_loopt_duurzaam"]
    timer = next(t for t in case.workflow.get_tasks(state=TaskState.WAITING)
                 if t.task_spec.name == "achttiende_verjaardag")
    assert timer is not None
    case.advance(datetime(2026, 9, 8, 12, 0, tzinfo=UTC))  # not yet
    assert case.ready() == ["zorg_loopt_duurzaam"]
    case.advance(datetime(2026, 9, 9, 0, 30, tzinfo=UTC))  # 02:30 in Amsterdam on the 9th
    assert case.ready() == ["einde_vaststellen"]
    assert (case.data["einde_reden"], case.data["Einddatum"]) == ("achttien_jaar", "2026-09-09")
    case.step("einde_vaststellen", warme_overdracht="Overdracht naar de Wmo")
    tranches = [b for b in case.data["betalingen"] if b["soort"] == "tranche"]
    assert len(tranches) == 6 and all(b["moment"] <= "2026-09-09" for b in tranches)
    assert case.data["arrangementen"][0]["einde_reden"] == "achttien_jaar"


def test_the_guarantee_period_closes_the_case_after_12_months():
    case = Case()
    _to_care(case, 2, "perspectief")
    case.step("zorg_loopt", zorg_vervolg="einde")
    case.step("stop_zorg_melden")
    case.step("einde_vaststellen")
    assert case.data["garantie_tot"] == "2027-09-30"
    case.step("einde_ondersteuning")
    assert not case.workflow.completed
    case.advance(datetime(2027, 9, 29, 12, 0, tzinfo=UTC))
    assert not case.workflow.completed
    case.advance(datetime(2027, 9, 30, 0, 0, tzinfo=UTC) + timedelta(hours=1))
    assert case.workflow.completed


def test_a_non_duurzaam_arrangement_has_no_18th_birthday_timer():
    case = Case(age=17)
    _to_care(case, 2, "intensief")
    assert case.ready() == ["zorg_loopt"]
    case.advance(datetime(2026, 12, 1, tzinfo=UTC))
    assert case.ready() == ["zorg_loopt"]


# -- the payments of every combination -------------------------------------------------------------

COMBINATIONS = [(p, i) for (p, i) in sorted(SEED_TARIFFS, key=str) if not (p == 10 and i == "acuut")]


@pytest.mark.parametrize("profiel, intensiteit", COMBINATIONS, ids=str)
def test_payments_of_every_combination_follow_the_seeds_tariffs(profiel, intensiteit):
    tariff = SEED_TARIFFS[(profiel, intensiteit)]
    case = Case()
    duurzaam = intensiteit.startswith("duurzaam")
    tranches = SEED_MAX_TRANCHES[profiel] if duurzaam else None
    if intensiteit == "voucher":
        _to_care(case, 1, None)
    else:
        _to_care(case, profiel, intensiteit, tranches)
    task = "zorg_loopt_duurzaam" if duurzaam else "zorg_loopt"
    case.step(task, zorg_vervolg="einde")
    case.step("stop_zorg_melden", Einddatum="2027-03-31")
    case.step("einde_vaststellen")
    owed = [(b["soort"], b["bedrag"]) for b in case.data["betalingen"]]
    if duurzaam:
        assert owed == [("tranche", tariff)] * tranches
    elif intensiteit in ("voucher", "acuut"):
        assert owed == [("start", tariff)]
    else:
        assert owed == [("start", tariff / 2), ("einde", tariff / 2)]
    assert sum(amount for _soort, amount in owed) == tariff * (tranches or 1)

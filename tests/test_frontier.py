"""engine.frontier's workflows behave exactly like SpiffWorkflow's own on every GI path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.config import ROOT
from engine.frontier import Workflow
from engine.library import read_sources
from engine.parsing import Parser
from engine.scripting import SafeScriptEngine, as_moment

from .gi_steps import GEMEENTE_OVERLEG, START, STEP_DATA

RET_MEETING = "de RET-vergadering"  # not a task: the clock runs to the meeting the case was planned in
NOT_TIJDIG = {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": True}
GEEN_ALTERNATIEF = {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": False}
DELIVERY = ["stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "stap8a_verzoek_om_toewijzing",
            "stap8b_reactie_gemeente", "stap9_start_jeugdhulp", "voortgang_bespreken", "voortgang_bespreken",
            "stop_jeugdhulp_melden", "afsluitende_evaluatie"]

PATHS = {
    "happy": ["stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente",
              "stap5_afstemmen_aanbieder", *DELIVERY],
    "loop_with_bridging": [
        "stap1_plan_van_aanpak",
        *(["stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente",
           ("stap5_afstemmen_aanbieder", {**NOT_TIJDIG, "overbruggingszorg_nodig": True})] * 6),
        "overbruggingszorg_inzetten", "stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente",
        "stap5_afstemmen_aanbieder", *DELIVERY],
    "a1_a2": ["stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente",
              ("stap5_afstemmen_aanbieder", GEEN_ALTERNATIEF), "a1_hulp_buiten_aanbod", "stap6_bepaling_jeugdhulp",
              "a2_maatwerkcontract", "stap7_aanmelden_aanbieder", *DELIVERY[2:]],
    "ret_then_ben": ["stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente",
                     ("stap5_afstemmen_aanbieder", GEEN_ALTERNATIEF),
                     ("a1_hulp_buiten_aanbod", {"passend_buiten_aanbod": False}),
                     "consultatie_gedragswetenschapper", "aanmelden_ret", RET_MEETING,
                     ("ret_bespreking", {"passende_zorg": False}), "opschalen_ben", "ben_advies",
                     "stap6_bepaling_jeugdhulp", "stap7_aanmelden_aanbieder", "a2_maatwerkcontract", *DELIVERY[2:]],
}


@pytest.fixture(scope="module")
def specs():
    parser = Parser()
    for source in read_sources(ROOT / "processes", ROOT / "forms"):
        if source.kind == "bpmn":
            parser.add_bpmn_text(source.text, source.filename)
    return parser.specs_for("gi_verwijsproces")


class Clock:
    """The virtual clock both workflows of a path share: the day after the ingangsdatum."""

    def __init__(self):
        self.now = as_moment(START["ingangsdatum_maatregel"]) + timedelta(days=1, hours=9)

    def __call__(self) -> datetime:
        return self.now


def _start(cls, specs, clock):
    workflow = cls(*specs, script_engine=SafeScriptEngine(clock=clock))
    workflow.task_tree.data.update({**START, "gemeente": GEMEENTE_OVERLEG, "casusreferentie": "F-1", "gi": "gi-jbb",
                                    "gemeente_mandateert_gi": False,
                                    "ret_schema": {"eerste_vergadering": "2026-01-08", "interval_dagen": 14}})
    workflow.do_engine_steps()
    return workflow


def _tree(workflow) -> list:
    """Every task of the tree (and subprocesses) in SpiffWorkflow's own depth-first walk."""
    return [(t.task_spec.name, TaskState.get_name(t.state), sorted(t.data)) for t in
            BpmnWorkflow.get_tasks(workflow)]


@pytest.mark.parametrize("path", list(PATHS))
def test_same_ready_tasks_in_the_same_order_as_spiffworkflow(specs, path):
    clock = Clock()
    plain, fast = _start(BpmnWorkflow, specs, clock), _start(Workflow, specs, clock)
    for entry in PATHS[path]:
        if entry == RET_MEETING:
            meeting = next(t for t in plain.get_tasks(spec_name="wachten_op_ret_vergadering")).data["ret_vergaderdatum"]
            clock.now = max(clock.now, as_moment(meeting).astimezone(UTC) + timedelta(minutes=1))
            for workflow in (plain, fast):
                workflow.refresh_timers()
                workflow.do_engine_steps()
            continue
        name, extra = entry if isinstance(entry, tuple) else (entry, {})
        for state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            assert [t.id for t in fast.get_tasks(state=state)] == \
                   [t.id for t in BpmnWorkflow.get_tasks(fast, state=state)]
        ready_plain = [t.task_spec.name for t in plain.get_tasks(state=TaskState.READY, manual=True)]
        ready_fast = [t.task_spec.name for t in fast.get_tasks(state=TaskState.READY, manual=True)]
        assert ready_fast == ready_plain, (path, name)
        for workflow in (plain, fast):
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == name)
            task.data.update({k: v for k, v in {**STEP_DATA[name], **extra}.items() if v is not None})
            task.run()
            workflow.do_engine_steps()
        assert _tree(fast) == _tree(plain), (path, name)
    assert plain.completed and fast.completed

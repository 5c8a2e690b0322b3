"""The WBW decision tables, each evaluated by SpiffWorkflow's DMN engine through a business
rule task and the safe script engine, against the seed (Jeugdhulpcatalogus WBW)."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

import pytest
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.errors import InvalidData
from engine.forms import validate
from engine.frontier import Workflow
from engine.parsing import Parser
from engine.scripting import SafeScriptEngine

ROOT = Path(__file__).resolve().parent.parent

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="beslis" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:businessRuleTask id="regel">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="einde"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="regel"/>
    <bpmn:sequenceFlow id="f2" sourceRef="regel" targetRef="einde"/>
  </bpmn:process>
</bpmn:definitions>
"""


@cache
def _spec(dmn_file: str, decision: str):
    parser = Parser()
    parser.add_dmn_text((ROOT / "processes" / dmn_file).read_text(encoding="utf-8"), dmn_file)
    parser.add_bpmn_text(BPMN.format(decision=decision), "beslis.bpmn")
    return parser.specs_for("beslis")


def _run(dmn_file: str, decision: str, **inputs):
    spec, subprocess_specs = _spec(dmn_file, decision)
    workflow = Workflow(spec, subprocess_specs, script_engine=SafeScriptEngine())
    workflow.task_tree.data.update(inputs)
    workflow.do_engine_steps()
    assert workflow.completed
    return next(t for t in workflow.get_tasks() if t.task_spec.name == "regel")


def decide(dmn_file: str, decision: str, **inputs) -> dict:
    """The outputs the table adds (inputs left out)."""
    task = _run(dmn_file, decision, **inputs)
    return {k: v for k, v in task.data.items() if k not in inputs}


def matching_rules(dmn_file: str, decision: str, **inputs) -> list[int]:
    """Row numbers of every rule that matches, not just the first: UNIQUE means exactly one."""
    task = _run(dmn_file, decision, **inputs)
    table = copy.copy(task.task_spec.dmnEngine.decision_table)
    table.hit_policy = "COLLECT"
    return [rule.row_number for rule in DMNEngine(table).decide(task)]


# ---------------------------------------------------------------------------------------------
# Tarieven 2023 — the seed's table as printed ("Tarieven laagcomplex"; columns Acuut,
# Perspectief, Intensief, Duurzaam, maximum aantal tranches)
# ---------------------------------------------------------------------------------------------

SEED_TABLE = """
Profiel 1  | € 1.236,- | € 3.920,- | € 6.604,-  | € 1.288,- | 12 tranches
Profiel 2  | € 1.236,- | € 1.848,- | € 4.402,-  | € 1.288,- | 3 tranches
Profiel 3  | € 1.236,- | € 694,-   | € 2.672,-  | € 1.288,- | 3 tranches
Profiel 4  | € 1.236,- | € 5.152,- | € 10.302,- | € 1.288,- | 3 tranches
Profiel 5  | € 1.236,- | € 1.848,- | € 4.968,-  | € 1.288,- | 3 tranches
Profiel 6  | € 1.236,- | € 8.962,- | € 18.886,- | € 1.288,- | 6 tranches
Profiel 7  | € 1.236,- | € 1622,-  | € 5.520,-  | € 1.288,- | 12 tranches
Profiel 8  | € 1.236,- | € 6.714,- | € 9.730,-  | € 1.818,- | 12 tranches
Profiel 9  | € 1.236,- | € 9.238,- | € 12.022,- | € 1.288,- | 12 tranches
Profiel 10 | € 1.236,- | € -       | € -        | € 2.114,- (licht) € 3.210,- (zwaar) | 12 tranches
Voucher    | € 376,-
"""


def _euros(cell: str) -> list[int]:
    return [int(amount.replace(".", "")) for amount in re.findall(r"€\s*([\d.]+),-", cell)]


def _seed_tariffs() -> dict[tuple[int | None, str], int]:
    tariffs = {}
    for line in SEED_TABLE.strip().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if cells[0] == "Voucher":
            tariffs[(None, "voucher")] = _euros(cells[1])[0]
            continue
        profiel = int(cells[0].split()[1])
        for intensiteit, cell in zip(("acuut", "perspectief", "intensief"), cells[1:4], strict=True):
            for amount in _euros(cell):  # "€ -": no such combination
                tariffs[(profiel, intensiteit)] = amount
        duurzaam = _euros(cells[4])
        if profiel == 10:
            tariffs[(10, "duurzaam_licht")], tariffs[(10, "duurzaam_zwaar")] = duurzaam
        else:
            tariffs[(profiel, "duurzaam")] = duurzaam[0]
    return tariffs


SEED_TARIFFS = _seed_tariffs()
SEED_MAX_TRANCHES = {int(line.split("|")[0].split()[1]): int(line.split("|")[-1].split()[0])
                     for line in SEED_TABLE.strip().splitlines() if line.startswith("Profiel")}


def test_the_seed_table_was_read_completely():
    # 9 profielen x 4 intensiteiten + profiel 10 (Acuut as printed, Duurzaam licht and zwaar) + voucher
    assert len(SEED_TARIFFS) == 36 + 3 + 1
    assert SEED_TARIFFS[(6, "intensief")] == 18886 and SEED_TARIFFS[(7, "perspectief")] == 1622
    assert SEED_MAX_TRANCHES == {1: 12, 2: 3, 3: 3, 4: 3, 5: 3, 6: 6, 7: 12, 8: 12, 9: 12, 10: 12}


@pytest.mark.parametrize("profiel, intensiteit", sorted(SEED_TARIFFS, key=str), ids=str)
def test_every_tariff_is_the_seeds(profiel, intensiteit):
    inputs = {"tarief_profiel": profiel if profiel is not None else 3, "tarief_intensiteit": intensiteit}
    assert decide("wbw_tarieven.dmn", "wbw_tarief", **inputs) == {"tarief": SEED_TARIFFS[(profiel, intensiteit)]}
    assert len(matching_rules("wbw_tarieven.dmn", "wbw_tarief", **inputs)) == 1


@pytest.mark.parametrize("profiel, intensiteit", [
    (10, "perspectief"), (10, "intensief"), (10, "duurzaam"), (3, "duurzaam_licht"), (9, "duurzaam_zwaar"),
    (11, "acuut"), (0, "perspectief"),
])
def test_no_tariff_for_a_combination_that_does_not_exist(profiel, intensiteit):
    assert decide("wbw_tarieven.dmn", "wbw_tarief", tarief_profiel=profiel, tarief_intensiteit=intensiteit) == {}


@pytest.mark.parametrize("profiel", range(1, 11))
def test_the_arrangement_form_allows_the_seeds_maximum_number_of_tranches(profiel):
    schema = json.loads((ROOT / "forms" / "wbw_toewijzing" / "intake_arrangement.json").read_text(encoding="utf-8"))
    intensiteit = "duurzaam_zwaar" if profiel == 10 else "duurzaam"
    base = {"datum_intake": "2026-03-25", "profiel": profiel, "intensiteit": intensiteit,
            "toelichting_intensiteit": "Consolideren", "doelen": "Zelfredzaamheid", "evaluatiemoment": "2026-06-01",
            "datum_arrangement": "2026-03-26"}
    case = {"verwijzer": "gemeentelijke_toegang"}
    maximum = SEED_MAX_TRANCHES[profiel]
    validate(schema, {**base, "tranches": maximum}, case_data=case)
    if maximum < 12:
        with pytest.raises(InvalidData):
            validate(schema, {**base, "tranches": maximum + 1}, case_data=case)
        validate(schema, {**base, "tranches": 12, "tranches_na_overleg": True}, case_data=case)
    with pytest.raises(InvalidData):
        validate(schema, {**base, "tranches": 13, "tranches_na_overleg": True}, case_data=case)


# ---------------------------------------------------------------------------------------------
# Betaalschema
# ---------------------------------------------------------------------------------------------

def _schema(intensiteit: str, moment: str, reden: str = "", kort: bool = False, aanbieder: bool = False) -> tuple:
    out = decide("wbw_betaalschema.dmn", "wbw_betaalschema", tarief_intensiteit=intensiteit, betaalmoment=moment,
                 betaal_einde_reden=reden, betaal_uitval_kort_na_start=kort, betaal_uitval_door_aanbieder=aanbieder)
    assert len(matching_rules("wbw_betaalschema.dmn", "wbw_betaalschema", tarief_intensiteit=intensiteit,
                              betaalmoment=moment, betaal_einde_reden=reden, betaal_uitval_kort_na_start=kort,
                              betaal_uitval_door_aanbieder=aanbieder)) == 1
    assert out["betaal_reden"]
    return out["betaal_percentage"], out["betaal_per_tranche"], out["betaal_tranches_stoppen"]


@pytest.mark.parametrize("intensiteit", ["voucher", "acuut"])
def test_voucher_and_acuut_are_paid_in_full_at_start(intensiteit):
    assert _schema(intensiteit, "start") == (100, False, False)
    for reden in ("doelen_behaald", "niet_haalbaar", "uitval"):
        assert _schema(intensiteit, "einde", reden)[0] == 0


@pytest.mark.parametrize("intensiteit", ["perspectief", "intensief"])
def test_perspectief_and_intensief_half_at_start_half_at_end(intensiteit):
    assert _schema(intensiteit, "start") == (50, False, False)
    for reden in ("doelen_behaald", "niet_haalbaar", "achttien_jaar"):
        assert _schema(intensiteit, "einde", reden) == (50, False, False)
    # Uitval: the last half is withheld when care had only just started or the aanbieder is to blame ...
    assert _schema(intensiteit, "einde", "uitval", kort=True) == (0, False, False)
    assert _schema(intensiteit, "einde", "uitval", aanbieder=True) == (0, False, False)
    assert _schema(intensiteit, "einde", "uitval", kort=True, aanbieder=True) == (0, False, False)
    # ... and paid when the arrangement was largely done.
    assert _schema(intensiteit, "einde", "uitval") == (50, False, False)


@pytest.mark.parametrize("intensiteit", ["duurzaam", "duurzaam_licht", "duurzaam_zwaar"])
def test_duurzaam_per_tranche_and_nothing_after_the_end_or_uitval(intensiteit):
    assert _schema(intensiteit, "start") == (100, True, False)
    for reden in ("doelen_behaald", "niet_haalbaar", "achttien_jaar", "uitval"):
        assert _schema(intensiteit, "einde", reden) == (0, False, True)


# ---------------------------------------------------------------------------------------------
# Instemming
# ---------------------------------------------------------------------------------------------

def _expected_consent(age: int, gi: bool, gezag: bool) -> tuple[bool, bool, bool]:
    """The seed's stelregel, written out independently of the table."""
    ouder = age < 16 and (not gi or gezag)
    jeugdige = age >= 12
    return ouder, jeugdige, gi


@pytest.mark.parametrize("gi, gezag", [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("age", [0, 5, 11, 12, 14, 15, 16, 17])
def test_who_must_consent_by_age_and_gi_bepaling(age, gi, gezag):
    inputs = {"leeftijd_jeugdige": age, "gi_bepaling": gi}
    if gi:
        inputs["ouders_gezag"] = gezag  # only read with a GI bepaling
    out = decide("wbw_instemming.dmn", "wbw_instemming", **inputs)
    assert (out["instemming_ouder_vereist"], out["instemming_jeugdige_vereist"],
            out["instemming_gezinsvoogd_vereist"]) == _expected_consent(age, gi, gezag)
    assert out["instemming_regel"]
    assert len(matching_rules("wbw_instemming.dmn", "wbw_instemming", **{"ouders_gezag": gezag, **inputs})) == 1


@pytest.mark.parametrize("age, rule", [(11, "Jonger dan 12 jaar"), (14, "12 tot 16 jaar"), (17, "16 jaar of ouder")])
def test_the_consent_rule_is_explained_in_dutch(age, rule):
    out = decide("wbw_instemming.dmn", "wbw_instemming", leeftijd_jeugdige=age, gi_bepaling=False)
    assert out["instemming_regel"].startswith(rule)

"""Form rules that read case data (`x-casusgegevens`, `x-voorwaarden`) and designer messages next
to a keyword inside if/then: generic, independent of any shipped process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import forms
from engine.errors import InvalidData
from engine.library import Source
from engine.validation import validate_sources

from .conftest import BACKENDS, Client, build_app

TOETS = {
    "type": "object",
    "title": "Toets",
    "properties": {
        "akkoord": {"type": "boolean", "title": "Akkoord"},
        "opmerking": {"type": "string", "title": "Opmerking"},
    },
    "required": ["akkoord"],
    "x-casusgegevens": ["toestemming_nodig", "toestemming"],
    "x-voorwaarden": [{
        "als": {"properties": {"akkoord": {"const": True}, "toestemming_nodig": {"const": True}},
                "required": ["akkoord", "toestemming_nodig"]},
        "dan": {"properties": {"toestemming": {"const": True}}, "required": ["toestemming"]},
        "veld": "akkoord",
        "melding": "Akkoord kan niet: de toestemming ontbreekt.",
    }],
}


def _errors(schema, data, case_data=None) -> dict:
    with pytest.raises(InvalidData) as caught:
        forms.validate(schema, data, case_data=case_data)
    return caught.value.errors


def test_a_condition_on_case_data_refuses_with_its_message_on_its_field():
    assert _errors(TOETS, {"akkoord": True}, {"toestemming_nodig": True, "toestemming": False}) == {
        "akkoord": ["Akkoord kan niet: de toestemming ontbreekt."]}
    # missing from the case counts as not given
    assert "akkoord" in _errors(TOETS, {"akkoord": True}, {"toestemming_nodig": True})


@pytest.mark.parametrize("data, case_data", [
    ({"akkoord": True}, {"toestemming_nodig": True, "toestemming": True}),
    ({"akkoord": True}, {"toestemming_nodig": False}),
    ({"akkoord": False}, {"toestemming_nodig": True, "toestemming": False}),
    ({"akkoord": True}, None),  # a start form: no case yet
])
def test_the_condition_lets_everything_else_through(data, case_data):
    forms.validate(TOETS, data, case_data=case_data)


def test_case_fields_are_read_only_and_only_the_named_ones_are_seen():
    # Submitting a case field is refused like any field that is not on the form.
    errors = _errors(TOETS, {"akkoord": True, "toestemming": True}, {"toestemming_nodig": True})
    assert errors["toestemming"] == ["Dit veld hoort niet bij dit formulier."]
    # A case field the form does not name stays invisible to its rules.
    schema = {**TOETS, "x-casusgegevens": ["toestemming"]}
    forms.validate(schema, {"akkoord": True}, case_data={"toestemming_nodig": True, "toestemming": False})


def test_json_schema_conditions_see_case_fields_too():
    schema = {
        "type": "object", "title": "Einde", "properties": {"reden": {"type": "string", "title": "Reden"}},
        "x-casusgegevens": ["soort"],
        "if": {"properties": {"soort": {"const": "kort"}}, "required": ["soort"]},
        "then": {"properties": {"reden": {"not": {"const": "lang"},
                                          "x-foutmeldingen": {"not": "Past niet bij een kort traject."}}}},
    }
    assert _errors(schema, {"reden": "lang"}, {"soort": "kort"}) == {"reden": ["Past niet bij een kort traject."]}
    forms.validate(schema, {"reden": "lang"}, case_data={"soort": "lang"})


def test_a_message_next_to_the_keyword_inside_then_wins_over_the_fields_message():
    schema = {
        "type": "object", "title": "Aantal",
        "properties": {
            "soort": {"type": "string", "title": "Soort"},
            "aantal": {"type": "integer", "title": "Aantal", "maximum": 12,
                       "x-foutmeldingen": {"maximum": "Nooit meer dan 12."}},
        },
        "if": {"properties": {"soort": {"const": "klein"}}, "required": ["soort"]},
        "then": {"properties": {"aantal": {"maximum": 3, "x-foutmeldingen": {"maximum": "Klein: hoogstens 3."}}}},
    }
    assert _errors(schema, {"soort": "klein", "aantal": 4}) == {"aantal": ["Klein: hoogstens 3."]}
    assert _errors(schema, {"soort": "groot", "aantal": 13}) == {"aantal": ["Nooit meer dan 12."]}
    assert set(_errors(schema, {"soort": "klein", "aantal": 13})["aantal"]) == {"Klein: hoogstens 3.",
                                                                                 "Nooit meer dan 12."}


@pytest.mark.parametrize("bad, expected", [
    ({"x-casusgegevens": "toestemming"}, "'x-casusgegevens' moet een lijst"),
    ({"x-voorwaarden": {"als": {}}}, "'x-voorwaarden' moet een lijst"),
    ({"x-voorwaarden": [{"als": {"type": "geen-type"}, "dan": {}, "veld": "akkoord", "melding": "x"}]},
     "'als' is geen geldig JSON Schema"),
    ({"x-voorwaarden": [{"als": {}, "dan": {}, "veld": "bestaat_niet", "melding": "x"}]},
     "'veld' moet een veld van dit formulier zijn"),
    ({"x-voorwaarden": [{"als": {}, "dan": {}, "veld": "akkoord"}]}, "heeft geen melding"),
    ({"x-voorwaarden": [{"als": {}, "dan": {}, "veld": "akkoord", "melding": "x", "anders": {}}]},
     "mag alleen 'als', 'dan', 'veld', 'melding'"),
])
def test_validate_reports_malformed_rules(bad, expected):
    schema = {k: v for k, v in TOETS.items() if k not in ("x-casusgegevens", "x-voorwaarden")}
    problems = validate_sources([Source("form", "proef/toets.json", json.dumps({**schema, **bad}))])
    assert any(expected in p.message for p in problems), problems
    assert validate_sources([Source("form", "proef/toets.json", json.dumps(TOETS))]) == []


# -- over HTTP: a two-step process whose second form reads what the first recorded ----------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:collaboration id="c"><bpmn:participant id="p" name="Voorwaarden (test)" processRef="voorwaarden"/>
  </bpmn:collaboration>
  <bpmn:process id="voorwaarden" name="Voorwaarden (test)" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="jeugdbeschermer">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>vastleggen</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>toets</bpmn:flowNodeRef><bpmn:flowNodeRef>einde</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="voorwaarden/start.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>
    <bpmn:userTask id="vastleggen" name="Toestemming vastleggen"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="voorwaarden/vastleggen.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="toets" name="Toetsen"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="voorwaarden/toets.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="einde"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="vastleggen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="vastleggen" targetRef="toets"/>
    <bpmn:sequenceFlow id="f3" sourceRef="toets" targetRef="einde"/>
  </bpmn:process>
</bpmn:definitions>
"""
START = {"type": "object", "title": "Start", "required": ["gemeente", "toestemming_nodig"],
         "properties": {"gemeente": {"type": "string", "title": "Gemeente", "x-keuzelijst": "gemeenten"},
                        "toestemming_nodig": {"type": "boolean", "title": "Toestemming nodig"}}}
VASTLEGGEN = {"type": "object", "title": "Vastleggen", "required": ["toestemming"],
              "properties": {"toestemming": {"type": "boolean", "title": "Toestemming"}}}


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("voorwaarden")
    processes, form_dir = tmp / "processes", tmp / "forms" / "voorwaarden"
    form_dir.mkdir(parents=True)
    processes.mkdir()
    (processes / "voorwaarden.bpmn").write_text(BPMN, encoding="utf-8")
    for name, schema in {"start": START, "vastleggen": VASTLEGGEN, "toets": TOETS}.items():
        (form_dir / f"{name}.json").write_text(json.dumps(schema), encoding="utf-8")
    app, runtime, database = build_app(request.param, tmp, processes_dir=Path(processes), forms_dir=tmp / "forms")
    yield Client(app)
    runtime.dispose()
    database.drop()


def test_over_http_the_rule_refuses_with_422_and_changes_nothing(client):
    case = client.start("voorwaarden", {"gemeente": "gemeente-roosendaal", "toestemming_nodig": True})
    client.complete(case["id"], "jeugdbeschermer", "vastleggen", toestemming=False)
    task = client.open_task(case["id"], "jeugdbeschermer", "toets")
    before = client.case(case["id"])
    response = client.post(f"/api/tasks/{task['id']}/complete", "jeugdbeschermer", json={"data": {"akkoord": True}})
    assert response.status_code == 422
    assert response.json["errors"] == {"akkoord": ["Akkoord kan niet: de toestemming ontbreekt."]}
    after = client.case(case["id"])
    assert after["open_tasks"] == before["open_tasks"] and after["history"] == before["history"]
    # Not agreeing is always possible, and then the case goes on.
    assert client.complete(case["id"], "jeugdbeschermer", "toets", akkoord=False)["status"] == "completed"


def test_over_http_the_rule_lets_a_case_with_consent_through(client):
    case = client.start("voorwaarden", {"gemeente": "gemeente-roosendaal", "toestemming_nodig": True})
    client.complete(case["id"], "jeugdbeschermer", "vastleggen", toestemming=True)
    assert client.complete(case["id"], "jeugdbeschermer", "toets", akkoord=True)["status"] == "completed"

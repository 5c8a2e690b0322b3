"""The validation rules a designer meets before anything deploys, each with element id and line."""

from __future__ import annotations

import json

from engine.config import ROOT
from engine.library import Source, read_sources
from engine.validation import validate_sources

from .conftest import FIXTURES

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
"""


def _task(element_id: str, name: str, form: str, incoming: list[str], outgoing: list[str]) -> str:
    flows = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming)
    flows += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing)
    return (f'<bpmn:userTask id="{element_id}" name="{name}"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}"/></spiffworkflow:properties>'
            f'</bpmn:extensionElements>{flows}</bpmn:userTask>\n')


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n'
    return (f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
            '</bpmn:sequenceFlow>\n')


def _process(key: str, body: str, nodes: list[str]) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    return (HEAD + f'<bpmn:process id="{key}" isExecutable="true"><bpmn:laneSet id="ls_{key}">'
            f'<bpmn:lane id="lane_{key}" name="jeugdbeschermer">{refs}</bpmn:lane></bpmn:laneSet>\n'
            + body + "</bpmn:process></bpmn:definitions>\n")


FORM = {"type": "object", "title": "Test", "properties": {
    "klaar": {"type": "boolean", "title": "Klaar?"},
}, "if": {"properties": {"klaar": {"const": False}}},
    "then": {"properties": {"reden": {"type": "string", "title": "Reden"}}}}


def _problems(*sources: Source) -> list:
    base = {(s.kind, s.key): s for s in read_sources(FIXTURES, FIXTURES / "forms")}
    base[("form", "t/taak.json")] = Source("form", "t/taak.json", json.dumps(FORM))
    for source in sources:
        base[(source.kind, source.key)] = source
    return [p for p in validate_sources(list(base.values())) if p.file != "lus.bpmn"]


def _messages(problems, element_id: str) -> list[str]:
    return [p.message for p in problems if p.element_id == element_id]


def test_sound_modelling_rules_name_each_element_and_line():
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + _task("a", "A", "t/taak.json", ["f1"], ["f2", "f3"])
        + _task("b", "B", "t/taak.json", ["f2"], ["f4"])
        + _task("c", "C", "t/taak.json", ["f3", "f4"], ["f5"])
        + '<bpmn:exclusiveGateway id="gw" name="Klaar?"><bpmn:incoming>f5</bpmn:incoming>'
        '<bpmn:outgoing>f6</bpmn:outgoing><bpmn:outgoing>f7</bpmn:outgoing></bpmn:exclusiveGateway>\n'
        '<bpmn:parallelGateway id="pg"><bpmn:incoming>f7</bpmn:incoming><bpmn:outgoing>f8</bpmn:outgoing>'
        '<bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>\n'
        '<bpmn:endEvent id="e1"><bpmn:incoming>f6</bpmn:incoming><bpmn:incoming>f8</bpmn:incoming>'
        '<bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>\n'
        + _task("los", "Los", "t/taak.json", [], [])
        + _flow("f1", "start", "a") + _flow("f2", "a", "b") + _flow("f3", "a", "c") + _flow("f4", "b", "c")
        + _flow("f5", "c", "gw") + _flow("f6", "gw", "e1", "klaar == True") + _flow("f7", "gw", "pg")
        + _flow("f8", "pg", "e1", "klaar == False") + _flow("f9", "pg", "e1")
    )
    problems = _problems(Source("bpmn", "vorm", _process("vorm", body, ["start", "a", "b", "c", "gw", "pg", "e1",
                                                                        "los"])))
    assert all(p.line for p in problems), [p for p in problems if not p.line]
    assert any("impliciete splitsing" in m for m in _messages(problems, "a")), problems
    assert any("impliciete samenvoeging" in m for m in _messages(problems, "c")), problems
    assert any("met niets verbonden" in m for m in _messages(problems, "los")), problems
    assert any("geen voorwaarde en is niet de standaardstroom" in m for m in _messages(problems, "f7")), problems
    assert any("geen standaardstroom" in m for m in _messages(problems, "gw")), problems
    assert any("parallelle gateway" in m for m in _messages(problems, "f8")), problems
    assert _messages(problems, "e1") == []  # several flows may end in one end event


def test_a_field_set_only_in_a_calling_process_or_a_conditional_form_field_is_known():
    called = _process("deel", (
        '<bpmn:startEvent id="ds"><bpmn:outgoing>d1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:exclusiveGateway id="dgw" name="Reden bekend?" default="d3"><bpmn:incoming>d1</bpmn:incoming>'
        '<bpmn:outgoing>d2</bpmn:outgoing><bpmn:outgoing>d3</bpmn:outgoing></bpmn:exclusiveGateway>\n'
        '<bpmn:endEvent id="de1"><bpmn:incoming>d2</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:endEvent id="de2"><bpmn:incoming>d3</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("d1", "ds", "dgw") + _flow("d2", "dgw", "de1", "reden != '' and gemeente_mandateert_gi and gezet")
        + _flow("d3", "dgw", "de2")), ["ds", "dgw", "de1", "de2"])
    caller = _process("hoofd", (
        '<bpmn:startEvent id="hs"><bpmn:outgoing>h1</bpmn:outgoing></bpmn:startEvent>\n'
        + _task("ht", "Taak", "t/taak.json", ["h1"], ["h2"])
        + '<bpmn:scriptTask id="hscript" name="Zetten"><bpmn:incoming>h2</bpmn:incoming>'
        '<bpmn:outgoing>h3</bpmn:outgoing><bpmn:script>gezet = True</bpmn:script></bpmn:scriptTask>\n'
        '<bpmn:callActivity id="hc" name="Deel" calledElement="deel"><bpmn:incoming>h3</bpmn:incoming>'
        '<bpmn:outgoing>h4</bpmn:outgoing></bpmn:callActivity>\n'
        '<bpmn:callActivity id="hx" name="Weg" calledElement="bestaat_niet"><bpmn:incoming>h4</bpmn:incoming>'
        '<bpmn:outgoing>h5</bpmn:outgoing></bpmn:callActivity>\n'
        '<bpmn:endEvent id="he"><bpmn:incoming>h5</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("h1", "hs", "ht") + _flow("h2", "ht", "hscript") + _flow("h3", "hscript", "hc")
        + _flow("h4", "hc", "hx") + _flow("h5", "hx", "he")), ["hs", "ht", "hscript", "hc", "hx", "he"])
    problems = _problems(Source("bpmn", "deel", called), Source("bpmn", "hoofd", caller))
    assert not [p for p in problems if "leest veld" in p.message], problems
    assert any("'bestaat_niet'" in m for m in _messages(problems, "hx")), problems
    alone = _problems(Source("bpmn", "deel", called))
    assert sorted(m.split("leest veld ")[1].split(",")[0] for m in _messages(alone, "d2")) == ["'gezet'", "'reden'"]


def test_timers_are_quoted_iso_values_or_safe_expressions_on_known_fields():
    events = [
        ("t1", "timeDuration", "P10D"),
        ("t2", "timeDuration", '"P3X"'),
        ("t3", "timeDate", "plus_maanden(onbekende_datum, 3)"),
        ("t4", "timeCycle", '"R3/P1W"'),
        ("t5", "timeDuration", "__import__('os')"),
    ]
    body = '<bpmn:startEvent id="s"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
    previous = "s"
    for index, (event_id, kind, value) in enumerate(events):
        body += (f'<bpmn:intermediateCatchEvent id="{event_id}" name="Wacht {event_id}">'
                 f'<bpmn:incoming>f{index}</bpmn:incoming><bpmn:outgoing>f{index + 1}</bpmn:outgoing>'
                 f'<bpmn:timerEventDefinition id="{event_id}_def"><bpmn:{kind}>{value}</bpmn:{kind}>'
                 '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n')
        body += _flow(f"f{index}", previous, event_id)
        previous = event_id
    body += f'<bpmn:endEvent id="e"><bpmn:incoming>f{len(events)}</bpmn:incoming></bpmn:endEvent>\n'
    body += _flow(f"f{len(events)}", previous, "e")
    problems = _problems(Source("bpmn", "timers", _process("timers", body, ["s", "e"] + [e[0] for e in events])))
    assert any("tussen aanhalingstekens" in m for m in _messages(problems, "t1")), problems
    assert any("geen geldige ISO 8601" in m for m in _messages(problems, "t2")), problems
    assert any("'onbekende_datum'" in m for m in _messages(problems, "t3")), problems
    assert _messages(problems, "t4") == []
    assert any("'_'" in m for m in _messages(problems, "t5")), problems


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn" name="Route" namespace="x">
  <decision id="route" name="Route">
    <decisionTable id="tabel">
      <input id="in1" label="Leeftijd"><inputExpression id="ie1" typeRef="integer"><text>leeftijd_kind</text>
      </inputExpression></input>
      <output id="out1" name="route_advies" typeRef="string"/>
      <rule id="r1"><inputEntry id="r1i"><text>&lt; 12</text></inputEntry>
        <outputEntry id="r1o"><text>"jong"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="r2i"><text>-</text></inputEntry>
        <outputEntry id="r2o"><text>__import__("os").getcwd()</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_decision_tables_stay_in_the_safe_subset_and_their_outputs_count_as_set():
    body = (
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:businessRuleTask id="regel" name="Route bepalen"><bpmn:extensionElements>'
        '<spiffworkflow:calledDecisionId>route</spiffworkflow:calledDecisionId></bpmn:extensionElements>'
        '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>\n'
        '<bpmn:exclusiveGateway id="gw" name="Jong?" default="f4"><bpmn:incoming>f2</bpmn:incoming>'
        '<bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>\n'
        '<bpmn:endEvent id="e1"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:endEvent id="e2"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "s", "regel") + _flow("f2", "regel", "gw") + _flow("f3", "gw", "e1", "route_advies == 'jong'")
        + _flow("f4", "gw", "e2"))
    problems = _problems(Source("dmn", "route", DMN),
                         Source("bpmn", "beslis", _process("beslis", body, ["s", "regel", "gw", "e1", "e2"])))
    assert any("'_'" in p.message and p.file == "route.dmn" for p in problems), problems
    assert not [p for p in problems if p.element_id == "f3"], problems  # set by the table's output
    assert any("'leeftijd_kind'" in p.message and p.file == "route.dmn" for p in problems), problems


def test_the_shipped_processes_meet_every_rule():
    assert validate_sources(read_sources(ROOT / "processes", ROOT / "forms")) == []
    assert validate_sources(read_sources(FIXTURES, FIXTURES / "forms")) == []

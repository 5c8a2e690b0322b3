import ast
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import scripting
from engine.parsing import Parser
from engine.scripting import (
    SAFE_BUILTINS,
    SERIALIZER_CONFIG,
    ClockCycleTimerEventDefinition,
    ClockDurationTimerEventDefinition,
    ClockTimeDateEventDefinition,
    SafeScriptEngine,
    UnsafeScriptError,
    check_script,
    clock_timer_definition,
    timer_due,
)

UNDERSCORE = "namen die met '_' beginnen zijn niet toegestaan"


class Klok:
    """A virtual clock: the test moves `nu` by hand."""

    def __init__(self, now_value: datetime):
        self.now_value = now_value

    def __call__(self) -> datetime:
        return self.now_value


@pytest.fixture
def engine():
    return SafeScriptEngine(clock=Klok(datetime(2026, 5, 1, 9, 0, tzinfo=UTC)))


# --- check_script -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "source, problems",
    [
        ("__import__('os')", [f"regel 1: {UNDERSCORE} (__import__)"]),
        ("import os", ["regel 1: importeren is niet toegestaan"]),
        ("from os import path", ["regel 1: importeren is niet toegestaan"]),
        (
            "().__class__.__bases__[0].__subclasses__()",
            [f"regel 1: {UNDERSCORE} (__subclasses__)", f"regel 1: {UNDERSCORE} (__bases__)",
             f"regel 1: {UNDERSCORE} (__class__)"],
        ),
        ("'{0.__class__}'.format(x)", ["regel 1: het attribuut 'format' is niet toegestaan"]),
        ("'{x}'.format_map(d)", ["regel 1: het attribuut 'format_map' is niet toegestaan"]),
        ("getattr(x, '__class__')", ["regel 1: de naam 'getattr' is niet toegestaan"]),
        ("open('/etc/passwd')", ["regel 1: de naam 'open' is niet toegestaan"]),
        ("(lambda: 1)()", ["regel 1: lambda-functies zijn niet toegestaan"]),
        ("exec('1')", ["regel 1: de naam 'exec' is niet toegestaan"]),
        ("eval('1')", ["regel 1: de naam 'eval' is niet toegestaan"]),
        ("type(x)", ["regel 1: de naam 'type' is niet toegestaan"]),
        ("(x for x in y).gi_frame.f_globals",
         ["regel 1: het attribuut 'f_globals' is niet toegestaan", "regel 1: het attribuut 'gi_frame' is niet toegestaan"]),
        ("f'{x.__class__}'", [f"regel 1: {UNDERSCORE} (__class__)"]),
        ("x = 1\nimport os", ["regel 2: importeren is niet toegestaan"]),
        ("def f(a):\n    return a", ["regel 1: functies definiëren is niet toegestaan"]),
        ("class A:\n    pass", ["regel 1: klassen definiëren is niet toegestaan"]),
        ("try:\n    x = 1\nexcept Exception:\n    pass", ["regel 1: 'try' is niet toegestaan"]),
        ("raise ValueError('x')", ["regel 1: 'raise' is niet toegestaan"]),
        ("with a as b:\n    pass", ["regel 1: 'with' is niet toegestaan"]),
        ("global x", ["regel 1: 'global' is niet toegestaan"]),
        ("x = 1\n\nd.waarde = 2", ["regel 3: het attribuut 'waarde' is niet toegestaan"]),
        ("d.get = 2", ["regel 1: een attribuut wijzigen is niet toegestaan (get)"]),
        ("_geheim = 1", [f"regel 1: {UNDERSCORE} (_geheim)"]),
        ("f(_x=1)", [f"regel 1: {UNDERSCORE} (_x)"]),
        ("d['a'] **= 2", ["regel 1: '**=' mag alleen op een naam; schrijf x[k] = x[k] ** n"]),
        ("a b", ["regel 1: syntaxfout (invalid syntax)"]),
    ],
)
def test_unsafe_sources_are_refused(source, problems):
    assert check_script(source) == problems


@pytest.mark.parametrize(
    "source",
    [
        "tijdig_beschikbaar == False and gecontracteerd_alternatief == True",
        "[p.upper() for p in profielen if p.startswith('i')]",
        "{k: v for k, v in d.items() if v}",
        "sum(r['uren'] for r in regels) if regels else 0",
        "f'{naam}-{nummer:03d}'",
        "{**basis, 'extra': [*lijst, 3]}",
        "lijst[1:3] + lijst[::-1]",
    ],
)
def test_safe_expressions_are_accepted(source):
    assert check_script(source, "eval") == []


def test_safe_script_is_accepted():
    source = "totaal = 0\nfor r in regels:\n    if r.get('actief'):\n        totaal += r['uren']\n"\
             "    for u in r['uren_per_dag']:\n        totaal += u\nx, y = 1, 2\nd['k'] = [1]\nd['k'].append(2)\ndel x"
    assert check_script(source) == []


WHILE = ("'while' is niet toegestaan: een script in een diagram moet eindigen; "
         "gebruik 'for' over een lijst")
TOO_DEEP = "lussen mogen hoogstens 2 diep in elkaar zitten (for-lussen en comprehensions samen)"


@pytest.mark.parametrize(
    "source, problems",
    [
        ("x = 0\nwhile True:\n    x += 1", [f"regel 2: {WHILE}"]),
        ("for a in x:\n    for b in y:\n        for c in z:\n            n = 1", [f"regel 3: {TOO_DEEP}"]),
        ("for a in x:\n    n = [b for b in y for c in z]", [f"regel 2: {TOO_DEEP}"]),
        ("n = [a for a in x for b in y for c in z]", [f"regel 1: {TOO_DEEP}"]),
        ("for a in x:\n    n = sum(b for b in y if any(c for c in z))", [f"regel 2: {TOO_DEEP}"]),
        ("n = {k: [v for v in w] for k, w in d.items()}\nfor a in x:\n    m = [b for b in a]", []),
        ("for a in [b for b in y]:\n    for c in z:\n        n = a", []),  # the list is built outside the loop
    ],
)
def test_loops_that_might_not_end_are_refused(source, problems):
    assert check_script(source) == problems


def test_a_loop_iterates_a_bounded_snapshot(engine):
    data = {"lijst": [1, 2, 3]}
    engine.environment.execute("for x in lijst:\n    lijst.append(x)", data)  # Python itself would never stop
    assert data["lijst"] == [1, 2, 3, 1, 2, 3]
    data = {"veel": list(range(scripting.MAX_LOOP_ITEMS + 1))}
    with pytest.raises(ValueError, match="lus mag hoogstens"):
        engine.environment.execute("n = 0\nfor x in veel:\n    n += 1", data)
    with pytest.raises(ValueError, match="lus mag hoogstens"):
        engine.environment.evaluate("sum(1 for x in veel)", data)
    assert engine.environment.evaluate("len(veel)", data) == scripting.MAX_LOOP_ITEMS + 1  # not a loop


# --- evaluate and execute ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "source",
    ["__import__('os')", "().__class__.__bases__[0].__subclasses__()", "'{0.__class__}'.format(x)",
     "getattr(x, '__class__')", "open('/etc/passwd')", "(lambda: 1)()", "exec('1')"],
)
def test_unsafe_sources_are_not_run(engine, source):
    with pytest.raises(UnsafeScriptError) as error:
        engine.environment.evaluate(source, {"x": 1})
    assert error.value.problems == check_script(source, "eval")
    with pytest.raises(UnsafeScriptError):
        engine.environment.execute(source, {"x": 1})


def test_conditions_on_case_data(engine):
    data = {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": True}
    expr = "tijdig_beschikbaar == False and gecontracteerd_alternatief == True"
    assert engine.environment.evaluate(expr, data) is True
    data["gecontracteerd_alternatief"] = False
    assert engine.environment.evaluate(expr, data) is False
    assert data == {"tijdig_beschikbaar": False, "gecontracteerd_alternatief": False}


def test_collections_and_comprehensions(engine):
    data = {"regels": [{"uren": 2, "actief": True}, {"uren": 5, "actief": False}], "basis": {"a": 1}}
    evaluate = engine.environment.evaluate
    assert evaluate("sum(r['uren'] for r in regels if r['actief'])", data) == 2
    assert evaluate("sorted({**basis, 'b': 2}.keys(), reverse=True)", data) == ["b", "a"]
    assert evaluate("[i * i for i in range(4)]", data) == [0, 1, 4, 9]
    assert evaluate("max(len(x) for x in ['a', 'bcd'])", data) == 3
    assert evaluate("'ja' if basis.get('a') else 'nee'", data) == "ja"
    assert evaluate("'-'.join(str(r['uren']) for r in regels)", data) == "2-5"


def test_runaway_ranges_and_powers_are_refused(engine):
    assert len(engine.environment.evaluate("list(range(10000))", {})) == 10_000
    with pytest.raises(ValueError, match="range"):
        engine.environment.evaluate("list(range(10001))", {})
    assert engine.environment.evaluate("2 ** 10", {}) == 1024
    with pytest.raises(ValueError, match="te groot"):
        engine.environment.evaluate("9 ** 9 ** 9", {})
    data = {"x": 9}
    with pytest.raises(ValueError, match="te groot"):
        engine.environment.execute("x **= 10 ** 6", data)


def test_helpers(engine):
    # 22:30 UTC on 1 May is 00:30 on 2 May in Amsterdam: vandaag() is the Dutch date.
    engine.clock.now_value = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)
    evaluate = engine.environment.evaluate
    assert evaluate("vandaag()", {}) == "2026-05-02"
    assert evaluate("plus_dagen('2026-01-31', 1)", {}) == "2026-02-01"
    assert evaluate("plus_weken(d, 2)", {"d": date(2026, 1, 1)}) == "2026-01-15"
    assert evaluate("plus_maanden('2026-01-31', 1)", {}) == "2026-02-28"
    assert evaluate("plus_werkdagen('2026-12-22', 5)", {}) == "2026-12-30"
    assert evaluate("leeftijd('2010-05-02', '2026-05-01')", {}) == 15
    assert evaluate("leeftijd('2010-05-02')", {}) == 16
    assert evaluate("deadline('2026-11-30', '3 maanden')", {}) == "2027-03-01"
    with pytest.raises(ValueError, match="geen datum"):
        evaluate("plus_dagen('morgen', 1)", {})


def test_task_data_shadows_a_helper(engine):
    assert engine.environment.evaluate("deadline", {"deadline": "2026-01-01"}) == "2026-01-01"


def test_script_writes_back_json_data_only(engine):
    data = {"a": 1, "lijst": [1], "weg": True}
    script = "b = a + 1\nlijst.append(2)\nbereik = range(3)\nparen = zip([1], [2])\nt = vandaag()\ndel weg"
    assert engine.environment.execute(script, data) is True
    assert data == {"a": 1, "lijst": [1, 2], "b": 2, "t": "2026-05-01"}


def test_failed_script_leaves_top_level_data_alone(engine):
    data = {"a": 1}
    with pytest.raises(ZeroDivisionError):
        engine.environment.execute("x = 1\ny = a / 0", data)
    assert data == {"a": 1}


def test_naive_clock_counts_as_utc():
    engine = SafeScriptEngine(clock=lambda: datetime(2026, 5, 1, 9, 0))
    assert engine.now() == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert SafeScriptEngine().now().tzinfo is not None


def test_builtins_are_a_small_explicit_set():
    assert "open" not in SAFE_BUILTINS and "__import__" not in SAFE_BUILTINS
    assert {"len", "sorted", "range", "zip"} <= set(SAFE_BUILTINS)


def test_verdict_is_cached(engine, monkeypatch):
    calls = []
    original = ast.parse

    def counting_parse(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting_parse)
    source = "cache_proef_7919 + 1"
    assert engine.environment.evaluate(source, {"cache_proef_7919": 1}) == 2
    assert engine.environment.evaluate(source, {"cache_proef_7919": 2}) == 3
    assert calls == [source]
    # An unsafe verdict is cached as well.
    with pytest.raises(UnsafeScriptError):
        engine.environment.evaluate("open('cache_proef')", {})
    with pytest.raises(UnsafeScriptError):
        engine.environment.evaluate("open('cache_proef')", {})
    assert calls == [source, "open('cache_proef')"]


def test_validate_keeps_syntax_errors_for_the_dmn_engine(engine):
    with pytest.raises(SyntaxError):
        engine.validate("> 5")  # DMNEngine.needs_eq catches exactly this
    with pytest.raises(UnsafeScriptError):
        engine.validate("import os")
    engine.validate("v > 5")


# --- BPMN: gateway, script task and timers on a virtual clock -----------------------------------

def _bpmn(process_id: str, body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{process_id}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">{body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def _timer_proces(timer: str) -> bytes:
    return _bpmn("timer_proces", f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="bereken"/>
    <bpmn:scriptTask id="bereken" name="Bereken">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>termijn = deadline(ingang, "10 werkdagen")
wachten = aantal * 2 &gt; 5</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="bereken" targetRef="keuze"/>
    <bpmn:exclusiveGateway id="keuze" default="f_direct">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_wacht</bpmn:outgoing><bpmn:outgoing>f_direct</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_wacht" sourceRef="keuze" targetRef="wacht">
      <bpmn:conditionExpression>wachten == True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_direct" sourceRef="keuze" targetRef="einde_direct"/>
    <bpmn:intermediateCatchEvent id="wacht" name="Wacht">
      <bpmn:incoming>f_wacht</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="wacht" targetRef="einde_gewacht"/>
    <bpmn:endEvent id="einde_gewacht"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="einde_direct"><bpmn:incoming>f_direct</bpmn:incoming></bpmn:endEvent>""")


def _start(spec, engine, **data) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, script_engine=engine)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    workflow.do_engine_steps()
    return workflow


def _verder(workflow: BpmnWorkflow) -> None:
    workflow.refresh_timers()
    workflow.do_engine_steps()


def _eind(workflow: BpmnWorkflow, name: str):
    return workflow.get_tasks(spec_name=name, state=TaskState.COMPLETED)


def test_duration_timer_follows_the_virtual_clock(engine):
    parser = Parser()
    parser.add_bpmn_str(_timer_proces('<bpmn:timeDuration>"P3D"</bpmn:timeDuration>'))
    spec = parser.specs_for("timer_proces")[0]
    assert isinstance(spec.task_specs["wacht"].event_definition, ClockDurationTimerEventDefinition)
    start = engine.clock.now_value

    workflow = _start(spec, engine, ingang="2026-04-01", aantal=3)
    [wacht] = workflow.get_tasks(state=TaskState.WAITING)
    assert wacht.data["termijn"] == "2026-04-17" and wacht.data["wachten"] is True
    assert set(wacht.data) == {"ingang", "aantal", "termijn", "wachten"}
    assert timer_due(wacht) == start + timedelta(days=3)

    engine.clock.now_value = start + timedelta(days=2, hours=23)
    _verder(workflow)
    assert not workflow.completed
    engine.clock.now_value = start + timedelta(days=3)
    _verder(workflow)
    assert not workflow.completed  # fires strictly after the due moment, as in SpiffWorkflow

    # The serializer still handles the clock-aware spec and the waiting timer.
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG))
    workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
    workflow.script_engine = engine
    [wacht] = workflow.get_tasks(state=TaskState.WAITING)
    assert isinstance(wacht.task_spec.event_definition, ClockDurationTimerEventDefinition)
    assert wacht.internal_data == {"event_value": "2026-05-04T09:00:00+00:00"}

    engine.clock.now_value = start + timedelta(days=3, seconds=1)
    _verder(workflow)
    assert workflow.completed and _eind(workflow, "einde_gewacht")


def test_gateway_default_flow_skips_the_timer(engine):
    parser = Parser()
    parser.add_bpmn_str(_timer_proces('<bpmn:timeDuration>"P3D"</bpmn:timeDuration>'))
    workflow = _start(parser.specs_for("timer_proces")[0], engine, ingang="2026-04-01", aantal=1)
    assert workflow.completed and _eind(workflow, "einde_direct")


def test_time_date_timer_accepts_a_date_expression(engine):
    # Converting after parsing with the plain parser, as a custom parser would.
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(_timer_proces("<bpmn:timeDate>plus_maanden(ingang, 3)</bpmn:timeDate>"))
    spec = parser.get_spec("timer_proces")
    wacht_spec = spec.task_specs["wacht"]
    wacht_spec.event_definition = clock_timer_definition(wacht_spec.event_definition)
    assert isinstance(wacht_spec.event_definition, ClockTimeDateEventDefinition)
    assert wacht_spec.event_definition.expression == "plus_maanden(ingang, 3)"

    workflow = _start(spec, engine, ingang="2026-02-10", aantal=3)
    [wacht] = workflow.get_tasks(state=TaskState.WAITING)
    # Midnight of 10 May in Amsterdam (CEST) is 22:00 UTC on 9 May.
    assert timer_due(wacht) == datetime(2026, 5, 9, 22, 0, tzinfo=UTC)
    engine.clock.now_value = datetime(2026, 5, 9, 21, 59, tzinfo=UTC)
    _verder(workflow)
    assert not workflow.completed
    engine.clock.now_value = datetime(2026, 5, 9, 22, 0, 1, tzinfo=UTC)
    _verder(workflow)
    assert workflow.completed


def _reminder(cycle: str):
    """A user task with a non-interrupting cycle timer (`cycle`) on its border, parsed."""
    body = f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="werk"/>
    <bpmn:userTask id="werk"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="werk" targetRef="einde"/>
    <bpmn:endEvent id="einde"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="herinnering" attachedToRef="werk" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="herinnering" targetRef="herinnerd"/>
    <bpmn:endEvent id="herinnerd"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>"""
    parser = Parser()
    parser.add_bpmn_str(_bpmn("herinner", body))
    return parser.specs_for("herinner")[0]


def test_cycle_timer_follows_the_virtual_clock(engine):
    spec = _reminder('"R2/PT1H"')
    assert isinstance(spec.task_specs["herinnering"].event_definition, ClockCycleTimerEventDefinition)
    start = engine.clock.now_value
    workflow = _start(spec, engine)

    def due() -> list:
        return [timer_due(t) for t in workflow.get_tasks(spec_name="herinnering", state=TaskState.WAITING)]

    assert due() == [start + timedelta(hours=1)]
    engine.clock.now_value = start + timedelta(minutes=59)
    _verder(workflow)
    assert due() == [start + timedelta(hours=1)]
    engine.clock.now_value = start + timedelta(hours=1, seconds=1)
    _verder(workflow)
    assert due() == [start + timedelta(hours=2)]
    engine.clock.now_value = start + timedelta(hours=3)
    _verder(workflow)
    _verder(workflow)
    assert due() == []
    assert len(_eind(workflow, "herinnerd")) == 2


def test_cycle_and_week_date_timers_read_amsterdam_time_whatever_the_servers_zone(engine, monkeypatch):
    # SpiffWorkflow reads a moment without an offset in the server's zone (LOCALTZ, fixed at
    # import); pretend the server runs in New York.
    monkeypatch.setattr(spiff_timer, "LOCALTZ", timezone(timedelta(hours=-5)))
    # 09:00 in Amsterdam in summer (CEST) is 07:00 UTC; 2026-W23-1 is Monday 1 June.
    assert scripting.as_moment("2026-W23-1T09:00") == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    assert scripting.as_moment("2026W231") == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)
    assert scripting.parse_cycle("R3/2026-06-01T09:00/P1D", engine.now()) == \
        (3, datetime(2026, 6, 1, 7, 0, tzinfo=UTC), timedelta(days=1))
    assert scripting.parse_cycle("R/P1D/2026-W23-1T09:00", engine.now()) == \
        (-1, datetime(2026, 5, 31, 7, 0, tzinfo=UTC), timedelta(days=1))
    with pytest.raises(ValueError, match="geen tijdstip"):
        scripting.as_moment("Woensdag")

    workflow = _start(_reminder('"R2/2026-05-04T09:00/P1D"'), engine)
    [waiting] = workflow.get_tasks(spec_name="herinnering", state=TaskState.WAITING)
    assert timer_due(waiting) == datetime(2026, 5, 4, 7, 0, tzinfo=UTC)


def test_unsafe_script_task_is_refused_with_its_problems(engine):
    body = """
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="kwaad"/>
    <bpmn:scriptTask id="kwaad"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>x = 1
import os</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="kwaad" targetRef="einde"/>
    <bpmn:endEvent id="einde"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>"""
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(_bpmn("kwaad_proces", body))
    with pytest.raises(WorkflowTaskException) as error:
        _start(parser.get_spec("kwaad_proces"), engine, a=1)
    assert error.value.error_type == "UnsafeScriptError"
    assert "regel 2: importeren is niet toegestaan" in str(error.value)


def test_timer_due_is_none_for_other_tasks(engine):
    parser = Parser()
    parser.add_bpmn_str(_timer_proces('<bpmn:timeDuration>"P3D"</bpmn:timeDuration>'))
    workflow = BpmnWorkflow(parser.specs_for("timer_proces")[0], script_engine=engine)
    assert all(timer_due(t) is None for t in workflow.get_tasks())


def test_clock_timer_definition_leaves_other_definitions_alone():
    sentinel = object()
    assert clock_timer_definition(sentinel) is sentinel
    assert scripting.SERIALIZER_CONFIG[ClockCycleTimerEventDefinition] is not None


# --- DMN through the safe engine ---------------------------------------------------------------

DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_instemming"
    name="Instemming" namespace="http://verwijsflow.nl/dmn">
  <decision id="instemming" name="Wie stemt in">
    <decisionTable id="tabel_instemming" hitPolicy="UNIQUE">
      <input id="in_leeftijd" label="Leeftijd">
        <inputExpression id="ie_leeftijd" typeRef="integer"><text>leeftijd(geboortedatum, peildatum)</text></inputExpression>
      </input>
      <output id="out_wie" label="Wie" name="wie_stemt_in" typeRef="string"/>
      <rule id="r1"><inputEntry id="e1"><text>&lt; 12</text></inputEntry><outputEntry id="o1"><text>"ouder"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>12 &lt;= ? &lt; 16</text></inputEntry><outputEntry id="o2"><text>"ouder_en_kind"</text></outputEntry></rule>
      <rule id="r3"><inputEntry id="e3"><text>&gt;= 16</text></inputEntry><outputEntry id="o3"><text>"kind"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""

TOETS = """
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="toets"/>
    <bpmn:businessRuleTask id="toets" name="Toets instemming">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>instemming</spiffworkflow:calledDecisionId></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="toets" targetRef="einde"/>
    <bpmn:endEvent id="einde"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>"""


@pytest.mark.parametrize(
    "geboortedatum, wie",
    [("2014-05-02", "ouder"), ("2010-05-02", "ouder_en_kind"), ("2010-05-01", "kind")],
)
def test_dmn_table_through_the_safe_engine(engine, geboortedatum, wie):
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(_bpmn("toets_proces", TOETS))
    parser.add_dmn_str(DMN)
    workflow = _start(parser.get_spec("toets_proces"), engine, geboortedatum=geboortedatum, peildatum="2026-05-01")
    assert workflow.completed
    assert _eind(workflow, "einde")[0].data["wie_stemt_in"] == wie


def test_unsafe_dmn_entry_is_refused(engine):
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(_bpmn("toets_proces", TOETS))
    parser.add_dmn_str(DMN.replace(b"leeftijd(geboortedatum, peildatum)", b"open('/etc/passwd')"))
    with pytest.raises(WorkflowTaskException) as error:
        _start(parser.get_spec("toets_proces"), engine, geboortedatum="2014-05-02", peildatum="2026-05-01")
    assert error.value.error_type == "UnsafeScriptError"
    assert isinstance(error.value.__context__, UnsafeScriptError)
    assert "de naam 'open' is niet toegestaan" in str(error.value)

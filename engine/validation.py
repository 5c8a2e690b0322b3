"""Everything that is wrong with a set of BPMN files, DMN files and forms, as a list.

Used before anything is deployed (start-up, `verwijsflow validate`, the deploy and validate
API, the modeler). Each problem names the file and, where there is one, the element and its
line, so a designer can find it. The checks, in order:
- XML, SpiffWorkflow's BPMN/DMN schema and parser;
- every piece of Python (conditions, scripts, timers, DMN entries) is in the safe subset;
- timers hold a valid ISO 8601 date, duration or cycle, or a safe expression;
- sound modelling (engine/lint.py): nothing disconnected, no implicit splits or joins,
  gateways that cannot get stuck;
- user tasks have a form that exists and a lane that is a role; called processes exist;
- every field a condition or timer reads is set by a form, a script, a decision table or the
  engine (engine/fields.py).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from . import deadlines, fields, lint
from .access import TASK_ROLES
from .library import NS, Source
from .lint import SPIFF_NS
from .monitoring import KPI_ROLES
from .parsing import Parser, elements_of
from .scripting import as_moment, check_script, parse_cycle


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    element_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "") + (f" [{self.element_id}]" if self.element_id else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


def validate_sources(sources: list[Source]) -> list[Problem]:
    problems: list[Problem] = []
    form_keys = {s.key for s in sources if s.kind == "form"}
    documents = {}
    for source in sources:
        if source.kind == "form":
            problems += _check_form(source)
            continue
        document = _parse_xml(source, problems)
        if document is not None:
            documents[source.key] = (source, document)

    parser = Parser(validator=VALIDATOR)
    refused = {}  # what SpiffWorkflow's schema or parser said about a file it could not take
    for key, (source, document) in documents.items():
        try:
            if source.kind == "bpmn":
                parser.add_bpmn_xml(document, filename=source.filename)
            else:
                parser.add_dmn_xml(document, filename=source.filename)
        except ValidationException as error:
            refused[key] = _from_spiff(source.filename, error, document)

    bpmn_keys = {s.key for s in sources if s.kind == "bpmn"}
    for key, (source, document) in documents.items():
        # Our own checks read the XML, so they run even where SpiffWorkflow gave up: the
        # designer sees every problem at once.
        if source.kind == "dmn":
            own = _check_dmn(source, document)
        else:
            own = _check_expressions(source, document)
            own += _check_timers(source, document)
            own += _check_structure(source, document)
            own += _check_calls(source, document, bpmn_keys)
            if key not in refused:
                own += _check_process(parser, source, document, form_keys)
        spiff = refused.get(key)
        if spiff is not None and not (spiff.element_id and any(p.element_id == spiff.element_id for p in own)):
            problems.append(spiff)
        problems += own
    problems += _check_fields(sources, documents)
    return problems


def _parse_xml(source: Source, problems: list[Problem]):
    try:
        return etree.fromstring(source.text.encode("utf-8"))
    except etree.XMLSyntaxError as error:
        problems.append(Problem(source.filename, f"Geen geldige XML: {error.msg}", line=error.lineno))
        return None


def _from_spiff(filename: str, error: ValidationException, document=None) -> Problem:
    element_id = getattr(error, "id", None) or None
    line = getattr(error, "line_number", None) or None
    if line is None and element_id and document is not None:
        node = _by_id(document, element_id)
        line = node.sourceline if node is not None else None
    return Problem(filename, f"Ongeldig procesontwerp: {error.args[0] if error.args else error}", element_id, line)


def _check_process(parser: Parser, source: Source, document, form_keys: set[str]) -> list[Problem]:
    problems = []
    process_ids = [p.get("id") for p in document.iterfind("bpmn:process", NS) if p.get("isExecutable") == "true"]
    if source.key not in process_ids:
        problems.append(Problem(source.filename, f"Het bestand moet een uitvoerbaar proces met id '{source.key}' bevatten."))
        return problems
    try:
        spec, subprocess_specs = parser.specs_for(source.key)
    except ValidationException as error:
        return [_from_spiff(source.filename, error, document)]
    except Exception as error:  # noqa: BLE001 - any parse failure is a problem to report, not a crash
        return [Problem(source.filename, f"Het proces kan niet worden gelezen: {error}")]
    own = {spec.name} | {name for name, sp in subprocess_specs.items() if sp is not None and sp.file == source.filename}
    for (process_id, element_id), element in elements_of(spec, subprocess_specs).items():
        if process_id not in own:
            continue
        node = _by_id(document, element_id)
        line = node.sourceline if node is not None else None
        if element.kind == "userTask":
            if element.lane not in TASK_ROLES:
                lane = f"baan '{element.lane}'" if element.lane else "geen baan"
                problems.append(Problem(source.filename, f"Taak '{element.title}' staat in {lane}, "
                                        f"die bij geen bekende rol hoort ({', '.join(sorted(TASK_ROLES))}).",
                                        element_id, line))
            if not element.form:
                problems.append(Problem(source.filename, f"Taak '{element.title}' heeft geen formulier "
                                        "(eigenschap formJsonSchemaFilename).", element_id, line))
        if element.form and element.form not in form_keys:
            problems.append(Problem(source.filename, f"Formulier '{element.form}' bestaat niet in forms/.",
                                    element_id, line))
        problems += [Problem(source.filename, message, element_id, line)
                     for message in deadlines.property_problems(element.properties)]
        kpi = element.properties.get("kpi")
        if kpi and kpi not in KPI_ROLES:
            problems.append(Problem(source.filename, f"Eigenschap kpi '{kpi}' is onbekend; kies uit "
                                    f"{', '.join(sorted(KPI_ROLES))}.", element_id, line))
    return problems


def _check_form(source: Source) -> list[Problem]:
    try:
        schema = json.loads(source.text)
    except json.JSONDecodeError as error:
        return [Problem(source.filename, f"Geen geldige JSON: {error.msg}", line=error.lineno)]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [Problem(source.filename, f"Geen geldig JSON Schema: {error.message}")]
    problems = []
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        problems.append(Problem(source.filename, "Een formulier is een object met 'properties'."))
    if not schema.get("title"):
        problems.append(Problem(source.filename, "Het formulier heeft geen titel."))
    for name, field in (schema.get("properties") or {}).items():
        if isinstance(field, dict) and not field.get("title"):
            problems.append(Problem(source.filename, f"Veld '{name}' heeft geen titel."))
    problems += [Problem(source.filename, message) for message in _case_data_rule_problems(schema)]
    return problems


def _case_data_rule_problems(schema: dict) -> list[str]:
    """What is wrong with a form's `x-casusgegevens` and `x-voorwaarden` (docs/modelling.md)."""
    problems = []
    names = schema.get("x-casusgegevens", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        problems.append("'x-casusgegevens' moet een lijst met veldnamen uit de casusgegevens zijn.")
    rules = schema.get("x-voorwaarden", [])
    if not isinstance(rules, list):
        return problems + ["'x-voorwaarden' moet een lijst met voorwaarden {als, dan, veld, melding} zijn."]
    fields = schema.get("properties") or {}
    for number, rule in enumerate(rules, start=1):
        where = f"Voorwaarde {number} in 'x-voorwaarden'"
        if not isinstance(rule, dict) or set(rule) - {"als", "dan", "veld", "melding", "toelichting"}:
            problems.append(f"{where} mag alleen 'als', 'dan', 'veld', 'melding' en 'toelichting' hebben.")
            continue
        for part in ("als", "dan"):
            try:
                Draft202012Validator.check_schema(rule.get(part))
            except SchemaError as error:
                problems.append(f"{where}: '{part}' is geen geldig JSON Schema ({error.message}).")
        if str(rule.get("veld", "")).split(".")[0] not in fields:
            problems.append(f"{where}: 'veld' moet een veld van dit formulier zijn, niet '{rule.get('veld')}'.")
        if not isinstance(rule.get("melding"), str) or not rule["melding"].strip():
            problems.append(f"{where} heeft geen melding (de Nederlandse foutmelding voor de gebruiker).")
    return problems


def _check_expressions(source: Source, document) -> list[Problem]:
    """Every piece of Python in the diagram must be in the safe subset."""
    problems = []
    checks = [
        (".//bpmn:conditionExpression", "eval", "De voorwaarde"),
        (".//bpmn:script", "exec", "Het script"),
        (".//bpmn:timeDate", "eval", "De timer"),
        (".//bpmn:timeDuration", "eval", "De timer"),
        (".//bpmn:timeCycle", "eval", "De timer"),
        (f".//{{{SPIFF_NS}}}preScript", "exec", "Het prescript"),
        (f".//{{{SPIFF_NS}}}postScript", "exec", "Het postscript"),
    ]
    for path, mode, label in checks:
        for node in document.iterfind(path, NS):
            text = (node.text or "").strip()
            if not text:
                continue
            owner = _timer_owner(node) if label == "De timer" else _owner_id(node)
            owner_node = _by_id(document, owner)
            where = f"{label} van '{_name_of(owner_node) or owner}'"
            for message in check_script(text, mode):
                problems.append(Problem(source.filename, f"{where}: {message}", element_id=owner,
                                        line=node.sourceline))
    return problems


def _owner_id(node) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


# -- timers --------------------------------------------------------------------------------

_TIMER_KINDS = {"timeDate": "tijdstip", "timeDuration": "duur", "timeCycle": "herhaling"}
_LOOKS_ISO = re.compile(r"^(R\d*/)?(P[\dYMWDTHS.,]+|\d{4}-\d{2}-\d{2}\S*)(/\S+)?$", re.IGNORECASE)


def _check_timers(source: Source, document) -> list[Problem]:
    """A timer is a quoted ISO 8601 value, or an expression (checked by the safe subset and the
    field rules) that computes one at run time."""
    problems = []
    for local, label in _TIMER_KINDS.items():
        for node in document.iter(f"{{{NS['bpmn']}}}{local}"):
            text = (node.text or "").strip()
            owner, line = _timer_owner(node), node.sourceline
            if not text:
                problems.append(Problem(source.filename, f"De timer heeft geen {label}.", owner, line))
                continue
            try:
                tree = ast.parse(text, mode="eval")
            except SyntaxError:
                tree = None
            if _LOOKS_ISO.match(text) and not (tree is not None and isinstance(tree.body, ast.Constant)):
                problems.append(Problem(source.filename, f"Zet de {label} van de timer tussen aanhalingstekens: "
                                        f"\"{text}\" (het is een Python-expressie).", owner, line))
            elif tree is not None and isinstance(tree.body, ast.Constant):
                message = _timer_value_problem(local, tree.body.value)
                if message:
                    problems.append(Problem(source.filename, message, owner, line))
    return problems


def _timer_owner(node) -> str | None:
    """The event a timer belongs to (timeDuration → timerEventDefinition → event)."""
    definition = node.getparent()
    event = definition.getparent() if definition is not None else None
    return _owner_id(event if event is not None else node)


def _timer_value_problem(kind: str, value: object) -> str | None:
    if not isinstance(value, str):
        return f"De timerwaarde {value!r} is geen tekst in ISO 8601-notatie."
    text = value.strip()
    try:  # parsed as the engine will parse it when the timer starts
        if kind == "timeCycle":
            if not text.upper().startswith("R"):
                raise ValueError
            parse_cycle(text, datetime.now(UTC))
        elif kind == "timeDuration" and text.upper().startswith("P"):
            if not TimerEventDefinition.parse_iso_duration(text):
                raise ValueError
        else:
            as_moment(text)
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception for a bad duration
        expected = {"timeDate": "een datum of tijdstip (bijv. \"2026-05-01\" of \"2026-05-01T09:00:00+02:00\")",
                    "timeDuration": "een duur (bijv. \"P10D\" of \"P3M\")",
                    "timeCycle": "een herhaling (bijv. \"R3/P1W\")"}[kind]
        return f"De timerwaarde \"{text}\" is geen geldige ISO 8601-waarde; verwacht {expected}."
    return None


# -- sound modelling, called processes -----------------------------------------------------

def _check_structure(source: Source, document) -> list[Problem]:
    problems: list[Problem] = []
    lint.check_structure(document, lambda message, element_id, line: problems.append(
        Problem(source.filename, message, element_id, line)))
    return problems


def _check_calls(source: Source, document, bpmn_keys: set[str]) -> list[Problem]:
    problems = []
    for node in document.iter(f"{{{NS['bpmn']}}}callActivity"):
        called = node.get("calledElement")
        if not called:
            problems.append(Problem(source.filename, f"Aanroep '{node.get('name') or node.get('id')}' noemt geen "
                                    "proces (calledElement).", node.get("id"), node.sourceline))
        elif called not in bpmn_keys:
            problems.append(Problem(source.filename, f"Aanroep '{node.get('name') or node.get('id')}' roept proces "
                                    f"'{called}' aan, dat niet bestaat.", node.get("id"), node.sourceline))
    return problems


# -- decision fields -----------------------------------------------------------------------

def _check_fields(sources: list[Source], documents: dict) -> list[Problem]:
    """Every name a condition, timer or decision-table input reads must be set somewhere."""
    bpmn = [(source, document) for source, document in documents.values()
            if document is not None and source.kind == "bpmn"]
    dmn = [(source, document) for source, document in documents.values()
           if document is not None and source.kind == "dmn"]
    outputs: dict[str, set[str]] = {}
    inputs: dict[str, list] = {}
    for source, document in dmn:
        outputs.update(fields.decision_outputs(document))
        for decision_id, expressions in _decision_inputs(document).items():
            inputs[decision_id] = [(source, node) for node in expressions]
    forms = {s.key: fields.load_form(s.text) for s in sources if s.kind == "form"}
    index = fields.FieldIndex([fields.process_fields(s.key, d) for s, d in bpmn], forms, outputs)

    problems = []
    for source, document in bpmn:
        known = index.known(source.key)
        for flow in document.iter(f"{{{NS['bpmn']}}}sequenceFlow"):
            condition = flow.find("bpmn:conditionExpression", NS)
            if condition is None or not (condition.text or "").strip():
                continue
            gateway = _by_id(document, flow.get("sourceRef"))
            where = (f"De voorwaarde op stroom '{flow.get('name') or flow.get('id')}' van "
                     f"'{_name_of(gateway) or flow.get('sourceRef')}'")
            problems += _unknown_fields(source.filename, condition.text, "eval", known, where, flow.get("id"),
                                        condition.sourceline)
        for local in _TIMER_KINDS:
            for node in document.iter(f"{{{NS['bpmn']}}}{local}"):
                if _LOOKS_ISO.match((node.text or "").strip()):
                    continue  # an unquoted ISO value, reported by _check_timers
                owner = _timer_owner(node)
                where = f"De timer van '{_name_of(_by_id(document, owner)) or owner}'"
                problems += _unknown_fields(source.filename, node.text or "", "eval", known, where, owner,
                                            node.sourceline)
        for decision_id in index.processes[source.key].decisions:
            for dmn_source, node in inputs.get(decision_id, []):
                where = f"Beslistabel '{decision_id}' (aangeroepen vanuit {source.filename})"
                problems += _unknown_fields(dmn_source.filename, node.text or "", "eval", known, where,
                                            _owner_id(node), node.sourceline)
    return problems


def _unknown_fields(filename: str, text: str, mode: str, known: set[str], where: str, element_id, line) -> list:
    missing = sorted(fields.names_read(text.strip(), mode) - known) if text.strip() else []
    return [
        Problem(filename, f"{where} leest veld '{name}', maar geen formulier, script, beslistabel of de engine "
                "zet dat veld.", element_id, line)
        for name in missing
    ]


def _by_id(document, element_id: str | None):
    if not element_id:
        return None
    found = document.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def _name_of(node) -> str | None:
    return node.get("name") if node is not None else None


# -- DMN -----------------------------------------------------------------------------------

def _dmn_nodes(document, local: str):
    return [node for node in document.iter() if isinstance(node.tag, str) and etree.QName(node).localname == local]


def _decision_inputs(document) -> dict[str, list]:
    found = {}
    for decision in _dmn_nodes(document, "decision"):
        found[decision.get("id")] = [
            text for expression in _dmn_nodes(decision, "inputExpression")
            for text in expression if isinstance(text.tag, str) and etree.QName(text).localname == "text"
        ]
    return found


def _check_dmn(source: Source, document) -> list[Problem]:
    """Input expressions, rule entries and outputs are Python too: the safe subset applies."""
    problems = []
    for local in ("inputExpression", "inputEntry", "outputEntry"):
        for entry in _dmn_nodes(document, local):
            for node in entry:
                if not isinstance(node.tag, str) or etree.QName(node).localname != "text":
                    continue
                text = (node.text or "").strip()
                if not text or text == "-":
                    continue
                for message in check_script(_as_dmn_expression(local, text), "eval"):
                    problems.append(Problem(source.filename, message, _owner_id(node), node.sourceline))
    return problems


def _as_dmn_expression(local: str, text: str) -> str:
    """An input entry is a test against the input ("< 5", "'ots'", "4 < ? < 6"); SpiffWorkflow
    turns it into an expression like this before it evaluates it."""
    if local != "inputEntry":
        return text
    text = re.sub(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "invoer", text)
    try:
        ast.parse(text, mode="eval")
        return text
    except SyntaxError:
        return f"invoer {text}"

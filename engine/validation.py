"""Everything that is wrong with a set of BPMN files, DMN files and forms, as a list.

Used before anything is deployed (start-up, `verwijsflow validate`, the deploy API). Each
problem names the file and, where there is one, the element, so a designer can find it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .access import TASK_ROLES
from .library import NS, Source
from .parsing import Parser, elements_of
from .scripting import check_script

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


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
    for key, (source, document) in documents.items():
        try:
            if source.kind == "bpmn":
                parser.add_bpmn_xml(document, filename=source.filename)
            else:
                parser.add_dmn_xml(document, filename=source.filename)
        except ValidationException as error:
            problems.append(_from_spiff(source.filename, error))
            documents[key] = (source, None)

    for source, document in documents.values():
        if document is None or source.kind != "bpmn":
            continue
        problems += _check_expressions(source, document)
        problems += _check_process(parser, source, document, form_keys)
    return problems


def _parse_xml(source: Source, problems: list[Problem]):
    try:
        return etree.fromstring(source.text.encode("utf-8"))
    except etree.XMLSyntaxError as error:
        problems.append(Problem(source.filename, f"Geen geldige XML: {error.msg}", line=error.lineno))
        return None


def _from_spiff(filename: str, error: ValidationException) -> Problem:
    return Problem(filename, f"Ongeldig procesontwerp: {error.args[0] if error.args else error}",
                   element_id=getattr(error, "id", None) or None, line=getattr(error, "line_number", None) or None)


def _check_process(parser: Parser, source: Source, document, form_keys: set[str]) -> list[Problem]:
    problems = []
    process_ids = [p.get("id") for p in document.iterfind("bpmn:process", NS) if p.get("isExecutable") == "true"]
    if source.key not in process_ids:
        problems.append(Problem(source.filename, f"Het bestand moet een uitvoerbaar proces met id '{source.key}' bevatten."))
        return problems
    try:
        spec, subprocess_specs = parser.specs_for(source.key)
    except ValidationException as error:
        return [_from_spiff(source.filename, error)]
    except Exception as error:  # noqa: BLE001 - any parse failure is a problem to report, not a crash
        return [Problem(source.filename, f"Het proces kan niet worden gelezen: {error}")]
    own = {spec.name} | {name for name, sp in subprocess_specs.items() if sp is not None and sp.file == source.filename}
    for (process_id, element_id), element in elements_of(spec, subprocess_specs).items():
        if process_id not in own:
            continue
        if element.kind == "userTask":
            if element.lane not in TASK_ROLES:
                problems.append(Problem(source.filename, f"Taak '{element.title}' staat in baan '{element.lane}', "
                                        f"die bij geen bekende rol hoort ({', '.join(sorted(TASK_ROLES))}).", element_id))
            if not element.form:
                problems.append(Problem(source.filename, f"Taak '{element.title}' heeft geen formulier "
                                        "(eigenschap formJsonSchemaFilename).", element_id))
        if element.form and element.form not in form_keys:
            problems.append(Problem(source.filename, f"Formulier '{element.form}' bestaat niet in forms/.", element_id))
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
    return problems


def _check_expressions(source: Source, document) -> list[Problem]:
    """Every piece of Python in the diagram must be in the safe subset."""
    problems = []
    checks = [
        (".//bpmn:conditionExpression", "eval"),
        (".//bpmn:script", "exec"),
        (".//bpmn:timeDate", "eval"),
        (".//bpmn:timeDuration", "eval"),
        (".//bpmn:timeCycle", "eval"),
        (f".//{{{SPIFF_NS}}}preScript", "exec"),
        (f".//{{{SPIFF_NS}}}postScript", "exec"),
    ]
    for path, mode in checks:
        for node in document.iterfind(path, NS):
            text = (node.text or "").strip()
            if not text:
                continue
            owner = _owner_id(node)
            for message in check_script(text, mode):
                problems.append(Problem(source.filename, message, element_id=owner, line=node.sourceline))
    return problems


def _owner_id(node) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None

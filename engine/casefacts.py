"""A case's data as people read it: each field under the title its form gives it, choices by
their label, organisations by name, dates as dates. Values stay data (bool, date, numbers,
lists, label → value for groups); the web UI puts them in words (webapi/ui/filters.py).

Fields are grouped by the form (step) that asks for them, in the order of the process;
data no form asks for (set by scripts) comes last. Callers check first that the user may
see the case's data (CaseService.get_case returns data only then).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .errors import NotFound
from .forms import CHOICE_LISTS
from .ijw import NAMES as IJW_NAMES
from .library import ParsedBundle
from .models import AuditEvent, Case, User
from .scripting import as_date

if TYPE_CHECKING:
    from .runtime import Runtime

# Parties are shown as parties, not as data.
PARTY_KEYS = {"gi"}


EVENT_LABELS = {
    "case_started": "Casus gestart",
    "task_completed": "Stap afgerond",
    "case_completed": "Casus afgerond",
    "task_claimed": "Taak opgepakt",
    "task_unclaimed": "Taak vrijgegeven",
    "task_assigned": "Taak toegewezen",
    "ijw": "iJw-bericht",
}


def sections(rt: Runtime, case_id: int, data: Mapping) -> list[dict]:
    """[{title, start, fields: [{key, label, value}]}]: per step the case went through, what
    was last entered in its form; then the rest of the case data as it stands (set by the
    engine's scripts). `start` marks the start form's section, the case's key facts.
    Call only for a user who may see the case data (`data` is what get_case gave them)."""
    with rt.reading() as session:
        bundle = _bundle(rt, session, case_id)
        entered: dict[str, dict] = {}
        for element_id, details in session.execute(
            select(AuditEvent.element_id, AuditEvent.details)
            .where(AuditEvent.case_id == case_id, AuditEvent.kind.in_(["case_started", "task_completed"]))
            .order_by(AuditEvent.id)
        ):
            if element_id:
                entered[element_id] = (details or {}).get("data") or {}
        return describe(bundle, data, _org_names(rt, session), entered)


def timeline(rt: Runtime, case_id: int, history: list[dict], messages: list[dict]) -> list[dict]:
    """History and iJw messages in one list, oldest first: who, when, what, with the data of
    each step under its form's labels (as far as the caller may see it)."""
    with rt.reading() as session:
        bundle = _bundle(rt, session, case_id)
        org_name = _org_names(rt, session)
        people = dict(session.execute(
            select(User.username, User.display_name).where(User.username.in_({e["actor"] for e in history}))
        ).all())
    forms_by_element = {e.element_id: bundle.form(e.form) for e in bundle.elements.values() if e.form}
    start = bundle.start
    if start is not None and start.form:
        forms_by_element[start.element_id] = bundle.form(start.form)
    ijw_forms = {code: bundle.form(e.form) for e in bundle.elements.values() if e.form for code in e.ijw}
    entries = []
    for order, event in enumerate(history):
        schema = forms_by_element.get(event.get("element_id")) or {}
        entries.append({
            "at": event["at"], "order": (0, order), "kind": event["kind"],
            "label": EVENT_LABELS.get(event["kind"], _humanise(event["kind"])),
            "title": event.get("title"), "element_id": event.get("element_id"),
            "who": people.get(event["actor"], event["actor"]),
            "fields": fields_of(schema, (event.get("details") or {}).get("data") or {}, org_name),
        })
    for order, message in enumerate(messages):
        schema = ijw_forms.get(message["code"]) or {}
        entries.append({
            "at": message["recorded_at"], "order": (1, order), "kind": "ijw", "label": EVENT_LABELS["ijw"],
            "title": f"{message['code']} {IJW_NAMES.get(message['code'], '')}".strip(), "code": message["code"],
            "direction": message["direction"], "element_id": None, "who": None,
            "fields": fields_of(schema, message.get("payload") or {}, org_name),
        })
    entries.sort(key=lambda e: (e["at"], e["order"]))
    return entries


def fields_of(schema: Mapping, data: Mapping, org_name: Callable[[str], str | None]) -> list[dict]:
    properties = schema.get("properties") or {}
    return [
        {"key": key, "label": (properties.get(key) or {}).get("title") or _humanise(key),
         "value": display(properties.get(key) or {}, value, org_name)}
        for key, value in data.items()
        if value not in (None, "", [], {})
    ]


def _bundle(rt: Runtime, session, case_id: int) -> ParsedBundle:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("Deze casus bestaat niet.")
    return rt.library.parsed(session, case.bundle_id)


def _org_names(rt: Runtime, session) -> Callable[[str], str | None]:
    def org_name(key: str) -> str | None:
        org = rt.orgs.get(session, key)
        return org.name if org else None

    return org_name


def describe(bundle: ParsedBundle, data: Mapping, org_name: Callable[[str], str | None],
             entered: Mapping[str, Mapping] | None = None) -> list[dict]:
    """Sections per form in process order. With `entered` (element id → the data last
    submitted there) each form shows what was entered in it; without, the case data."""
    shown: set[str] = set(PARTY_KEYS)
    result = []
    start = bundle.start
    start_form = bundle.form(start.form) if start and start.form else None
    every_field = {key: field for _, _, schema in _forms_in_order(bundle)
                   for key, field in (schema.get("properties") or {}).items()}
    for element_id, title, schema in _forms_in_order(bundle):
        values = data if entered is None else entered.get(element_id)
        if values is None:
            continue
        fields = []
        for key, field in (schema.get("properties") or {}).items():
            if key not in values or values[key] in (None, "", [], {}):
                continue
            shown.add(key)
            fields.append({"key": key, "label": field.get("title") or _humanise(key),
                           "value": display(field, values[key], org_name)})
        if fields:
            result.append({"title": title, "start": schema is start_form, "fields": fields})
    rest = [
        {"key": key, "label": (every_field.get(key) or {}).get("title") or _humanise(key),
         "value": display(every_field.get(key) or {}, value, org_name)}
        for key, value in data.items()
        if key not in shown and value not in (None, "", [], {})
    ]
    if rest:
        result.append({"title": "Stand van de casus", "start": False, "fields": rest})
    return result


def display(field: Mapping, value, org_name: Callable[[str], str | None]) -> Any:
    """The value as the form means it: a choice's label, an organisation's name, a date field's
    date (text that is no date stays text), a group as {field title: value}; else the value."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [display(field.get("items") or {}, v, org_name) for v in value]
    if isinstance(value, dict):
        properties = field.get("properties") or {}
        return {
            (properties.get(k) or {}).get("title") or _humanise(k): display(properties.get(k) or {}, v, org_name)
            for k, v in value.items() if v not in (None, "")
        }
    labels = {c.get("const"): c.get("title") for c in field.get("oneOf") or [] if isinstance(c, dict)}
    if value in labels:
        return str(labels[value])
    if field.get("x-keuzelijst") in CHOICE_LISTS and isinstance(value, str):
        return org_name(value) or value
    if field.get("format") == "date":
        return _date_or_text(value)
    return value


def _date_or_text(value) -> date | str:
    try:
        return as_date(value)
    except ValueError:
        return str(value)


def _forms_in_order(bundle: ParsedBundle):
    """(element id, form title, schema) for the start event and each user task with a form."""
    start = bundle.start
    elements = ([start] if start and start.form else []) + [
        e for e in bundle.elements.values() if e.form and e is not start
    ]
    for element in elements:
        schema = bundle.form(element.form)
        if schema is not None:
            yield element.element_id, schema.get("title") or element.form, schema


def _humanise(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]

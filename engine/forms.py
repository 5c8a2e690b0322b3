"""Task forms: JSON Schema documents, completed with live choice lists and validated with
Dutch messages per field.

Two keywords let a form's rules depend on what the case already knows (docs/modelling.md):
`x-casusgegevens` names case-data fields the form's conditions may read (read-only: they are
laid under the submitted data before validation, never stored from the form), and
`x-voorwaarden` lists rules {als, dan, veld, melding}: when the data (with those case fields)
fits the schema `als` but not `dan`, the form is refused with `melding` on field `veld`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema import _keywords as keywords
from jsonschema._utils import equal
from jsonschema.exceptions import ValidationError

from .errors import InvalidData

# Choice lists a form can ask for with `x-keuzelijst`: list name (Dutch, as in the forms) -> organisation kind.
CHOICE_LISTS = {"gemeenten": "gemeente", "aanbieders": "aanbieder", "gis": "gi"}

_TYPE_MESSAGES = {
    "boolean": "Kies ja of nee.",
    "string": "Vul tekst in.",
    "integer": "Vul een geheel getal in.",
    "number": "Vul een getal in.",
    "array": "Kies een of meer waarden.",
    "object": "Deze waarde heeft niet de juiste opbouw.",
}


def load_schema(text: str) -> dict:
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


def resolve(schema: dict, choices: Callable[[str], list[tuple[str, str]]]) -> dict:
    """The schema as served and validated: `x-keuzelijst` fields get their current choices."""
    resolved = copy.deepcopy(schema)
    for field_schema in _field_schemas(resolved):
        list_name = field_schema.get("x-keuzelijst")
        if list_name in CHOICE_LISTS:
            options = choices(CHOICE_LISTS[list_name])
            field_schema["oneOf"] = [{"const": key, "title": title} for key, title in options]
    return resolved


def _field_schemas(schema: dict):
    for sub in (schema.get("properties") or {}).values():
        if isinstance(sub, dict):
            yield sub
            yield from _field_schemas(sub)
            if isinstance(sub.get("items"), dict):
                yield sub["items"]
                yield from _field_schemas(sub["items"])


# Keywords a choice of a choice list has: {"const": ..., "title": ...}. Titles only annotate.
_CHOICE_KEYS = frozenset({"const", "title", "description"})


def _one_of(validator, one_of, instance, schema):
    """jsonschema's oneOf, with a shortcut for choice lists (x-keuzelijst, iJw code lists).

    jsonschema descends into every option, a new validator each; a list of 50 codes cost more
    than the rest of a step. For options that are only a const (and a title), the value is
    valid under exactly the options whose const equals it (jsonschema's own equality), so one
    match means valid. Every other case (no match, two, an option with other keywords) goes
    to jsonschema's oneOf itself, so the errors and their messages are the same as before.
    """
    matches = 0
    for option in one_of:
        if not (isinstance(option, dict) and "const" in option and option.keys() <= _CHOICE_KEYS):
            matches = -1
            break
        if equal(instance, option["const"]):
            matches += 1
    if matches == 1:
        return
    yield from keywords.oneOf(validator, one_of, instance, schema)


# Draft 2020-12 with the oneOf above; every form, condition and choice list is checked with it.
FormValidator = validators.extend(Draft202012Validator, {"oneOf": _one_of})


@dataclass(frozen=True)
class Condition:
    """One entry of `x-voorwaarden`, compiled."""

    when: FormValidator
    then: FormValidator
    field: str
    message: str

    def refuses(self, instance: dict) -> bool:
        return self.when.is_valid(instance) and not self.then.is_valid(instance)


def conditions_of(schema: dict) -> tuple[Condition, ...]:
    return tuple(
        Condition(_validator(json.dumps(rule["als"], sort_keys=True)), _validator(json.dumps(rule["dan"], sort_keys=True)),
                  rule["veld"], rule["melding"])
        for rule in schema.get("x-voorwaarden") or ()
    )


@dataclass(frozen=True)
class Form:
    """A resolved form with its compiled validator and conditions."""

    schema: dict | None
    validator: FormValidator | None = field(default=None, compare=False)
    conditions: tuple[Condition, ...] | None = field(default=None, compare=False)

    def validate(self, data: Mapping, case_data: Mapping | None = None) -> None:
        """`case_data`: the case's data so far, for the fields the form names in x-casusgegevens."""
        validate(self.schema or {"type": "object", "properties": {}}, data, self.validator, case_data, self.conditions)


NO_FORM = Form(None)


class FormCache:
    """Resolved forms, kept while the organisation list they were resolved with is current."""

    def __init__(self, size: int = 256):
        self.size = size
        self._entries: OrderedDict[tuple, tuple[dict, Form]] = OrderedDict()
        self._lock = threading.Lock()

    def resolved(self, schema: dict, stamp, choices: Callable[[str], list[tuple[str, str]]]) -> Form:
        key = (id(schema), stamp)
        with self._lock:
            entry = self._entries.get(key)
            # The entry holds the schema itself, so its id cannot be reused while cached.
            if entry is not None and entry[0] is schema:
                self._entries.move_to_end(key)
                return entry[1]
        resolved = resolve(schema, choices)
        form = Form(resolved, FormValidator(resolved, format_checker=FormatChecker()), conditions_of(resolved))
        with self._lock:
            self._entries[key] = (schema, form)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return form


def validate(schema: dict, data: Mapping, validator: FormValidator | None = None,
             case_data: Mapping | None = None, conditions: tuple[Condition, ...] | None = None) -> None:
    """Raise InvalidData with Dutch messages per field (dotted path) when data does not fit.

    Fields named in the form's `x-casusgegevens` are taken from `case_data` (when the form
    does not itself submit them) so the schema's conditions and `x-voorwaarden` can use them.
    """
    if not isinstance(data, Mapping):
        raise InvalidData({"": ["De gegevens moeten een object met velden zijn."]})
    errors: dict[str, list[str]] = {}
    known = set((schema.get("properties") or {}).keys())
    for key in data:
        if key not in known:
            errors.setdefault(key, []).append("Dit veld hoort niet bij dit formulier.")
    instance = with_case_data(schema, data, case_data)
    validator = validator or _validator(json.dumps(schema, sort_keys=True))
    for error in validator.iter_errors(instance):
        for name, message in _messages(schema, error):
            if message not in errors.setdefault(name, []):
                errors[name].append(message)
    for condition in conditions if conditions is not None else conditions_of(schema):
        if condition.refuses(instance) and condition.message not in errors.setdefault(condition.field, []):
            errors[condition.field].append(condition.message)
    errors = {name: messages for name, messages in errors.items() if messages}
    if errors:
        raise InvalidData(errors)


def with_case_data(schema: dict, data: Mapping, case_data: Mapping | None) -> dict:
    """The instance a form's rules see: the named case fields, overlaid by the submitted data."""
    names = schema.get("x-casusgegevens") or ()
    instance = {name: case_data[name] for name in names if case_data and name in case_data}
    instance.update(data)
    return instance


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> FormValidator:
    return FormValidator(json.loads(schema_json), format_checker=FormatChecker())


def _messages(schema: dict, error: ValidationError):
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        for name in missing:
            yield ".".join(path + [name]), _custom(schema, path + [name], "required") or "Dit veld is verplicht."
        return
    if error.validator in ("oneOf", "anyOf") and error.context:
        # A value outside a labelled choice list: name the choices, not the sub-schemas.
        consts = [s.get("const") for s in error.validator_value if isinstance(s, dict) and "const" in s]
        if consts:
            yield ".".join(path), _custom(schema, path, error.validator, error) or _choice_message(schema, path, consts)
            return
    yield ".".join(path), _custom(schema, path, error.validator, error) or _default_message(error)


def _choice_message(schema: dict, path: list[str], consts: list) -> str:
    titles = {s.get("const"): s.get("title", s.get("const")) for s in _schema_at(schema, path).get("oneOf", [])}
    shown = ", ".join(str(titles.get(c, c)) for c in consts[:12])
    return f"Kies een van de mogelijke waarden: {shown}."


def _default_message(error: ValidationError) -> str:
    v, value = error.validator, error.validator_value
    if v == "type":
        return _TYPE_MESSAGES.get(value if isinstance(value, str) else value[0], "Deze waarde heeft het verkeerde type.")
    if v in ("enum", "const"):
        options = value if v == "enum" else [value]
        return f"Kies een van de mogelijke waarden: {', '.join(map(str, options))}."
    if v == "format":
        return {
            "date": "Vul een geldige datum in (JJJJ-MM-DD).",
            "date-time": "Vul een geldig tijdstip in.",
            "email": "Vul een geldig e-mailadres in.",
        }.get(value, "Deze waarde heeft niet de juiste vorm.")
    return {
        "minLength": f"Vul minstens {value} teken(s) in.",
        "maxLength": f"Gebruik hoogstens {value} tekens.",
        "minimum": f"De waarde moet minstens {value} zijn.",
        "maximum": f"De waarde mag hoogstens {value} zijn.",
        "exclusiveMinimum": f"De waarde moet groter zijn dan {value}.",
        "exclusiveMaximum": f"De waarde moet kleiner zijn dan {value}.",
        "minItems": f"Kies minstens {value} waarde(n).",
        "maxItems": f"Kies hoogstens {value} waarden.",
        "uniqueItems": "Elke waarde mag maar één keer voorkomen.",
        "pattern": "Deze waarde heeft niet de juiste vorm.",
        "not": "Deze waarde is niet toegestaan.",
        "additionalProperties": "Dit veld hoort niet bij dit formulier.",
        "oneOf": "Deze waarde past niet bij de mogelijke keuzes.",
        "anyOf": "Deze waarde past niet bij de mogelijke keuzes.",
        "multipleOf": f"De waarde moet een veelvoud van {value} zijn.",
    }.get(v, "Deze waarde is ongeldig.")


def _custom(schema: dict, path: list[str], keyword: str, error: ValidationError | None = None) -> str | None:
    """A designer's message: next to the failing keyword (also inside if/then), else on the field."""
    if error is not None and isinstance(error.schema, dict) and keyword != "required":
        message = (error.schema.get("x-foutmeldingen") or {}).get(keyword)
        if message:
            return message
    return (_schema_at(schema, path).get("x-foutmeldingen") or {}).get(keyword)


def _schema_at(schema: dict, path: list[str]) -> dict:
    node = schema
    for part in path:
        if part.isdigit() and isinstance(node.get("items"), dict):
            node = node["items"]
        else:
            node = (node.get("properties") or {}).get(part) or {}
    return node

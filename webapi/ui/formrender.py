"""JSON Schema → HTML form fields, and submitted form fields → JSON data.

The schema is the task's form as the engine serves it (x-keuzelijst already resolved into
`oneOf`). Which widget a field gets:

| schema                                       | widget                        |
|----------------------------------------------|-------------------------------|
| string                                       | text input                    |
| string, maxLength > 200 or x-widget textarea | textarea                      |
| string, format date                          | <input type=date>             |
| boolean                                      | ja/nee radio buttons          |
| oneOf const/title or enum                    | radios (≤ 4 choices) or select; x-widget radio/select overrides |
| array of enum / oneOf items                  | checkboxes                    |
| integer, number                              | number input                  |
| object                                       | fieldset with its fields      |

Input names are dotted paths (`Omvang.Volume`), the same paths the engine uses for its
errors, so each error lands next to its field. Validation stays the engine's: parsing only
turns the browser's strings into JSON types and keeps what it cannot convert as the typed
text, so the engine names the problem and the user sees what they typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

RADIO_LIMIT = 4
TEXTAREA_FROM = 200
YES, NO = "ja", "nee"


@dataclass
class Field:
    name: str
    label: str
    widget: str
    help: str | None = None
    required: bool = False
    condition: str | None = None  # "Verplicht als …" for if/then requirements
    value: Any = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "veld-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)

    @property
    def help_id(self) -> str:
        return f"{self.id}-uitleg"

    @property
    def error_id(self) -> str:
        return f"{self.id}-fout"

    @property
    def described_by(self) -> str:
        ids = [self.error_id] if self.errors else []
        if self.help or self.condition:
            ids.append(self.help_id)
        return " ".join(ids)

    @property
    def focus_id(self) -> str:
        """Where an error summary link points: the input itself, or a group's first option."""
        if self.widget in ("yesno", "radios", "checkboxes"):
            return f"{self.id}-0"
        if self.widget == "fieldset" and self.children:
            return self.children[0].focus_id
        return self.id

    def selected(self, option: str) -> bool:
        if self.widget == "checkboxes":
            return option in [_text(v) for v in (self.value or [])]
        return _text(self.value) == option


@dataclass
class RenderedForm:
    title: str | None
    description: str | None
    fields: list[Field]
    # Errors that belong to no field (the form as a whole), shown in the summary only.
    general_errors: list[str]

    def all_errors(self) -> list[tuple[Field | None, str]]:
        found: list[tuple[Field | None, str]] = [(None, m) for m in self.general_errors]

        def walk(fields):
            for f in fields:
                found.extend((f, m) for m in f.errors)
                walk(f.children)

        walk(self.fields)
        return found


def render(schema: Mapping | None, values: Mapping | None = None, errors: Mapping[str, list[str]] | None = None) -> RenderedForm:
    schema = schema or {}
    errors = dict(errors or {})
    fields = _fields(schema, values or {}, errors, prefix="")
    general = [m for messages in errors.values() for m in messages]  # what no field took
    return RenderedForm(schema.get("title"), schema.get("description"), fields, general)


def _fields(schema: Mapping, values: Mapping, errors: dict, prefix: str) -> list[Field]:
    required = set(schema.get("required") or [])
    conditions = _conditions(schema)
    result = []
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        name = f"{prefix}{key}"
        value = values.get(key) if isinstance(values, Mapping) else None
        if value is None and "default" in sub:
            value = sub["default"]
        f = Field(name=name, label=sub.get("title") or key, widget=_widget(sub), help=sub.get("description"),
                  required=key in required, condition=conditions.get(key), value=value)
        if f.widget == "fieldset":
            f.children = _fields(sub, value if isinstance(value, Mapping) else {}, errors, prefix=f"{name}.")
        elif f.widget in ("radios", "select", "checkboxes"):
            f.choices = _choices(sub["items"] if f.widget == "checkboxes" else sub)
        elif f.widget == "yesno":
            f.choices = [(YES, "Ja"), (NO, "Nee")]
        f.attrs = _attrs(sub, f.widget)
        result.append(f)
    _attach_errors(result, errors)
    return result


def _widget(schema: Mapping) -> str:
    kind = _type(schema)
    explicit = schema.get("x-widget")
    if kind == "object":
        return "fieldset"
    if kind == "array":
        return "checkboxes" if _has_choices(schema.get("items") or {}) else "text"
    if kind == "boolean":
        return "yesno"
    if _has_choices(schema):
        if explicit in ("radio", "radios", "select"):
            return "radios" if explicit != "select" else "select"
        return "radios" if len(_choices(schema)) <= RADIO_LIMIT else "select"
    if kind in ("integer", "number"):
        return kind
    if schema.get("format") == "date":
        return "date"
    if explicit == "textarea" or (schema.get("maxLength") or 0) > TEXTAREA_FROM:
        return "textarea"
    return "text"


def _type(schema: Mapping) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and isinstance(schema.get("properties"), Mapping):
        return "object"
    return kind


def _has_choices(schema: Mapping) -> bool:
    return bool(schema.get("enum")) or any(isinstance(c, Mapping) and "const" in c for c in schema.get("oneOf") or [])


def _choices(schema: Mapping) -> list[tuple[str, str]]:
    if schema.get("oneOf"):
        return [(_text(c["const"]), str(c.get("title", c["const"]))) for c in schema["oneOf"]
                if isinstance(c, Mapping) and "const" in c]
    return [(_text(v), str(v)) for v in schema.get("enum") or []]


def _attrs(schema: Mapping, widget: str) -> dict:
    attrs: dict[str, Any] = {}
    if widget in ("text", "textarea") and schema.get("maxLength"):
        attrs["maxlength"] = schema["maxLength"]
    if widget in ("integer", "number"):
        for key in ("minimum", "maximum"):
            if key in schema:
                attrs[key[:3]] = schema[key]
        attrs["step"] = "1" if widget == "integer" else "any"
    return attrs


def _conditions(schema: Mapping) -> dict[str, str]:
    """`if {field: const}` / `then required` pairs, worded for the fields they make required."""
    found: dict[str, str] = {}
    rules = [schema] + [s for s in schema.get("allOf") or [] if isinstance(s, Mapping)]
    properties = schema.get("properties") or {}
    for rule in rules:
        condition, then = rule.get("if") or {}, rule.get("then") or {}
        tests = {k: v["const"] for k, v in (condition.get("properties") or {}).items()
                 if isinstance(v, Mapping) and "const" in v}
        if not tests:
            continue
        words = " en ".join(
            f"‘{(properties.get(k) or {}).get('title', k)}’ {_value_words(properties.get(k) or {}, v)} is"
            for k, v in tests.items()
        )
        for name in then.get("required") or []:
            found[name] = f"Verplicht als {words}."
    return found


def _value_words(schema: Mapping, value) -> str:
    if isinstance(value, bool):
        return "Ja" if value else "Nee"
    titles = dict(_choices(schema))
    return f"‘{titles.get(_text(value), value)}’"


def _attach_errors(fields: list[Field], errors: dict) -> None:
    """Take the errors of these fields out of `errors`. Children ran first, so what is left
    under a fieldset's path is the fieldset's own."""
    by_name = {f.name: f for f in fields}
    for path in list(errors):
        owner = _owner(path, by_name)
        if owner is not None:
            owner.errors.extend(m for m in errors.pop(path) if m not in owner.errors)


def _owner(path: str, fields: Mapping[str, Field]) -> Field | None:
    """The field an error path belongs to; `criteria.0` belongs to `criteria`."""
    parts = path.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in fields:
            return fields[candidate]
        parts.pop()
    return None


# -- parsing a submission ------------------------------------------------------------------


def parse(schema: Mapping | None, form: MultiDict, prefix: str = "") -> dict:
    """The submitted fields as JSON data; empty fields are left out."""
    data: dict[str, Any] = {}
    for key, sub in ((schema or {}).get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        name = f"{prefix}{key}"
        widget = _widget(sub)
        if widget == "fieldset":
            value = parse(sub, form, prefix=f"{name}.")
            if value:
                data[key] = value
        elif widget == "checkboxes":
            picked = [_typed(sub.get("items") or {}, v) for v in form.getlist(name) if v != ""]
            if picked:
                data[key] = picked
        else:
            raw = form.get(name, "")
            raw = raw.strip() if widget != "textarea" else raw.strip("\r\n ")
            if raw != "":
                data[key] = _typed(sub, raw)
    return data


def _typed(schema: Mapping, raw: str):
    """The value as the schema wants it, or the text as typed when it does not convert."""
    for choice in schema.get("oneOf") or []:
        if isinstance(choice, Mapping) and "const" in choice and _text(choice["const"]) == raw:
            return choice["const"]
    for option in schema.get("enum") or []:
        if _text(option) == raw:
            return option
    kind = _type(schema)
    if kind == "boolean":
        return {YES: True, NO: False}.get(raw, raw)
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    if kind == "number":
        number = raw.replace(",", ".")  # Dutch decimal comma
        if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", number):
            return int(number) if re.fullmatch(r"[+-]?\d+", number) else float(number)
    return raw


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)

"""Which case-data fields a process sets, and which of them its conditions and timers read.

A gateway condition that reads a field nothing ever sets cannot be decided at run time: the
case gets stuck (or silently takes the default) at that gateway. Validation therefore checks
that every name a condition or timer expression reads is set somewhere the case can have
passed: a form field, a field the engine injects at start (engine.cases.ENGINE_FIELDS), an
assignment in a script, or an output of a decision table, in the same process or in the
processes it calls or that call it (a call activity shares its data both ways).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from .cases import ENGINE_FIELDS
from .scripting import SAFE_BUILTINS, script_helpers

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FORM_PROPERTY = "formJsonSchemaFilename"

# Names an expression may use without any case data: helpers and builtins.
PROVIDED_NAMES = frozenset(script_helpers(lambda: None)) | frozenset(SAFE_BUILTINS)

# JSON Schema keywords whose subschemas describe fields of the same object (conditional fields).
_SAME_OBJECT_KEYWORDS = ("allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas")


def form_fields(schema: object) -> set[str]:
    """Top-level field names of a form, including fields that only appear under if/then/oneOf."""
    found: set[str] = set()
    if not isinstance(schema, dict):
        return found
    properties = schema.get("properties")
    if isinstance(properties, dict):
        found.update(properties)
    for keyword in _SAME_OBJECT_KEYWORDS:
        value = schema.get(keyword)
        if keyword == "dependentSchemas" and isinstance(value, dict):
            subschemas = list(value.values())
        else:
            subschemas = value if isinstance(value, list) else [value]
        for subschema in subschemas:
            found |= form_fields(subschema)
    return found


def names_read(source: str, mode: str = "eval") -> set[str]:
    """Case-data names an expression or script reads before it sets them; empty on a syntax error
    (which the safe-subset check reports)."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return set()
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return loaded - names_set(tree) - PROVIDED_NAMES


def names_set(tree_or_source: ast.AST | str) -> set[str]:
    """Names a script binds (assignments, loop and comprehension variables, :=)."""
    if isinstance(tree_or_source, str):
        try:
            tree = ast.parse(tree_or_source, mode="exec")
        except SyntaxError:
            return set()
    else:
        tree = tree_or_source
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


@dataclass
class ProcessFields:
    """What one BPMN file contributes: the fields it sets and the processes it calls."""

    key: str
    scripted: set[str] = field(default_factory=set)  # fields assigned by scripts
    calls: set[str] = field(default_factory=set)
    forms: set[str] = field(default_factory=set)
    decisions: set[str] = field(default_factory=set)


def process_fields(key: str, document: etree._Element) -> ProcessFields:
    """Scripts, called processes, forms and decision tables of one BPMN document."""
    info = ProcessFields(key)
    for node in document.iter(f"{{{BPMN_NS}}}script"):
        info.scripted |= names_set(node.text or "")
    for node in document.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        if local in ("preScript", "postScript"):
            info.scripted |= names_set(node.text or "")
        elif local == "callActivity" and node.get("calledElement"):
            info.calls.add(node.get("calledElement"))
        elif local == "property" and node.get("name") == FORM_PROPERTY and node.get("value"):
            info.forms.add(node.get("value"))
        elif local == "calledDecisionId" and (node.text or "").strip():
            info.decisions.add(node.text.strip())
    return info


def decision_outputs(document: etree._Element) -> dict[str, set[str]]:
    """Decision id -> the names of its table's outputs (what a business rule task sets)."""
    outputs: dict[str, set[str]] = {}
    for decision in document.iter():
        if isinstance(decision.tag, str) and etree.QName(decision).localname == "decision":
            names = {
                node.get("name") for node in decision.iter()
                if isinstance(node.tag, str) and etree.QName(node).localname == "output" and node.get("name")
            }
            outputs[decision.get("id")] = names
    return outputs


class FieldIndex:
    """Fields set per group of processes that share data through call activities."""

    def __init__(self, processes: Iterable[ProcessFields], forms: dict[str, object], decisions: dict[str, set[str]]):
        self.processes = {p.key: p for p in processes}
        self._forms = forms
        self._decisions = decisions
        self._groups = self._group()

    def _group(self) -> dict[str, frozenset[str]]:
        neighbours: dict[str, set[str]] = {key: set() for key in self.processes}
        for key, info in self.processes.items():
            for called in info.calls:
                if called in neighbours:
                    neighbours[key].add(called)
                    neighbours[called].add(key)
        groups: dict[str, frozenset[str]] = {}
        for key in neighbours:
            if key in groups:
                continue
            members, todo = set(), [key]
            while todo:
                current = todo.pop()
                if current not in members:
                    members.add(current)
                    todo += neighbours[current]
            for member in members:
                groups[member] = frozenset(members)
        return groups

    def known(self, process_key: str) -> set[str]:
        """Every field a condition in this process may read."""
        known = set(ENGINE_FIELDS)
        for member in self._groups.get(process_key, {process_key}):
            info = self.processes.get(member)
            if info is None:
                continue
            known |= info.scripted
            for path in info.forms:
                schema = self._forms.get(path)
                known |= form_fields(schema)
            for decision in info.decisions:
                known |= self._decisions.get(decision, set())
        return known


def load_form(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None

"""What changed between two versions of a BPMN file, a DMN file or a form, for the version
history a designer (and an auditor) reads: elements added, removed and renamed, tasks that
moved to another lane or got another form, flows whose condition or ends changed. Keys are
English (`added`, `renamed`, `lane_changed`, ...); `text` says it all in Dutch for people.

Only elements a person models count (tasks, events, gateways, flows, lanes, decisions), not
diagram shapes or ids the modeler generates for event definitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lxml import etree

from .lint import FLOW_NODES, SPIFF_NS

_MODELLED = FLOW_NODES | {"sequenceFlow", "lane", "process", "participant", "decision", "input", "output", "rule"}
_FORM_PROPERTY = "formJsonSchemaFilename"


@dataclass(frozen=True)
class _Element:
    kind: str
    name: str
    lane: str | None = None
    form: str | None = None
    condition: str | None = None
    ends: tuple[str | None, str | None] | None = None
    script: str | None = None


def summarise(kind: str, old_text: str | None, new_text: str) -> dict:
    if kind == "form":
        return _summarise_form(old_text, new_text)
    old = _elements(old_text) if old_text else {}
    new = _elements(new_text)
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    kept = sorted(set(new) & set(old))
    summary = {
        "added": added,
        "removed": removed,
        "renamed": [{"id": i, "from": old[i].name, "to": new[i].name} for i in kept if old[i].name != new[i].name],
        "lane_changed": [{"id": i, "from": old[i].lane, "to": new[i].lane} for i in kept
                         if old[i].lane != new[i].lane and new[i].kind not in ("lane", "sequenceFlow")],
        "form_changed": [{"id": i, "from": old[i].form, "to": new[i].form} for i in kept
                         if old[i].form != new[i].form],
        "condition_changed": [i for i in kept if old[i].condition != new[i].condition],
        "connection_changed": [i for i in kept if old[i].ends != new[i].ends],
        "script_changed": [i for i in kept if old[i].script != new[i].script],
    }
    mentioned = set(added) | set(removed) | {i for key, value in summary.items() if key != "added"
                                             for i in (v["id"] if isinstance(v, dict) else v for v in value)}
    summary["elements"] = {
        i: {"kind": (new.get(i) or old[i]).kind, "name": (new.get(i) or old[i]).name} for i in sorted(mentioned)
    }
    summary["text"] = _sentence(summary, first=old_text is None)
    return summary


def _elements(text: str) -> dict[str, _Element]:
    root = etree.fromstring(text.encode("utf-8"))
    lanes = {}
    for lane in root.iter():
        if _local(lane) == "lane":
            for ref in lane:
                if _local(ref) == "flowNodeRef" and ref.text:
                    lanes[ref.text.strip()] = lane.get("name") or lane.get("id")
    found = {}
    for node in root.iter():
        kind = _local(node)
        if kind not in _MODELLED or not node.get("id"):
            continue
        found[node.get("id")] = _Element(
            kind=kind,
            name=node.get("name") or "",
            lane=lanes.get(node.get("id")),
            form=_property(node, _FORM_PROPERTY),
            condition=_child_text(node, "conditionExpression"),
            ends=(node.get("sourceRef"), node.get("targetRef")) if kind == "sequenceFlow" else None,
            script=_child_text(node, "script"),
        )
    return found


def _local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _child_text(node, local: str) -> str | None:
    for child in node:
        if _local(child) == local:
            return (child.text or "").strip()
    return None


def _property(node, name: str) -> str | None:
    for prop in node.iter(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") == name:
            # Only the node's own properties, not those of elements nested in a subprocess.
            owner = prop.getparent().getparent().getparent()
            if owner is node:
                return prop.get("value")
    return None


def _summarise_form(old_text: str | None, new_text: str) -> dict:
    old = json.loads(old_text) if old_text else {}
    new = json.loads(new_text)
    old_fields, new_fields = old.get("properties") or {}, new.get("properties") or {}
    kept = sorted(set(old_fields) & set(new_fields))
    old_required, new_required = set(old.get("required") or ()), set(new.get("required") or ())
    summary = {
        "fields_added": sorted(set(new_fields) - set(old_fields)),
        "fields_removed": sorted(set(old_fields) - set(new_fields)),
        "fields_renamed": [
            {"field": f, "from": _title(old_fields[f]), "to": _title(new_fields[f])}
            for f in kept if _title(old_fields[f]) != _title(new_fields[f])
        ],
        "fields_changed": [f for f in kept if old_fields[f] != new_fields[f]],
        "required_changed": sorted((old_required ^ new_required) & (set(old_fields) | set(new_fields))),
        "title": {"from": old.get("title"), "to": new.get("title")} if old and old.get("title") != new.get("title")
        else None,
    }
    parts = []
    for key, label in (("fields_added", "toegevoegd"), ("fields_removed", "verwijderd"),
                       ("fields_renamed", "hernoemd"), ("fields_changed", "gewijzigd")):
        if summary[key]:
            parts.append(f"{len(summary[key])} veld(en) {label}")
    summary["text"] = "Eerste versie." if old_text is None else ("; ".join(parts) or "Geen veldwijzigingen") + "."
    return summary


def _title(field: object) -> str | None:
    return field.get("title") if isinstance(field, dict) else None


def _sentence(summary: dict, first: bool) -> str:
    if first:
        return "Eerste versie."
    names = summary["elements"]

    def label(i: str) -> str:
        return f"'{names[i]['name']}'" if names.get(i, {}).get("name") else i

    parts = []
    if summary["added"]:
        parts.append("toegevoegd: " + ", ".join(label(i) for i in summary["added"]))
    if summary["removed"]:
        parts.append("verwijderd: " + ", ".join(label(i) for i in summary["removed"]))
    if summary["renamed"]:
        parts.append("hernoemd: " + ", ".join(f"'{r['from']}' → '{r['to']}'" for r in summary["renamed"]))
    for key, what in (("lane_changed", "andere baan"), ("form_changed", "ander formulier"),
                      ("condition_changed", "andere voorwaarde"), ("connection_changed", "andere verbinding"),
                      ("script_changed", "ander script")):
        if summary[key]:
            ids = [r["id"] if isinstance(r, dict) else r for r in summary[key]]
            parts.append(f"{what}: " + ", ".join(label(i) for i in ids))
    text = "; ".join(parts) or "alleen de opmaak of eigenschappen zijn gewijzigd"
    return text[0].upper() + text[1:] + "."

"""Sound-modelling rules for BPMN, in the spirit of bpmnlint, in Python so that
`verwijsflow validate` and the deploy API need no Node.js.

The rules (each problem names the element and its line):
- nothing disconnected: every element can be reached and leads somewhere;
- no implicit split: a task or event with several outgoing flows needs a gateway;
- no implicit join: several flows into a task or intermediate event need a gateway first;
- an exclusive or inclusive split gives every flow but the default a condition, and has a
  default (or a flow whose condition is simply `True`), so a case can never get stuck there;
- a parallel gateway ignores conditions, so its flows have none;
- a gateway's default is one of its own outgoing flows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"  # spiffworkflow:properties, preScript, ...

ACTIVITIES = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}

KIND_LABELS = {
    "exclusiveGateway": "Gateway", "inclusiveGateway": "Gateway", "parallelGateway": "Parallelle gateway",
    "eventBasedGateway": "Gateway", "complexGateway": "Gateway",
    "startEvent": "Startgebeurtenis", "endEvent": "Eindgebeurtenis", "intermediateCatchEvent": "Gebeurtenis",
    "intermediateThrowEvent": "Gebeurtenis", "boundaryEvent": "Randgebeurtenis",
    "subProcess": "Deelproces", "callActivity": "Aanroep",
}

Report = Callable[[str, str, int | None], None]  # (message, element id, line)


def local_name(node) -> str:
    """An element's tag without its namespace; "" for comments and processing instructions."""
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


@dataclass
class Node:
    element: etree._Element
    kind: str
    incoming: list
    outgoing: list

    @property
    def id(self) -> str:
        return self.element.get("id")

    @property
    def label(self) -> str:
        what = KIND_LABELS.get(self.kind, "Taak")
        name = self.element.get("name")
        return f"{what} '{name}'" if name else f"{what} {self.id}"


def check_structure(document: etree._Element, report: Report) -> None:
    """Apply every rule to each scope (the process and each embedded subprocess)."""
    for scope in document.iter():
        if local_name(scope) in SCOPES:
            _check_scope(scope, report)


def _check_scope(scope, report: Report) -> None:
    nodes = {child.get("id"): Node(child, local_name(child), [], [])
             for child in scope if local_name(child) in FLOW_NODES and child.get("id")}
    flows = [child for child in scope if local_name(child) == "sequenceFlow"]
    for flow in flows:
        source, target = nodes.get(flow.get("sourceRef")), nodes.get(flow.get("targetRef"))
        if source is None or target is None:
            report(f"Stroom {flow.get('id')} verbindt elementen die niet in hetzelfde (deel)proces staan.",
                   flow.get("id"), flow.sourceline)
            continue
        source.outgoing.append(flow)
        target.incoming.append(flow)
    for node in nodes.values():
        _check_connected(node, report)
        if node.kind in GATEWAYS:
            _check_gateway(node, report)
        else:
            _check_implicit(node, report)


def _is_event_subprocess(node: Node) -> bool:
    return node.element.get("triggeredByEvent") == "true"


def _is_compensation(node: Node) -> bool:
    return node.element.get("isForCompensation") == "true"


def _has_definition(node: Node, local: str) -> bool:
    return any(local_name(child) == local for child in node.element)


def _check_connected(node: Node, report: Report) -> None:
    if _is_event_subprocess(node) or _is_compensation(node):
        return
    needs_incoming = node.kind not in ("startEvent", "boundaryEvent") and not (
        node.kind == "intermediateCatchEvent" and _has_definition(node, "linkEventDefinition"))
    needs_outgoing = node.kind != "endEvent" and not (
        node.kind == "intermediateThrowEvent" and _has_definition(node, "linkEventDefinition"))
    line = node.element.sourceline
    if needs_incoming and not node.incoming and needs_outgoing and not node.outgoing:
        report(f"{node.label} is met niets verbonden.", node.id, line)
    elif needs_incoming and not node.incoming:
        report(f"{node.label} heeft geen inkomende stroom en wordt dus nooit bereikt.", node.id, line)
    elif needs_outgoing and not node.outgoing:
        report(f"{node.label} heeft geen uitgaande stroom; laat het pad eindigen in een eindgebeurtenis.",
               node.id, line)


def _check_implicit(node: Node, report: Report) -> None:
    line = node.element.sourceline
    if len(node.outgoing) > 1:
        report(f"{node.label} heeft {len(node.outgoing)} uitgaande stromen zonder gateway (impliciete splitsing); "
               "zet er een gateway achter die zegt of alle paden of één pad gevolgd worden.", node.id, line)
    if len(node.incoming) > 1 and node.kind not in ("endEvent", "startEvent"):
        report(f"{node.label} heeft {len(node.incoming)} inkomende stromen zonder gateway (impliciete samenvoeging); "
               "laat de stromen eerst samenkomen in een gateway.", node.id, line)


def _condition(flow) -> str | None:
    for child in flow:
        if local_name(child) == "conditionExpression":
            return (child.text or "").strip() or None
    return None


def _flow_label(flow) -> str:
    return f"'{flow.get('name')}' ({flow.get('id')})" if flow.get("name") else flow.get("id")


def _check_gateway(node: Node, report: Report) -> None:
    default = node.element.get("default")
    outgoing_ids = {flow.get("id") for flow in node.outgoing}
    if default and default not in outgoing_ids:
        report(f"{node.label}: de standaardstroom {default} is geen uitgaande stroom van deze gateway.",
               node.id, node.element.sourceline)
    if node.kind == "parallelGateway":
        for flow in node.outgoing:
            if _condition(flow):
                report(f"Stroom {_flow_label(flow)} uit {node.label} heeft een voorwaarde, maar een parallelle "
                       "gateway volgt altijd alle stromen; gebruik een inclusieve gateway.", flow.get("id"),
                       flow.sourceline)
        return
    if node.kind not in ("exclusiveGateway", "inclusiveGateway") or len(node.outgoing) < 2:
        return
    for flow in node.outgoing:
        if flow.get("id") != default and not _condition(flow):
            report(f"Stroom {_flow_label(flow)} uit {node.label} heeft geen voorwaarde en is niet de "
                   "standaardstroom.", flow.get("id"), flow.sourceline)
    always = any(_condition(flow) == "True" for flow in node.outgoing)
    if not default and not always:
        report(f"{node.label} heeft geen standaardstroom: als geen enkele voorwaarde waar is, loopt de casus vast. "
               "Maak één uitgaande stroom de standaardstroom.", node.id, node.element.sourceline)

"""Turning BPMN/DMN text into SpiffWorkflow specs, and reading our conventions off them."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .scripting import clock_timer_definition

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class Parser(SpiffBpmnParser):
    """SpiffWorkflow's Spiff parser, reading from strings and making timers follow our clock."""

    def add_bpmn_text(self, text: str, filename: str) -> None:
        self.add_bpmn_xml(etree.fromstring(text.encode("utf-8")), filename=filename)

    def add_dmn_text(self, text: str, filename: str) -> None:
        self.add_dmn_xml(etree.fromstring(text.encode("utf-8")), filename=filename)

    def specs_for(self, process_key: str):
        spec = self.get_spec(process_key)
        subprocess_specs = self.get_subprocess_specs(process_key)
        for process_spec in [spec, *subprocess_specs.values()]:
            _use_clock_timers(process_spec)
        return spec, subprocess_specs


def _use_clock_timers(process_spec) -> None:
    for task_spec in process_spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            task_spec.event_definition = clock_timer_definition(definition)
        elif isinstance(definition, MultipleEventDefinition):  # an event-based gateway holds its branches' timers
            definition.event_definitions = [clock_timer_definition(d) for d in definition.event_definitions]


@dataclass(frozen=True)
class Element:
    """What the engine and the UI need to know about one BPMN element."""

    process_id: str
    element_id: str
    title: str
    lane: str | None
    kind: str
    properties: dict = field(default_factory=dict)

    @property
    def form(self) -> str | None:
        return self.properties.get("formJsonSchemaFilename")

    @property
    def ijw(self) -> tuple[str, ...]:
        value = self.properties.get("ijwBericht")
        return tuple(code.strip() for code in value.split("|")) if value else ()


def elements_of(spec, subprocess_specs) -> dict[tuple[str, str], Element]:
    found = {}
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id is None:
                continue
            extensions = getattr(task_spec, "extensions", None) or {}
            found[(process_spec.name, bpmn_id)] = Element(
                process_id=process_spec.name,
                element_id=bpmn_id,
                title=task_spec.bpmn_name or bpmn_id,
                lane=task_spec.lane,
                kind=_kind(task_spec),
                properties=dict(extensions.get("properties") or {}),
            )
    return found


def _kind(task_spec) -> str:
    if task_spec.manual:
        return "userTask"
    if isinstance(task_spec, StartEvent):
        return "startEvent"
    if isinstance(task_spec, CallActivity):
        return "callActivity"
    if isinstance(task_spec, CatchingEvent):
        return "catchEvent"
    return type(task_spec).__name__


def start_element(spec, elements: dict[tuple[str, str], Element]) -> Element | None:
    """The process's (none) start event: its lane says who may start a case, its form what."""
    for (process_id, _), element in elements.items():
        if process_id == spec.name and element.kind == "startEvent" and not _is_event_subprocess_start(spec, element):
            return element
    return None


def _is_event_subprocess_start(spec, element: Element) -> bool:
    task_spec = next((t for t in spec.task_specs.values() if getattr(t, "bpmn_id", None) == element.element_id), None)
    return task_spec is not None and getattr(task_spec, "event_definition", None) is not None and \
        type(task_spec.event_definition).__name__ != "NoneEventDefinition"


def process_name(xml_text: str, process_key: str) -> str:
    """The human name of a process (the pool's or process's name attribute)."""
    root = etree.fromstring(xml_text.encode("utf-8"))
    for tag in ("participant", "process"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            if (node.get("processRef") or node.get("id")) == process_key and node.get("name"):
                return node.get("name")
    return process_key

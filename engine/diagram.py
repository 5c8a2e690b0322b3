"""Where a case stands, per BPMN diagram: which elements it has passed, where it is now and
which of its open tasks are overdue.

Read from the case's own task rows (every gateway, script and event the engine ran, not
only the user tasks in the audit trail), so the diagram shows the path the case took.
Callers check first that the user may see the case (CaseService.get_case).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from .errors import NotFound
from .library import ParsedBundle
from .models import Case, EngineTask, WorkItem
from .parsing import process_name
from .worklist import OPEN_ITEMS

if TYPE_CHECKING:
    from .runtime import Runtime

_SEEN = (TaskState.COMPLETED, TaskState.READY, TaskState.STARTED, TaskState.WAITING)
# Activities that hold the case's current work (a called process, an embedded subprocess).
_CONTAINERS = {"callActivity", "SubWorkflowTask", "SubprocessTask", "TransactionSubprocess"}
# Events the case waits for: timers (the doorbraak's 3 months), messages, event gateways.
# A boundary event waits as long as its activity runs, so it says nothing and is left out.
_WAITING_KINDS = {"catchEvent"}


def case_diagrams(rt: Runtime, case_id: int) -> list[dict]:
    """The case's process diagram, then those of processes it called, with markers:
    `completed` (with `completed_counts` for loops), `current` (open tasks and the called
    process or subprocess holding them), `waiting` (timers and other events the case waits
    for), `overdue` (open tasks past their due date)."""
    with rt.reading() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Deze casus bestaat niet.")
        bundle = rt.library.parsed(session, case.bundle_id)
        process_key = case.process_key
        workflows = {"": process_key}
        for key, header in (case.engine_state.get("subprocesses") or {}).items():
            workflows[key] = header.get("spec")
        rows = session.execute(
            select(EngineTask.workflow_key, EngineTask.state, EngineTask.payload)
            .where(EngineTask.case_id == case_id, EngineTask.state.in_([int(s) for s in _SEEN]))
        ).all()
        items = session.execute(
            OPEN_ITEMS.with_only_columns(WorkItem.process_key, WorkItem.element_id, WorkItem.due_at),
            {"case_ids": [case_id]},
        ).all()
        now = rt.clock.now()

    completed: dict[str, Counter] = {}
    current: dict[str, set[str]] = {}
    waiting: dict[str, set[str]] = {}
    for workflow_key, state, payload in rows:
        process_id = workflows.get(workflow_key)
        element = bundle.element(process_id, json.loads(payload).get("task_spec", "")) if process_id else None
        if element is None:
            continue
        diagram = diagram_of(bundle, element.process_id)
        if state == TaskState.COMPLETED:
            completed.setdefault(diagram, Counter())[element.element_id] += 1
        elif element.kind in _CONTAINERS:
            current.setdefault(diagram, set()).add(element.element_id)
        elif element.kind in _WAITING_KINDS and not _is_boundary_event(bundle, element):
            waiting.setdefault(diagram, set()).add(element.element_id)
    overdue: dict[str, set[str]] = {}
    for item_process, element_id, due_at in items:
        diagram = diagram_of(bundle, item_process)
        current.setdefault(diagram, set()).add(element_id)
        if due_at is not None and due_at < now:
            overdue.setdefault(diagram, set()).add(element_id)

    shown = [process_key] + sorted(k for k in set(completed) | set(current) | set(waiting) if k != process_key)
    return [
        {
            "process": key,
            "name": _name(bundle, key),
            "xml": bundle.bpmn[key],
            "completed": sorted(set(completed.get(key, {})) - current.get(key, set()) - waiting.get(key, set())),
            "completed_counts": dict(completed.get(key, {})),
            "current": sorted(current.get(key, set())),
            "waiting": sorted(waiting.get(key, set())),
            "overdue": sorted(overdue.get(key, set())),
        }
        for key in shown
        if key in bundle.bpmn
    ]


def diagram_of(bundle: ParsedBundle, process_id: str) -> str:
    """The BPMN file (process key) that draws a process; an embedded subprocess is drawn in
    its parent's file."""
    seen = set()
    while process_id not in bundle.bpmn and process_id not in seen:
        seen.add(process_id)
        parent = next((e.process_id for e in bundle.elements.values() if e.element_id == process_id), None)
        if parent is None:
            break
        process_id = parent
    return process_id


def _is_boundary_event(bundle: ParsedBundle, element) -> bool:
    spec = bundle.spec if element.process_id == bundle.spec.name else bundle.subprocess_specs.get(element.process_id)
    task_spec = spec.task_specs.get(element.element_id) if spec is not None else None
    return isinstance(task_spec, BoundaryEvent)


def _name(bundle: ParsedBundle, key: str) -> str:
    if key == bundle.process_key:
        return bundle.name
    return process_name(bundle.bpmn[key], key)

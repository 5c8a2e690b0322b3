"""Persisting SpiffWorkflow workflows one task row at a time.

SpiffWorkflow's serializer turns a whole workflow into one document; rewriting that document
after every step costs more the longer a case runs (its task tree keeps every loop). Here
each task is a row in `engine_tasks`, in SpiffWorkflow's own per-task format, and after a
step only the rows of tasks that changed are written. What changed is found by comparing a
cheap fingerprint of every task against the one taken at the previous save.

Loading a case (a cache miss) reads all its rows and rebuilds the workflow with
SpiffWorkflow's converters; the specs come from the already-parsed bundle, not from the rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from .frontier import SubWorkflow, Workflow
from .models import EngineTask

# Core statements, built once: no ORM bookkeeping and no statement construction per step.
_TASKS = EngineTask.__table__
_INSERT = insert(_TASKS)
_UPDATE = (
    update(_TASKS)
    .where(_TASKS.c.case_id == bindparam("b_case"), _TASKS.c.task_id == bindparam("b_task"))
    .values(state=bindparam("state"), payload=bindparam("payload"), workflow_key=bindparam("workflow_key"))
)
_DELETE = delete(_TASKS).where(_TASKS.c.case_id == bindparam("b_case"), _TASKS.c.task_id == bindparam("b_task"))
_LOAD = (
    select(_TASKS.c.task_id, _TASKS.c.workflow_key, _TASKS.c.seq, _TASKS.c.payload)
    .where(_TASKS.c.case_id == bindparam("b_case"))
    .order_by(_TASKS.c.seq)
)

_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_TOP = ""


def _fingerprint(task) -> tuple:
    # An active task can change without changing state: a timer stores its due time and
    # counts its cycles in internal data. Its internal data is small; compare all of it.
    internal = repr(task.internal_data) if task.state & _ACTIVE else len(task.internal_data)
    # The spec name too: migrating a case onto a new version swaps specs without changing states.
    # The children's ids, not their number: re-predicting a branch replaces children one for one.
    return (task.task_spec.name, task.state, task.last_state_change, tuple(task._children), task.triggered, internal)


@dataclass
class Snapshot:
    """What the database holds for one case, as far as this process knows."""

    fingerprints: dict[UUID, tuple] = field(default_factory=dict)
    seq: dict[UUID, int] = field(default_factory=dict)
    next_seq: int = 0


@dataclass
class Saved:
    state: dict  # workflow-level state, stored on the case row
    touched: list  # tasks written (they changed), parents first
    active: list  # every task ready, waiting or started
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


class WorkflowStore:
    """Writes changed tasks of a workflow and rebuilds workflows from rows."""

    def __init__(self, serializer: BpmnWorkflowSerializer):
        self.serializer = serializer
        self.registry = serializer.registry

    # -- saving ---------------------------------------------------------------------------

    def save(self, session: Session, case_id: int, workflow: BpmnWorkflow, snapshot: Snapshot) -> Saved:
        """Write the tasks that changed since `snapshot` (which is updated in place)."""
        rows_new, rows_changed, seen, touched, active = [], [], set(), [], []
        for workflow_key, wf in _workflows(workflow):
            dirty = set()
            for task in wf.tasks.values():
                seen.add(task.id)
                fp = _fingerprint(task)
                if task.state & _ACTIVE:
                    active.append(task)
                if fp != snapshot.fingerprints.get(task.id):
                    dirty.add(task)
                    # A child's stored data is a delta against its parent's data.
                    dirty.update(task.children)
            ordered = _in_creation_order(wf, dirty)
            touched += ordered
            for task in ordered:
                row = self._row(case_id, workflow_key, task, snapshot)
                (rows_changed if task.id in snapshot.fingerprints else rows_new).append(row)
                snapshot.fingerprints[task.id] = _fingerprint(task)

        removed = [task_id for task_id in snapshot.fingerprints if task_id not in seen]
        # On the connection, not the session: these rows are not ORM objects.
        connection = session.connection()
        if rows_new:
            connection.execute(_INSERT, rows_new)
        if rows_changed:
            connection.execute(_UPDATE, [
                {"b_case": r["case_id"], "b_task": r["task_id"], "state": r["state"], "payload": r["payload"],
                 "workflow_key": r["workflow_key"]}
                for r in rows_changed
            ])
        if removed:
            connection.execute(_DELETE, [{"b_case": case_id, "b_task": str(t)} for t in removed])
            for task_id in removed:
                snapshot.fingerprints.pop(task_id, None)
                snapshot.seq.pop(task_id, None)
        return Saved(self.workflow_state(workflow), touched, active, len(rows_new), len(rows_changed), len(removed))

    def _row(self, case_id: int, workflow_key: str, task, snapshot: Snapshot) -> dict:
        if task.id not in snapshot.seq:
            snapshot.seq[task.id] = snapshot.next_seq
            snapshot.next_seq += 1
        payload = self.registry.convert(task)
        return {
            "case_id": case_id,
            "task_id": str(task.id),
            "workflow_key": workflow_key,
            "seq": snapshot.seq[task.id],
            "state": task.state,
            "payload": json.dumps(payload, separators=(",", ":"), default=self._encode),
        }

    def _encode(self, value):
        return self.registry.convert(value)

    def workflow_state(self, workflow: BpmnWorkflow) -> dict:
        """Everything of the workflow except its tasks: small, rewritten every step."""
        state = self._header(workflow)
        state["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        state["subprocesses"] = {
            str(task_id): dict(self._header(sp), spec=sp.spec.name, parent_task_id=str(sp.parent_task_id))
            for task_id, sp in workflow.subprocesses.items()
        }
        return state

    def _header(self, wf) -> dict:
        return {
            "data": self.registry.convert(self.registry.clean(wf.data)),
            "correlations": wf.correlations,
            "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
            "success": wf.success,
            "completed": wf.completed,
            "root": str(wf.task_tree.id),
        }

    # -- loading --------------------------------------------------------------------------

    def load(self, session: Session, case_id: int, state: dict, spec, subprocess_specs, script_engine) -> tuple[BpmnWorkflow, Snapshot]:
        rows = session.connection().execute(_LOAD, {"b_case": case_id}).all()
        by_workflow: dict[str, dict[str, dict]] = {}
        snapshot = Snapshot()
        for task_id, workflow_key, seq, payload in rows:
            by_workflow.setdefault(workflow_key, {})[task_id] = json.loads(payload)
            snapshot.seq[UUID(task_id)] = seq
            snapshot.next_seq = max(snapshot.next_seq, seq + 1)

        workflow = Workflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        self._restore_tasks(workflow, by_workflow.get(_TOP, {}), state)
        workflow.bpmn_events = self.registry.restore(state.get("bpmn_events", []))
        self._restore_subprocesses(workflow, workflow, by_workflow, state.get("subprocesses", {}))

        for _key, wf in _workflows(workflow):
            for task in wf.tasks.values():
                snapshot.fingerprints[task.id] = _fingerprint(task)
        return workflow, snapshot

    def _restore_tasks(self, wf, tasks: dict[str, dict], header: dict) -> None:
        wf.tasks = {UUID(task_id): self.registry.restore(dct, workflow=wf) for task_id, dct in tasks.items()}
        wf.task_tree = wf.tasks.get(UUID(header["root"]))
        wf.success = header["success"]
        wf.completed = header.get("completed", False)
        wf.correlations = header.get("correlations", {})
        if header.get("last_task"):
            wf.last_task = wf.tasks.get(UUID(header["last_task"]))
        wf.data = self.registry.restore(header.get("data", {}))

    def _restore_subprocesses(self, top: BpmnWorkflow, parent, by_workflow: dict, headers: dict) -> None:
        # Parents before children: a subprocess hangs off a task of an already restored workflow.
        for task in list(parent.tasks.values()):
            header = headers.get(str(task.id))
            if header is None or not isinstance(task.task_spec, SubWorkflowTask):
                continue
            spec = top.subprocess_specs.get(task.task_spec.spec)
            subprocess = SubWorkflow(spec, task.id, top, deserializing=True)
            self._restore_tasks(subprocess, by_workflow.get(str(task.id), {}), header)
            top.subprocesses[task.id] = subprocess
            subprocess.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            self._restore_subprocesses(top, subprocess, by_workflow, headers)


def _workflows(workflow: BpmnWorkflow):
    yield _TOP, workflow
    for task_id, subprocess in workflow.subprocesses.items():
        yield str(task_id), subprocess


def _in_creation_order(wf, tasks: set) -> list:
    """Parents before children (the tasks dict keeps creation order)."""
    if len(tasks) <= 1:
        return list(tasks)
    return [t for t in wf.tasks.values() if t in tasks]

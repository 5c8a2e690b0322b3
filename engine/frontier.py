"""SpiffWorkflow workflows that find their open tasks more cheaply.

SpiffWorkflow finds READY and WAITING tasks by walking the whole task tree from the root, and
it does so about a dozen times per step. A case keeps every loop in its tree (steps 3–5,
reviews, refusals), so a long case pays for its past on every step. These subclasses answer
the same questions from the task dictionaries instead, and return the tasks in the order the
tree walk would have produced (depth first), so the engine's behaviour is unchanged.

That is cheaper than the walk, not independent of the history: the dictionaries hold every
task the case ever had, and each question still scans them once (linear in the number of
tasks, without the walk's recursion and per-node filtering). The rows a step writes do not
grow with the history (engine/persistence.py); its CPU still does, more slowly.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_FAST_STATES = (TaskState.READY, TaskState.WAITING, TaskState.STARTED)


class _Frontier:
    """Mixed into the top workflow and its subworkflows."""

    def get_tasks(self, first_task=None, **kwargs):
        state = kwargs.get("state")
        if first_task is None and state in _FAST_STATES and set(kwargs) <= {"state", "manual"}:
            return _matching(self, state, kwargs.get("manual"))
        if first_task is None and set(kwargs) == {"spec_name"}:
            # A parallel gateway asks this on every update (SpiffWorkflow's
            # _check_threshold_unstructured): a walk over the whole tree, every history.
            return _named(self, kwargs["spec_name"])
        return super().get_tasks(first_task, **kwargs)

    def update_waiting_tasks(self) -> None:
        # SpiffWorkflow updates waiting tasks as its walk meets them, so one made WAITING by an
        # earlier update may or may not be visited. Updating every waiting task until none is
        # new is a superset of that, and _update on a waiting task only re-checks its trigger.
        done = set()
        while True:
            pending = [t for t in _matching(self, TaskState.WAITING) if t.id not in done]
            if not pending:
                return
            for task in pending:
                done.add(task.id)
                if task.state == TaskState.WAITING:
                    task.task_spec._update(task)


class Workflow(_Frontier, BpmnWorkflow):
    def create_subprocess(self, my_task, spec_name):
        subprocess = SubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess


class SubWorkflow(_Frontier, BpmnSubWorkflow):
    pass


def _matching(workflow, state: int, manual: bool | None = None) -> list:
    found = []
    _collect(workflow, state, manual, found)
    if len(found) > 1:
        found.sort(key=_tree_position)
    return found


def _collect(workflow, state: int, manual, found: list) -> None:
    subprocesses = workflow.top_workflow.subprocesses
    for task in workflow.tasks.values():
        if task._state == state and (manual is None or task.task_spec.manual == manual):
            found.append(task)
        subprocess = subprocesses.get(task.id) if subprocesses else None
        # The tree walk does not descend into the subprocess of a finished task.
        if subprocess is not None and not task._state & TaskState.FINISHED_MASK:
            _collect(subprocess, state, manual, found)


# TaskIterator's default max_depth: the walk returns tasks down to this depth, no deeper.
_MAX_DEPTH = 1000


def _named(workflow, spec_name: str) -> list:
    """What get_tasks(spec_name=...) returns: the walk of a query without a state filter
    visits every task of every state and descends into every subprocess, finished or not,
    down to the iterator's maximum depth (counted from this workflow's root); in its order."""
    found = []
    _collect_named(workflow, spec_name, found)
    if not found:
        return found
    root_depth = len(_tree_position(workflow.task_tree))
    positioned = sorted(((_tree_position(task), task) for task in found), key=lambda pair: pair[0])
    return [task for position, task in positioned if len(position) - root_depth <= _MAX_DEPTH]


def _collect_named(workflow, spec_name: str, found: list) -> None:
    subprocesses = workflow.top_workflow.subprocesses
    for task in workflow.tasks.values():
        if task.task_spec.name == spec_name:
            found.append(task)
        subprocess = subprocesses.get(task.id) if subprocesses else None
        if subprocess is not None:
            _collect_named(subprocess, spec_name, found)


def _tree_position(task) -> tuple:
    """Sort key reproducing SpiffWorkflow's depth-first order: the child indexes from the root,
    a subprocess's tree coming before the children of the task that started it."""
    path = []
    while True:
        parent = task.parent
        if parent is not None:
            path.append(parent._children.index(task.id))
            task = parent
            continue
        parent_task_id = task.workflow.parent_task_id
        if parent_task_id is None:
            break
        path.append(-1)
        task = task.workflow.top_workflow.get_task_from_id(parent_task_id)
    path.reverse()
    return tuple(path)

"""Moving running cases to another version of their process: in bulk, with a dry run, in one
transaction per case, and undoable per case.

Which cases: the running cases of the process on `from_version`, in the designer's region
(optionally only the listed ones). The target is version `to_version` of the process with
the *current* versions of what it calls, its decision tables and its forms: what a new case
of that version would get today. So from_version == to_version moves cases onto the current
forms and called processes of their own version.

How a case is judged (SpiffWorkflow's own diff, SpiffWorkflow/bpmn/util/diff.py): SpecDiff
aligns the task specs of the case's version with the target's, by element id first and by
position in the flow where an id is gone; each task of the case follows its spec. A case is
refused, with the reasons in Dutch, when
- a step it is in (ready, waiting or started) no longer exists ("de huidige stap bestaat niet
  meer"), or changed its kind;
- a step it completed no longer exists, or changed in more than its title, lane, form or
  other properties — its flows, conditions, script, timer: the case's history would not fit
  the new diagram. This is conservative on purpose: a case that already passed the place
  where a step was inserted is refused (its completed step got another outgoing flow),
  where it might in fact have been safe;
- a waiting or started step changed in more than that and its outgoing flows (a timer's
  duration, a join's incoming flows, the process a call activity calls);
- a called process it is or was in no longer exists.
Otherwise every task takes its aligned spec and what follows each open step is predicted
anew from the target (the step's own state, data and timer keep as they are). The result is
written like a step (changed task rows only), read back from the rows to prove it loads,
the open work items follow (title, form, lane, element), and the audit trail and a
case_migrations row with everything needed to undo it are written. A dry run does all of
that and rolls back, so it says exactly what the real run would do.

Undo puts back the rows, the workflow state, the case data, the bundle and the work items as
they were, as long as the case has not moved on since (its version is unchanged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from . import access, audit
from .access import Actor
from .cases import lock_case
from .designer import require_designer
from .errors import Conflict, InvalidData, NotFound, ProcessProblems
from .library import ParsedBundle, Source
from .models import AuditEvent, Bundle, Case, CaseMigration, EngineTask, WorkItem
from .workflows import LiveWorkflow
from .worklist import OPEN_ITEMS

if TYPE_CHECKING:
    from .runtime import Runtime

_TASKS = EngineTask.__table__
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE

# Attributes of a task spec that describe how a step is offered, not what it does: a step
# already done may have changed in these (and a renamed id follows the alignment).
COSMETIC = frozenset({"name", "bpmn_id", "bpmn_name", "lane", "documentation", "extensions", "description"})
# An open step's successors are predicted anew, so its outgoing flows may change too.
OPEN_STEP_CHANGES = COSMETIC | {"outputs"}

CHANGE_LABELS = {
    "outputs": "uitgaande stromen", "inputs": "inkomende stromen", "cond_task_specs": "voorwaarden",
    "default_task_spec": "standaardstroom", "script": "script", "typename": "soort element",
    "event_definition": "gebeurtenis of timer", "spec": "aangeroepen proces", "prescript": "prescript",
    "postscript": "postscript", "manual": "soort taak", "cancel_activity": "onderbrekend of niet",
    "decision_ref": "beslistabel",
}


class MigrationFailed(Exception):
    """Applying a migration to one case went wrong; that case is left as it was."""


@dataclass
class _Part:
    """One workflow of a case (the process itself, or a called or embedded subprocess)."""

    workflow: object
    new_spec: object | None
    spec_diff: SpecDiff | None = None
    diff: WorkflowDiff | None = None


@dataclass
class Assessment:
    reasons: list[str] = field(default_factory=list)
    mapping: dict[str, dict[str, str | None]] = field(default_factory=dict)
    parts: list[_Part] = field(default_factory=list)


def _title(spec) -> str:
    name = getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name
    element = getattr(spec, "bpmn_id", None)
    return f"'{name}'" + (f" ({element})" if element and element != name else "")


def _labels(changes: Iterable[str]) -> str:
    return ", ".join(sorted(CHANGE_LABELS.get(change, change) for change in changes))


def assess(workflow, target: ParsedBundle, registry, to_version: int) -> Assessment:
    """Whether this workflow can move to the target's specs, why not, and the element mapping."""
    result = Assessment()
    parts = [_Part(workflow, target.spec)]
    for subprocess in workflow.subprocesses.values():
        parts.append(_Part(subprocess, target.subprocess_specs.get(subprocess.spec.name)))
    for part in parts:
        name = part.workflow.spec.name
        if part.new_spec is None:
            result.reasons.append(f"Het deelproces '{name}' waarin de casus is of was, bestaat niet meer in versie "
                                  f"{to_version}.")
            continue
        try:
            part.spec_diff = SpecDiff(registry, part.workflow.spec, part.new_spec)
            part.diff = WorkflowDiff(part.workflow, part.spec_diff)
        except (KeyError, AttributeError) as error:  # a spec the alignment could not reach
            result.reasons.append(f"De stappen van '{name}' konden niet met versie {to_version} worden vergeleken "
                                  f"({error}).")
            continue
        result.mapping[name] = _judge(part, result.reasons, to_version)
        result.parts.append(part)
    return result


def _judge(part: _Part, reasons: list[str], to_version: int) -> dict[str, str | None]:
    """Reasons against moving this workflow (about its open steps first), and the mapping."""
    mapping: dict[str, str | None] = {}
    open_steps, history = [], []
    changed = part.spec_diff.changed
    removed = set(part.spec_diff.removed)
    for task in part.workflow.get_tasks(skip_subprocesses=True):
        if task.has_state(_PREDICTED):
            continue  # predictions are rebuilt from the new version
        spec = task.task_spec
        new = part.diff.alignment.get(task)
        if getattr(spec, "bpmn_id", None):
            mapping[spec.bpmn_id] = getattr(new, "bpmn_id", None) if new is not None else None
        changes = set(changed.get(spec, ()))
        if spec in removed or new is None:
            if task.has_state(_ACTIVE):
                open_steps.append(f"De huidige stap {_title(spec)} bestaat niet meer in versie {to_version}.")
            else:
                history.append(f"De afgeronde stap {_title(spec)} bestaat niet meer in versie {to_version}; "
                               "de geschiedenis van de casus past dan niet op het nieuwe ontwerp.")
        elif task.state == TaskState.READY:
            if changes & {"typename", "manual"}:
                open_steps.append(f"De huidige stap {_title(spec)} is in versie {to_version} een ander soort stap.")
        elif task.has_state(_ACTIVE):
            if changes - OPEN_STEP_CHANGES:
                open_steps.append(f"De lopende stap {_title(spec)} is in versie {to_version} gewijzigd "
                                  f"({_labels(changes - OPEN_STEP_CHANGES)}); migreer als de casus daar voorbij is.")
        elif changes - COSMETIC:
            history.append(f"De afgeronde stap {_title(spec)} is in versie {to_version} gewijzigd "
                           f"({_labels(changes - COSMETIC)}); de casus is daar al voorbij.")
    reasons += open_steps + sorted(set(history), key=history.index)
    return mapping


def apply(assessment: Assessment, workflow, target: ParsedBundle) -> None:
    """Give every task its aligned spec and predict anew what follows each open step."""
    for part in assessment.parts:
        part.workflow.spec = part.new_spec
        for task in list(part.workflow.tasks.values()):
            new = part.diff.alignment.get(task)
            if new is not None:
                task.task_spec = new
        for task in part.workflow.get_tasks(state=_ACTIVE, skip_subprocesses=True):
            if task.id in part.workflow.tasks:
                _predict_again(task)
    workflow.subprocess_specs = target.subprocess_specs
    _check_specs(workflow, target)


def _predict_again(task) -> None:
    # An open step's children are predictions of what comes next; SpiffWorkflow rebuilds them
    # the way it does after a reset, but the step keeps its state, data and timer.
    for child in list(task.children):
        if child.has_state(_PREDICTED):
            task.workflow._remove_task(child.id)
    task.task_spec._predict(task, mask=_PREDICTED | task.state)


def _check_specs(workflow, target: ParsedBundle) -> None:
    """Every task now points at a spec of the target, or the migration is not applied."""
    wanted = {target.spec.name: target.spec, **target.subprocess_specs}
    for wf in [workflow, *workflow.subprocesses.values()]:
        spec = wanted.get(wf.spec.name)
        for task in wf.tasks.values():
            if spec is None or spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                raise MigrationFailed(f"na het overzetten verwijst stap {_title(task.task_spec)} nog naar de oude "
                                      "versie")


@dataclass
class CaseResult:
    case_id: int
    reference: str
    migratable: bool = False
    migrated: bool = False
    reasons: list[str] = field(default_factory=list)
    mapping: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class MigrationService:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    # -- migrating ---------------------------------------------------------------------------

    def migrate(self, actor: Actor, key: str, from_version: int, to_version: int, dry_run: bool = True,
                case_ids: list[int] | None = None) -> dict:
        require_designer(actor)
        with self.rt.reading() as session:
            if not self.rt.library.versions(session, "bpmn", key):
                raise NotFound(f"Onbekend proces: {key}.")
            source = self._version(session, key, from_version, "from_version")
            target = self._version(session, key, to_version, "to_version")
            problems = self.rt.library.problems(session, [Source("bpmn", key, target.content)])
            if problems:
                raise ProcessProblems(problems, f"Versie {to_version} past niet bij de huidige formulieren, "
                                                "deelprocessen of beslistabellen; er is niets gemigreerd.")
            candidates = self._candidates(session, actor, key, source.id, case_ids)
        results = [self._migrate_case(actor, key, case_id, from_version, to_version, dry_run) for case_id in candidates]
        return {
            "process": key,
            "from_version": from_version,
            "to_version": to_version,
            "dry_run": dry_run,
            "total": len(results),
            "migratable": sum(r.migratable for r in results),
            "migrated": sum(r.migrated for r in results),
            "cases": [r.as_dict() for r in results],
        }

    def _version(self, session: Session, key: str, version: int, field_name: str):
        try:
            return self.rt.library.version(session, "bpmn", key, version)
        except NotFound as error:
            raise InvalidData({field_name: [error.message]}) from error

    def _candidates(self, session: Session, actor: Actor, key: str, artifact_id: int,
                    case_ids: list[int] | None) -> list[int]:
        """Running cases on this version of the process in the designer's region, oldest first."""
        bundles = [bundle_id for bundle_id, members in session.execute(
            select(Bundle.id, Bundle.artifact_ids).where(Bundle.process_key == key)) if artifact_id in members]
        if not bundles or actor.region_id is None:
            return []
        query = select(Case.id).where(Case.process_key == key, Case.status == "running",
                                      Case.bundle_id.in_(bundles), Case.region_id == actor.region_id)
        if case_ids is not None:
            query = query.where(Case.id.in_(case_ids))
        return list(session.scalars(query.order_by(Case.id)))

    def _migrate_case(self, actor: Actor, key: str, case_id: int, from_version: int, to_version: int,
                      dry_run: bool) -> CaseResult:
        with self.rt.transaction() as session:
            case = lock_case(session, case_id)
            result = CaseResult(case.id, case.reference)
            now = self.rt.clock.now()
            source = self.rt.library.parsed(session, case.bundle_id)
            if case.status != "running" or source.version != from_version:
                result.reasons.append(f"De casus loopt niet meer op versie {from_version}.")
                return result
            target = self.rt.library.bundle_for_version(session, key, to_version, now)
            if target.id == case.bundle_id:
                result.reasons.append("De casus loopt al op deze versie, met dezelfde formulieren, deelprocessen en "
                                      "beslistabellen.")
                return result
            workflow, snapshot = self.rt.store.load(session, case.id, case.engine_state, source.spec,
                                                    source.subprocess_specs, self.rt.script_engine)
            previous = _previous_state(session, case)
            assessment = assess(workflow, target, self.rt.store.registry, to_version)
            result.mapping = assessment.mapping
            if assessment.reasons:
                result.reasons = assessment.reasons
                return result
            try:
                apply(assessment, workflow, target)
                saved = self.rt.store.save(session, case.id, workflow, snapshot)
                case.engine_state = saved.state
                flag_modified(case, "engine_state")
                case.bundle_id = target.id
                _follow_work_items(session, case, target, workflow)
                session.flush()
                # Proof that the rows as written load on the new version.
                self.rt.store.load(session, case.id, case.engine_state, target.spec, target.subprocess_specs,
                                   self.rt.script_engine)
                self.rt.after_step(session, case, target, LiveWorkflow(workflow, snapshot, case.version),
                                   saved.active, now)
            except Exception as error:  # noqa: BLE001 - any failure refuses this case and keeps it as it was
                result.reasons.append(f"De casus kan niet worden overgezet: {error}")
                return result
            result.migratable = True
            if dry_run:
                return result
            audit.record(session, now, actor, "case_migrated", case.id, None,
                         f"Overgezet van versie {from_version} naar versie {to_version}",
                         process=key, from_version=from_version, to_version=to_version,
                         from_bundle=source.id, to_bundle=target.id, mapping=assessment.mapping)
            session.flush()  # the case row's version moves on here
            session.add(CaseMigration(
                case_id=case.id, process_key=key, from_bundle_id=source.id, to_bundle_id=target.id,
                from_version=from_version, to_version=to_version, mapping=assessment.mapping, migrated_at=now,
                migrated_by=actor.id, case_version=case.version, previous=previous,
            ))
            session.commit()
        self.rt.cache.evict(case_id)
        result.migrated = True
        return result

    # -- undoing ----------------------------------------------------------------------------

    def undo(self, actor: Actor, case_id: int) -> dict:
        """Put the case back exactly as it was before its latest migration."""
        require_designer(actor)
        with self.rt.transaction() as session:
            case = lock_case(session, case_id)
            if actor.region_id is None or case.region_id != actor.region_id:
                raise NotFound("Deze casus bestaat niet.")
            record = session.scalar(select(CaseMigration).where(CaseMigration.case_id == case.id)
                                    .order_by(CaseMigration.id.desc()).limit(1))
            if record is None:
                raise Conflict("Deze casus is nooit naar een andere versie overgezet.")
            if record.undone_at is not None:
                raise Conflict("De laatste migratie van deze casus is al teruggedraaid.")
            if case.version != record.case_version:
                raise Conflict(self._moved_on(session, case, record))
            now = self.rt.clock.now()
            _restore(session, case, record.previous)
            bundle = self.rt.library.parsed(session, case.bundle_id)
            session.flush()
            workflow, snapshot = self.rt.store.load(session, case.id, case.engine_state, bundle.spec,
                                                    bundle.subprocess_specs, self.rt.script_engine)
            active = [t for wf in [workflow, *workflow.subprocesses.values()]
                      for t in wf.get_tasks(state=_ACTIVE, skip_subprocesses=True)]
            self.rt.after_step(session, case, bundle, LiveWorkflow(workflow, snapshot, case.version), active, now)
            audit.record(session, now, actor, "case_migration_undone", case.id, None,
                         f"Terug naar versie {record.from_version} (migratie naar versie {record.to_version} "
                         "teruggedraaid)", process=record.process_key, from_version=record.to_version,
                         to_version=record.from_version, migration=record.id)
            record.undone_at, record.undone_by = now, actor.id
            session.flush()
            view = {"case_id": case.id, "reference": case.reference, "process": record.process_key,
                    "version": record.from_version, "undone_migration": record.id, "undone_at": now}
            session.commit()
        self.rt.cache.evict(case_id)
        return view

    def _moved_on(self, session: Session, case: Case, record: CaseMigration) -> str:
        steps = session.scalars(select(AuditEvent.title).where(
            AuditEvent.case_id == case.id, AuditEvent.at >= record.migrated_at,
            AuditEvent.kind.notin_(("case_migrated", "case_migration_undone"))).order_by(AuditEvent.id)).all()
        done = ", ".join(f"'{title}'" for title in steps if title)
        return ("De casus is na de migratie verder gegaan" + (f" ({done})" if done else "") +
                "; terugdraaien zou die stappen wissen en kan daarom niet meer.")


def _previous_state(session: Session, case: Case) -> dict:
    """Everything a migration changes, as it is now."""
    rows = session.execute(
        select(_TASKS.c.task_id, _TASKS.c.workflow_key, _TASKS.c.seq, _TASKS.c.state, _TASKS.c.payload)
        .where(_TASKS.c.case_id == case.id).order_by(_TASKS.c.seq)
    ).all()
    items = session.scalars(OPEN_ITEMS, {"case_ids": [case.id]})
    return {
        "bundle_id": case.bundle_id,
        "engine_state": case.engine_state,
        "data": case.data,
        "tasks": [list(row) for row in rows],
        "work_items": {item.id: _item_fields(item) for item in items},
    }


def _item_fields(item: WorkItem) -> dict:
    return {"process_key": item.process_key, "element_id": item.element_id, "title": item.title, "lane": item.lane,
            "form": item.form, "organisation_id": item.organisation_id,
            "due_at": item.due_at.isoformat() if item.due_at else None}


def _follow_work_items(session: Session, case: Case, target: ParsedBundle, workflow) -> None:
    """Open work items take the title, form, lane and element of their step in the new version."""
    seen = set()
    for item in session.scalars(OPEN_ITEMS, {"case_ids": [case.id]}):
        task = workflow.get_task_from_id(UUID(item.id))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise MigrationFailed(f"de open taak '{item.title}' hoort niet meer bij een open stap")
        element = target.element(task.workflow.spec.name, task.task_spec.bpmn_id)
        item.process_key = task.workflow.spec.name
        item.element_id = task.task_spec.bpmn_id
        item.title = element.title if element else task.task_spec.bpmn_name or task.task_spec.bpmn_id
        item.form = element.form if element else None
        item.lane = task.task_spec.lane
        item.organisation_id = access.lane_organisation(case, item.lane)
        seen.add(item.id)
    for wf in [workflow, *workflow.subprocesses.values()]:
        for task in wf.get_tasks(state=TaskState.READY, manual=True, skip_subprocesses=True):
            if str(task.id) not in seen:
                raise MigrationFailed(f"stap {_title(task.task_spec)} zou open komen te staan zonder taak")


def _restore(session: Session, case: Case, previous: dict) -> None:
    session.execute(delete(_TASKS).where(_TASKS.c.case_id == case.id))
    if previous["tasks"]:
        session.execute(insert(_TASKS), [
            {"case_id": case.id, "task_id": task_id, "workflow_key": workflow_key, "seq": seq, "state": state,
             "payload": payload}
            for task_id, workflow_key, seq, state, payload in previous["tasks"]
        ])
    case.bundle_id = previous["bundle_id"]
    case.engine_state = previous["engine_state"]
    case.data = previous["data"]
    flag_modified(case, "engine_state")
    flag_modified(case, "data")
    for item_id, fields in previous["work_items"].items():
        item = session.get(WorkItem, item_id)
        if item is None:
            continue
        for name, value in fields.items():
            setattr(item, name, datetime.fromisoformat(value) if name == "due_at" and value else value)

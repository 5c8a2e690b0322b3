"""Cases: starting them, completing their tasks, and what each user may see of them.

Every command is one database transaction: validate the form, run the engine steps, write
the changed task rows, the work items, the audit trail and the iJw messages, commit. If
anything fails, nothing is written and the cached workflow is dropped, so the case is as it
was before the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from uuid import UUID

from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from . import access, audit, deadlines, directory, forms, ijw, meetings
from .access import Actor
from .errors import Conflict, Forbidden, InvalidData, NotFound, StepFailed
from .library import ParsedBundle
from .models import AuditEvent, Case, IjwMessage, WorkItem
from .persistence import Snapshot
from .workflows import LiveWorkflow
from .worklist import OPEN_ITEMS, task_summary

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger(__name__)

# Fields the engine puts into the case data at start, next to the start form's fields: the
# starter's organisation as its party, and the gemeente's mandate. Validation
# (engine/fields.py) counts them as set, so a gateway may read them.
MANDATE_FIELD = "gemeente_mandateert_gi"
RET_SCHEDULE_FIELD = "ret_schema"  # the region's RET meeting schedule (engine/meetings.py)
ENGINE_FIELDS = frozenset({parties[0] for parties in access.LANE_PARTIES.values()} | {MANDATE_FIELD, RET_SCHEDULE_FIELD})

_INSERT_WORK_ITEM = insert(WorkItem.__table__)
# Plain inserts like the audit trail's: the message is append-only and not needed as an object.
_INSERT_IJW = insert(IjwMessage.__table__)
# Built once: building an ORM statement per command costs more than running it.
_LOCK_CASE = select(Case).where(Case.id == bindparam("case_id")).with_for_update()
# The case of a work item, locked, in one statement (a round trip less than looking the item
# up first). The item's case never changes; the item itself is read only under the lock.
_LOCK_CASE_OF_ITEM = select(Case).where(
    Case.id == select(WorkItem.case_id).where(WorkItem.id == bindparam("item_id")).scalar_subquery()
).with_for_update()
_ITEM = select(WorkItem).where(WorkItem.id == bindparam("item_id"))


def lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked until the transaction ends: every command on a case (a step, a
    claim, a timer, a migration) takes this lock first, so two of them never cross. FOR
    UPDATE on PostgreSQL; on SQLite the write transaction (BEGIN IMMEDIATE) holds it."""
    case = session.scalar(_LOCK_CASE, {"case_id": case_id})
    if case is None:
        raise NotFound("Deze casus bestaat niet.")
    return case


def require_running(case: Case) -> None:
    """Users act only on running cases: a case in error waits for an operator (resume)."""
    if case.status == "running":
        return
    if case.status == "error":
        raise Conflict("Deze casus staat stil door een fout en neemt niets aan tot een procesontwerper hem "
                       "hervat.")
    if case.status == "completed":
        raise Conflict("Deze casus is afgerond.")
    raise Conflict(f"Deze casus loopt niet (status {case.status}).")


class CaseService:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    # -- commands --------------------------------------------------------------------------

    def start(self, actor: Actor, process_key: str, data: Mapping) -> dict:
        with self.rt.transaction() as session:
            now = self.rt.clock.now()
            bundle = self.rt.library.bundle_for_start(session, process_key, now)
            start = bundle.start
            role = next((r for r in start_roles(start) if r in actor.roles), None)
            if role is None:
                raise Forbidden(f"Alleen {' of '.join(start_roles(start)) or 'niemand'} kan een casus van dit proces starten.")
            party = access.LANE_PARTIES.get(role, ())[:1]
            if party and access.PARTY_KINDS[party[0]] != actor.organisation_kind:
                raise Forbidden("Uw organisatie kan dit proces niet starten.")
            self.form(session, bundle, start.form if start else None).validate(data)

            start_data = dict(data)
            if party:
                start_data[party[0]] = actor.organisation_key
            gemeente = self.rt.orgs.get(session, start_data.get("gemeente"))
            if gemeente is not None:
                start_data[MANDATE_FIELD] = bool(gemeente.settings.get("mandaat_gi", False))
                region = self.rt.orgs.by_id(session, gemeente.region_id)
                start_data[RET_SCHEDULE_FIELD] = meetings.schema_of(region.settings if region else None)

            case = Case(
                reference=str(start_data.get("casusreferentie") or ""),
                process_key=process_key,
                bundle_id=bundle.id,
                status="running",
                created_at=now,
                created_by=actor.id,
                engine_state={},
                data={},
            )
            self._sync_parties(session, case, start_data)
            session.add(case)
            session.flush()

            workflow = self.rt.new_workflow(bundle)
            workflow.task_tree.data.update(start_data)
            live = LiveWorkflow(workflow, Snapshot())
            audit.record(session, now, actor, "case_started", case.id, start.element_id if start else None,
                         bundle.name, data=dict(data), version=bundle.version)
            self._run(session, case, bundle, live, actor, lambda: workflow.do_engine_steps(),
                      after=start.title if start else bundle.name)
            if not case.reference:
                case.reference = f"CASUS-{case.id}"
            return self._commit(session, case, live, lambda: self._command_view(session, actor, case, bundle))

    def complete(self, actor: Actor, item_id: str, data: Mapping) -> dict:
        with self.rt.transaction() as session:
            # The case lock (as lock_case takes it) first, then the item, read under it: another
            # worker may have just done it. (Read before the lock and refreshed after, it cost
            # two ORM loads and a round trip more per command.)
            case = session.scalar(_LOCK_CASE_OF_ITEM, {"item_id": item_id})
            item = session.scalar(_ITEM, {"item_id": item_id}) if case is not None else None
            if item is None:
                raise NotFound("Deze taak bestaat niet.")
            self.check_task_access(session, actor, case, item)
            if item.status != "open":
                raise Conflict("Deze taak is al afgerond.")
            require_running(case)
            bundle = self.rt.library.parsed(session, case.bundle_id)
            return self._complete(session, actor, case, bundle, item, data)

    def record_ijw(self, actor: Actor, case_id: int, code: str, message: Mapping) -> dict:
        """An iJw message arriving through the API completes the task that waits for it (the
        first one, of those waiting for this code, that the actor may do)."""
        with self.rt.transaction() as session:
            case = lock_case(session, case_id)
            if not access.may_view_case(session, actor, case):
                raise NotFound("Deze casus bestaat niet.")
            require_running(case)
            bundle = self.rt.library.parsed(session, case.bundle_id)
            waiting = [item for item in session.scalars(OPEN_ITEMS, {"case_ids": [case.id]})
                       if code in self._element(bundle, item).ijw]
            if not waiting:
                raise Conflict(f"Deze casus wacht niet op een {code}-bericht.")
            item = next((i for i in waiting if access.may_do(actor, i.lane, i.organisation_id)), None)
            if item is None:
                raise Forbidden(f"Het {code}-bericht van deze casus is niet voor uw rol of organisatie.")
            data = dict(message)
            if len(self._element(bundle, item).ijw) > 1:
                data.setdefault("BerichtCode", code)
            return self._complete(session, actor, case, bundle, item, data)

    def _complete(self, session: Session, actor: Actor, case: Case, bundle: ParsedBundle, item: WorkItem,
                  data: Mapping) -> dict:
        element = self._element(bundle, item)
        if item.claimed_by is not None and item.claimed_by != actor.id:
            holder = directory.usernames(session, [item.claimed_by]).get(item.claimed_by)
            raise Conflict(f"Deze taak is geclaimd door {holder}; die kan hem afronden of vrijgeven.")
        self.form(session, bundle, item.form).validate(data, case.data)
        live = self._live(session, case, bundle)
        task = live.workflow.get_task_from_id(UUID(item.id))
        if task is None or task.state != TaskState.READY:
            self.rt.cache.evict(case.id)
            raise Conflict("Deze taak kan nu niet worden afgerond; de casus is verder gegaan.")

        now = self.rt.clock.now()
        item.status, item.completed_at, item.completed_by = "completed", now, actor.id
        audit.record(session, now, actor, "task_completed", case.id, item.element_id, item.title,
                     lane=item.lane, data=dict(data))
        code = self._ijw_code(element, data)
        if code:
            session.connection().execute(_INSERT_IJW, {
                "case_id": case.id, "code": code, "direction": ijw.direction(code), "payload": dict(data),
                "recorded_at": now, "recorded_by": actor.id, "work_item_id": item.id,
            })

        def step():
            task.data.update(data)
            task.run()
            live.workflow.do_engine_steps()

        self._run(session, case, bundle, live, actor, step, after=item.title)
        return self._commit(session, case, live, lambda: self._command_view(session, actor, case, bundle))

    # -- the step itself -------------------------------------------------------------------

    def _run(self, session: Session, case: Case, bundle: ParsedBundle, live: LiveWorkflow, actor: Actor,
             step: Callable[[], None], after: str) -> None:
        """Run the engine steps and persist them. `after`: the title of what set them off (a
        task, the start, a timer), for the message when a step of the model fails."""
        try:
            step()
        except WorkflowException as error:
            self.rt.cache.evict(case.id)
            element = getattr(getattr(error, "task_spec", None), "bpmn_id", None)
            detail = f"{type(error).__name__}: {error}"
            # The technical text is for the designer, in the log; the user gets what to do.
            log.error("case %s: the step after '%s' failed at element %s: %s", case.id, after, element, detail)
            raise StepFailed(f"De stap na '{after}' kon niet worden uitgevoerd; de casus is ongewijzigd. "
                             "Meld dit aan de procesontwerper.", element, detail) from error
        except Exception:
            self.rt.cache.evict(case.id)
            raise
        self._persist(session, case, bundle, live, actor)

    def _persist(self, session: Session, case: Case, bundle: ParsedBundle, live: LiveWorkflow, actor: Actor) -> None:
        now = self.rt.clock.now()
        parties_before = (case.gi_id, case.gemeente_id, case.aanbieder_id, case.region_id)
        workflow = live.workflow
        saved = self.rt.store.save(session, case.id, workflow, live.snapshot)
        touched = saved.touched
        case.engine_state = saved.state
        flag_modified(case, "engine_state")
        # Accumulated: a parallel branch that ended keeps what its forms recorded.
        case.data = {**case.data, **_current_data(workflow, saved.active)}
        self._sync_parties(session, case, case.data)
        parties_changed = parties_before != (case.gi_id, case.gemeente_id, case.aanbieder_id, case.region_id)
        self._sync_work_items(session, case, bundle, live, touched, now, parties_changed)
        self.rt.after_step(session, case, bundle, live, saved.active, now)
        if workflow.completed and case.status == "running":
            case.status, case.completed_at = "completed", now
            audit.record(session, now, actor, "case_completed", case.id, title="Casus afgerond")

    def _sync_work_items(self, session: Session, case: Case, bundle: ParsedBundle, live: LiveWorkflow, touched, now,
                         parties_changed: bool) -> None:
        for item_id in list(live.open_items):
            task = live.workflow.get_task_from_id(UUID(item_id))
            if task is None or task.state != TaskState.READY:
                item = session.get(WorkItem, item_id)
                if item is not None and item.status == "open":
                    item.status, item.completed_at = "cancelled", now
                live.open_items.discard(item_id)
        new_items = []
        for task in touched:
            if task.state != TaskState.READY or not task.task_spec.manual or str(task.id) in live.open_items:
                continue
            element = bundle.element(task.workflow.spec.name, task.task_spec.bpmn_id)
            lane = task.task_spec.lane
            new_items.append({
                "id": str(task.id),
                "case_id": case.id,
                "process_key": task.workflow.spec.name,
                "element_id": task.task_spec.bpmn_id,
                "title": element.title if element else task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                "lane": lane,
                "form": element.form if element else None,
                "organisation_id": access.lane_organisation(case, lane),
                "status": "open",
                "created_at": now,
                "due_at": deadlines.task_due(element.properties, task.data, now,
                                             self.rt.script_engine.environment.evaluate) if element else None,
            })
            live.open_items.add(str(task.id))
        if new_items:  # a plain insert: the step does not need them as ORM objects
            session.connection().execute(_INSERT_WORK_ITEM, new_items)
        # The party behind a lane can change (a new aanbieder): open items follow it.
        if parties_changed:
            session.flush()
            for item in session.scalars(OPEN_ITEMS, {"case_ids": [case.id]}):
                item.organisation_id = access.lane_organisation(case, item.lane)

    def _sync_parties(self, session: Session, case: Case, data: Mapping) -> None:
        for party in ("gi", "gemeente", "aanbieder"):
            org = self.rt.orgs.get(session, data.get(party))
            if org is not None and org.kind == access.PARTY_KINDS[party]:
                setattr(case, f"{party}_id", org.id)
        if case.gemeente_id is not None and case.region_id is None:
            case.region_id = self.rt.orgs.by_id(session, case.gemeente_id).region_id

    def _commit(self, session: Session, case: Case, live: LiveWorkflow, view: Callable[[], dict] | None = None):
        """Commit a step and keep its workflow cached. `view`, when given, is built after the
        flush and before the commit (the step's rows seen, no new transaction) and returned."""
        try:
            session.flush()
        except StaleDataError as error:
            self.rt.cache.evict(case.id)
            raise Conflict("De casus is intussen door iemand anders gewijzigd; probeer het opnieuw.") from error
        live.version = case.version
        result = view() if view is not None else None
        session.commit()
        self.rt.cache.checkin(case.id, live)
        return result

    def _live(self, session: Session, case: Case, bundle: ParsedBundle) -> LiveWorkflow:
        live = self.rt.cache.checkout(case.id, case.version)
        if live is not None:
            return live
        workflow, snapshot = self.rt.store.load(
            session, case.id, case.engine_state, bundle.spec, bundle.subprocess_specs, self.rt.script_engine
        )
        open_ids = set(session.scalars(OPEN_ITEMS.with_only_columns(WorkItem.id), {"case_ids": [case.id]}))
        return LiveWorkflow(workflow, snapshot, case.version, open_ids)

    # -- queries ---------------------------------------------------------------------------

    def list_cases(self, actor: Actor, process: str | None = None, status: str | None = None) -> list[dict]:
        with self.rt.reading() as session:
            query = select(Case).where(access.visible_cases(actor)).order_by(Case.id.desc())
            if process:
                query = query.where(Case.process_key == process)
            if status:
                query = query.where(Case.status == status)
            cases = list(session.scalars(query.limit(500)))
            return [self._case_summary(session, case) for case in cases]

    def get_case(self, actor: Actor, case_id: int) -> dict:
        with self.rt.reading() as session:
            case = session.get(Case, case_id)
            if case is None or not access.may_view_case(session, actor, case):
                raise NotFound("Deze casus bestaat niet.")
            return self._case_view(session, actor, case)

    def get_task(self, actor: Actor, item_id: str) -> dict:
        with self.rt.reading() as session:
            item = session.get(WorkItem, item_id)
            if item is None:
                raise NotFound("Deze taak bestaat niet.")
            case = session.get(Case, item.case_id)
            self.check_task_access(session, actor, case, item)
            [view] = self.task_views(session, [item], case)
            # A done task's form shows the case's values only to those who still see its data.
            with_data = item.status == "open" or access.sees_case_data(session, actor, case)
            view.update(self.task_form(session, item, case, with_data))
            return view

    # -- views -----------------------------------------------------------------------------

    def _case_summary(self, session: Session, case: Case, bundle: ParsedBundle | None = None) -> dict:
        bundle = bundle or self.rt.library.parsed(session, case.bundle_id)
        return {
            "id": case.id,
            "reference": case.reference,
            "process": case.process_key,
            "process_name": bundle.name,
            "process_version": bundle.version,
            "status": case.status,
            "created_at": case.created_at,
            "completed_at": case.completed_at,
        }

    def _case_view(self, session: Session, actor: Actor, case: Case) -> dict:
        view = self._case_summary(session, case)
        items = list(session.scalars(OPEN_ITEMS, {"case_ids": [case.id]}))
        sees_data = access.sees_case_data(session, actor, case, items)
        view.update(
            parties=self._parties(session, case),
            open_tasks=self.task_views(session, items, case),
            data=dict(case.data) if sees_data else None,
            history=self._history(session, case, sees_data),
            ijw_messages=self._messages(session, case) if sees_data else [],
            error=case.error,
        )
        return view

    def _command_view(self, session: Session, actor: Actor, case: Case, bundle: ParsedBundle) -> dict:
        """What a command returns: the case as it now stands for the one who just acted on it.

        History and iJw messages are left out: they grow with the case, and the cost of a step
        must not. GET the case for them. The open tasks are read as plain rows.
        """
        view = self._case_summary(session, case, bundle)
        rows = session.connection().execute(OPEN_ITEMS, {"case_ids": [case.id]}).all()
        view.update(
            parties=self._parties(session, case),
            open_tasks=self.task_views(session, rows, case),
            data=dict(case.data) if access.sees_case_data(session, actor, case, rows) else None,
            history=None,
            ijw_messages=None,
            error=case.error,
        )
        return view

    def _parties(self, session: Session, case: Case) -> dict:
        orgs = self.rt.orgs.names(session, [case.gi_id, case.gemeente_id, case.aanbieder_id, case.region_id])
        return {p: orgs.get(getattr(case, f"{p}_id")) for p in ("gi", "gemeente", "aanbieder", "region")}

    def _history(self, session: Session, case: Case, show_details: bool) -> list[dict]:
        events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
        return [
            {
                "at": e.at, "actor": e.actor, "kind": e.kind, "element_id": e.element_id, "title": e.title,
                "details": e.details if show_details else {},
            }
            for e in events
        ]

    def _messages(self, session: Session, case: Case) -> list[dict]:
        rows = session.scalars(select(IjwMessage).where(IjwMessage.case_id == case.id).order_by(IjwMessage.id))
        return [
            {"code": m.code, "direction": m.direction, "recorded_at": m.recorded_at, "payload": m.payload}
            for m in rows
        ]

    def task_views(self, session: Session, items: Iterable, case: Case) -> list[dict]:
        """Tasks of one case as lists show them (without forms); `items`: WorkItem objects or
        rows. The names of whoever claimed them come in one query."""
        items = list(items)
        now = self.rt.clock.now()
        claimers = directory.usernames(session, [item.claimed_by for item in items])
        return [task_summary(item, case, now, claimers.get(item.claimed_by)) for item in items]

    def task_form(self, session: Session, item: WorkItem, case: Case, with_data: bool = True) -> dict:
        """The task's form as it is served now, and (`with_data`) the values its fields have in
        the case."""
        schema = self.form(session, self.rt.library.parsed(session, case.bundle_id), item.form).schema
        fields = ((schema or {}).get("properties") or {}) if with_data else {}
        return {"form": schema, "data": {k: v for k, v in case.data.items() if k in fields}}

    # -- helpers ---------------------------------------------------------------------------

    def form(self, session: Session, bundle: ParsedBundle, form: str | None) -> forms.Form:
        """A form of the bundle as it is served and validated now: its choice lists filled
        from the organisations; resolved once per organisation list (FormCache)."""
        schema = bundle.form(form)
        if schema is None:
            return forms.NO_FORM
        return self.rt.forms.resolved(schema, self.rt.orgs.stamp(session),
                                      lambda kind: self.rt.orgs.choices(session, kind))

    def _element(self, bundle: ParsedBundle, item: WorkItem):
        element = bundle.element(item.process_key, item.element_id)
        if element is None:
            raise StepFailed(f"Onbekende stap {item.element_id}.", item.element_id)
        return element

    @staticmethod
    def _ijw_code(element, data: Mapping) -> str | None:
        codes = element.ijw
        if not codes:
            return None
        if len(codes) == 1:
            return codes[0]
        code = data.get("BerichtCode")
        if code not in codes:
            raise InvalidData({"BerichtCode": [f"Kies een van: {', '.join(codes)}."]})
        return code

    def check_task_access(self, session: Session, actor: Actor, case: Case, item: WorkItem) -> None:
        """Refuse a task the actor may not do: 403 when it may see the case, else 404."""
        if access.may_do(actor, item.lane, item.organisation_id):
            return
        if access.may_view_case(session, actor, case):
            raise Forbidden("Deze taak is niet voor uw rol of organisatie.")
        raise NotFound("Deze taak bestaat niet.")


def start_roles(start) -> list[str]:
    """Who may start a case: the start event's lane, or its `startRoles` property."""
    if start is None:
        return []
    listed = start.properties.get("startRoles")
    if listed:
        return [role.strip() for role in listed.split(",") if role.strip()]
    return [start.lane] if start.lane else []


def _current_data(workflow, active) -> dict:
    """The case's data now: the last completed step's data, overlaid with every open branch."""
    data = dict(workflow.last_task.data) if workflow.last_task is not None else {}
    for task in sorted(active, key=lambda t: t.last_state_change):
        data.update(task.data)
    return {k: v for k, v in data.items() if not k.startswith("_")}

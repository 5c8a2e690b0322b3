"""Open work items: what cases wait for (`OPEN_ITEMS`, the one query for a case's or several
cases' open tasks), and a user's open tasks across cases (`open_tasks`, behind the API's
`GET /api/tasks` and the web UI's inbox, case and task pages).

Who sees a task: its lane is one of the user's roles and its organisation is the user's.
Most urgent first: by due date (so whatever is past due comes first), tasks without one
last, the oldest first among equals. One query for the whole list, plus one for the names
of whoever claimed the tasks; organisations, processes and forms come from their caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import defer

from . import access, directory
from .access import Actor
from .errors import InvalidData
from .models import Case, WorkItem

if TYPE_CHECKING:
    from .runtime import Runtime


# The open work items of one or more cases, oldest first: what they wait for. The one query
# for it, built once (building an ORM statement costs more than running it; a step runs it):
# run it with {"case_ids": [...]}, through session.scalars for WorkItem objects, through
# session.connection().execute for plain rows (cheaper, read-only), or narrowed with
# .with_only_columns(...). Ties are broken by element id, so the order is the same on every
# run (the simulation draws in this order).
OPEN_ITEMS = (
    select(WorkItem)
    .where(WorkItem.case_id.in_(bindparam("case_ids", expanding=True)), WorkItem.status == "open")
    .order_by(WorkItem.created_at, WorkItem.element_id, WorkItem.id)
)


def task_summary(item: WorkItem, case: Case, now: datetime, claimed_by_name: str | None) -> dict:
    """A task as every list and view shows it (without its form)."""
    return {
        "id": item.id,
        "case_id": item.case_id,
        "case_reference": case.reference,
        "process": item.process_key,
        "name": item.element_id,
        "title": item.title,
        "lane": item.lane,
        "lane_label": access.ROLE_LABELS.get(item.lane or "", item.lane),
        "status": item.status,
        "created_at": item.created_at,
        "due_at": item.due_at,
        "overdue": item.due_at is not None and item.status == "open" and item.due_at < now,
        "claimed_by": item.claimed_by,
        "claimed_by_name": claimed_by_name,
    }


@dataclass(frozen=True)
class TaskFilter:
    lane: str | None = None  # one of the user's roles
    overdue: bool | None = None  # True: past due only; False: not past due (or without a due date)
    due_before: datetime | None = None  # due before this moment
    unassigned: bool | None = None  # True: claimed by nobody; False: claimed by somebody
    mine: bool = False  # claimed by the user
    case_id: int | None = None


def open_tasks(rt: Runtime, actor: Actor, filters: TaskFilter = TaskFilter(), with_forms: bool = False,
               limit: int | None = None) -> list[dict]:
    """The actor's open tasks, most urgent first, each with its case's process name and
    parties (gi, gemeente, aanbieder) and whether the actor claimed it; with `with_forms`
    also its form and the values its fields have. A lane that is not one of the actor's
    roles is refused (422)."""
    if filters.lane is not None and filters.lane not in actor.roles:
        raise InvalidData({"lane": ["U heeft geen taken in deze baan; kies een van uw rollen."]})
    lanes = [filters.lane] if filters.lane else sorted(actor.roles & access.TASK_ROLES)
    if not lanes or actor.organisation_id is None:
        return []
    now = rt.clock.now()
    query = (
        select(WorkItem, Case)
        .join(Case, Case.id == WorkItem.case_id)
        .options(defer(Case.engine_state))
        .where(WorkItem.status == "open", WorkItem.organisation_id == actor.organisation_id, WorkItem.lane.in_(lanes))
        .order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.created_at)
        .limit(limit)
    )
    if filters.overdue is True:
        query = query.where(WorkItem.due_at < now)
    elif filters.overdue is False:
        query = query.where(or_(WorkItem.due_at.is_(None), WorkItem.due_at >= now))
    if filters.due_before is not None:
        query = query.where(WorkItem.due_at < filters.due_before)
    if filters.unassigned is True:
        query = query.where(WorkItem.claimed_by.is_(None))
    elif filters.unassigned is False:
        query = query.where(WorkItem.claimed_by.is_not(None))
    if filters.mine:
        query = query.where(WorkItem.claimed_by == actor.id)
    if filters.case_id is not None:
        query = query.where(WorkItem.case_id == filters.case_id)
    with rt.reading() as session:
        rows = session.execute(query).all()
        claimers = directory.usernames(session, [item.claimed_by for item, _ in rows])
        names = rt.orgs.names(session, {org for _, case in rows for org in (case.gi_id, case.gemeente_id, case.aanbieder_id)})
        tasks = []
        for item, case in rows:
            task = task_summary(item, case, now, claimers.get(item.claimed_by))
            task.update(
                case_process_name=rt.library.parsed(session, case.bundle_id).name,
                claimed_by_me=item.claimed_by is not None and item.claimed_by == actor.id,
                gi=names.get(case.gi_id), gemeente=names.get(case.gemeente_id), aanbieder=names.get(case.aanbieder_id),
            )
            if with_forms:
                task.update(rt.cases.task_form(session, item, case))
            tasks.append(task)
        return tasks

"""A user's open tasks as the inbox shows them: with the case's parties, who claimed what,
and what is overdue.

The same rule as CaseService.list_tasks decides what a user sees (the lane is one of the
user's roles and the task's organisation is the user's); this adds what a person scanning
a list needs, in one query per page instead of one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from . import access, directory
from .access import Actor
from .models import Case, WorkItem

if TYPE_CHECKING:
    from .runtime import Runtime


@dataclass(frozen=True)
class InboxFilter:
    lane: str | None = None  # one of the user's roles
    overdue: bool = False
    unassigned: bool = False
    mine: bool = False  # claimed by the user
    case_id: int | None = None


def open_tasks(rt: Runtime, actor: Actor, filters: InboxFilter | None = None, limit: int = 500) -> list[dict]:
    """The actor's open tasks across cases, oldest first (the caller sorts for display)."""
    filters = filters or InboxFilter()
    roles = sorted(actor.roles & access.TASK_ROLES)
    if filters.lane:
        roles = [r for r in roles if r == filters.lane]
    if not roles or actor.organisation_id is None:
        return []
    now = rt.clock.now()
    query = (
        select(WorkItem, Case)
        .join(Case, Case.id == WorkItem.case_id)
        .where(WorkItem.status == "open", WorkItem.organisation_id == actor.organisation_id, WorkItem.lane.in_(roles))
        .order_by(WorkItem.created_at)
        .limit(limit)
    )
    if filters.overdue:
        query = query.where(WorkItem.due_at.is_not(None), WorkItem.due_at < now)
    if filters.unassigned:
        query = query.where(WorkItem.claimed_by.is_(None))
    if filters.mine:
        query = query.where(WorkItem.claimed_by == actor.id)
    if filters.case_id is not None:
        query = query.where(WorkItem.case_id == filters.case_id)
    with rt.reading() as session:
        rows = session.execute(query).all()
        claimers = directory.usernames(session, [item.claimed_by for item, _ in rows])
        names = rt.orgs.names(session, {org for _, case in rows for org in (case.gi_id, case.gemeente_id, case.aanbieder_id)})
        bundles = {case.bundle_id for _, case in rows}
        process_names = {bundle_id: rt.library.parsed(session, bundle_id).name for bundle_id in bundles}
        return [_row(item, case, now, actor, claimers, names, process_names) for item, case in rows]


def _row(item: WorkItem, case: Case, now: datetime, actor: Actor, claimers: dict, names: dict, process_names: dict) -> dict:
    return {
        "id": item.id,
        "case_id": case.id,
        "case_reference": case.reference,
        "process": case.process_key,
        "process_name": process_names.get(case.bundle_id, case.process_key),
        "element_id": item.element_id,
        "title": item.title,
        "lane": item.lane,
        "lane_label": access.ROLE_LABELS.get(item.lane or "", item.lane),
        "created_at": item.created_at,
        "due_at": item.due_at,
        "overdue": item.due_at is not None and item.due_at < now,
        "claimed_by": item.claimed_by,
        "claimed_by_name": claimers.get(item.claimed_by),
        "claimed_by_me": item.claimed_by is not None and item.claimed_by == actor.id,
        "gi": names.get(case.gi_id),
        "gemeente": names.get(case.gemeente_id),
        "aanbieder": names.get(case.aanbieder_id),
    }

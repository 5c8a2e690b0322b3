"""Who may see and do what: lane → role, case → organisation.

The rules are here and nowhere else. Who does a task: a user whose roles include its lane,
of the organisation the task is for. Who sees a case, and who sees what is in it (children's
data stays with the fewest people who need it):

- may_view_case: its current parties (GI, gemeente, aanbieder), the region's
  coordinators, and every organisation that held a task on it in one of the user's roles,
  now or earlier (an aanbieder that was replaced, the RET after its meeting). They see the
  case's status, its open steps and its history.
- sees_case_data: its current parties, and organisations holding an OPEN task on it in one
  of the user's roles. Only they see the case data, the history's details and the iJw
  payloads.
- visible_cases: may_view_case as an SQL condition, for lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from .models import Case, WorkItem

ROLE_LABELS = {
    "jeugdbeschermer": "Jeugdbeschermer (GI)",
    "plaatsingscoordinator": "Plaatsingscoördinator / manager (GI)",
    "lokaalteam": "Lokaal team / deskundige gemeente",
    "gemeente": "Gemeente (toegang)",
    "jeugdprofessional": "Jeugdprofessional (gemeentelijke toegang)",
    "aanbieder": "Jeugdhulpaanbieder",
    "gedragswetenschapper": "Gedragswetenschapper",
    "ret": "Regionale Experttafel (RET)",
    "ben": "Bovenregionaal Expertisenetwerk (BEN)",
    "crisisdienst": "Crisisdienst (CIT / SEZ)",
    "regiocoordinator": "Regiocoördinator",
    "procesontwerper": "Procesontwerper",
}

# Which party of a case holds the ball for a lane; the first party the case has wins.
LANE_PARTIES: dict[str, tuple[str, ...]] = {
    "jeugdbeschermer": ("gi",),
    "plaatsingscoordinator": ("gi",),
    "lokaalteam": ("gemeente",),
    "gemeente": ("gemeente",),
    "jeugdprofessional": ("gemeente",),
    "aanbieder": ("aanbieder",),
    "gedragswetenschapper": ("gi", "region"),
    "ret": ("region",),
    "ben": ("region",),
    "crisisdienst": ("region",),
}

# Organisation kind a party must have.
PARTY_KINDS = {"gi": "gi", "gemeente": "gemeente", "aanbieder": "aanbieder", "region": "regio"}

TASK_ROLES = frozenset(LANE_PARTIES)


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf the engine acts."""

    id: int | None
    username: str
    organisation_id: int | None
    organisation_key: str | None
    organisation_kind: str | None
    region_id: int | None
    roles: frozenset[str]

    @property
    def is_system(self) -> bool:
        return self.id is None


SYSTEM = Actor(None, "systeem", None, None, None, None, frozenset())


def party_id(case: Case, party: str) -> int | None:
    return getattr(case, f"{party}_id")


def lane_organisation(case: Case, lane: str | None) -> int | None:
    """The organisation whose users get a task of this lane on this case."""
    for party in LANE_PARTIES.get(lane or "", ()):
        org = party_id(case, party)
        if org is not None:
            return org
    return None


def may_do(actor: Actor, lane: str | None, organisation_id: int | None) -> bool:
    return lane in actor.roles and organisation_id is not None and organisation_id == actor.organisation_id


def is_party(actor: Actor, case: Case) -> bool:
    """The actor's organisation works on this case as GI, gemeente or aanbieder."""
    return actor.organisation_id is not None and actor.organisation_id in (case.gi_id, case.gemeente_id, case.aanbieder_id)


def monitors(actor: Actor, case: Case) -> bool:
    return "regiocoordinator" in actor.roles and actor.organisation_id is not None and actor.organisation_id == case.region_id


def may_view_case(session: Session, actor: Actor, case: Case) -> bool:
    """Parties, the region's coordinators, and whoever held a task on it (now or before)."""
    if is_party(actor, case) or monitors(actor, case):
        return True
    return session.scalar(select(_held_tasks(actor, case.id).exists())) if _has_roles(actor) else False


def sees_case_data(session: Session, actor: Actor, case: Case, open_items: Iterable | None = None) -> bool:
    """The case data, the history's details and iJw payloads: for the current parties and
    whoever holds an open task on the case now; coordinators see where a case stands, not
    what is in the family's plan. `open_items`: the case's open work items when the caller
    has them already (rows or objects with lane and organisation_id); else they are asked."""
    if is_party(actor, case):
        return True
    if open_items is not None:
        return any(may_do(actor, item.lane, item.organisation_id) for item in open_items)
    if not _has_roles(actor):
        return False
    return session.scalar(select(_held_tasks(actor, case.id).where(WorkItem.status == "open").exists()))


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """may_view_case as a condition on cases, for list queries."""
    org = actor.organisation_id
    if org is None:
        return false()
    clauses = [Case.gi_id == org, Case.gemeente_id == org, Case.aanbieder_id == org]
    if "regiocoordinator" in actor.roles:
        clauses.append(Case.region_id == org)
    if _has_roles(actor):
        clauses.append(_held_tasks(actor, Case.id).exists())
    return or_(*clauses)


def _has_roles(actor: Actor) -> bool:
    return actor.organisation_id is not None and bool(actor.roles)


def _held_tasks(actor: Actor, case_id):
    """The work items of a case (any status) of the actor's organisation in its roles."""
    return select(WorkItem.id).where(
        WorkItem.case_id == case_id,
        WorkItem.organisation_id == actor.organisation_id,
        WorkItem.lane.in_(sorted(actor.roles)),
    )

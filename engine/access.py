"""Who may see and do what: lane → role, case → organisation. Pure rules, no queries."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Case

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


def sees_case_data(actor: Actor, case: Case, worked_on_it: bool) -> bool:
    """Coordinators see where a case stands, not what is in the family's plan."""
    return is_party(actor, case) or worked_on_it

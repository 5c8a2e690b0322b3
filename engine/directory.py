"""Organisations and users: who is who, and logging in."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .access import Actor
from .models import Organisation, User

# A hash to compare against when the user does not exist, so both paths take as long.
_DUMMY_HASH = generate_password_hash("niet-bestaande-gebruiker")


def hash_password(password: str) -> str:
    # Tests may choose a cheaper method; the default is werkzeug's (scrypt).
    method = os.environ.get("VERWIJSFLOW_PASSWORD_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def actor_for(session: Session, user_id: int) -> Actor | None:
    row = session.execute(
        select(User, Organisation).join(Organisation, User.organisation_id == Organisation.id).where(User.id == user_id)
    ).first()
    if row is None or not row.User.active:
        return None
    user, org = row
    return Actor(
        id=user.id,
        username=user.username,
        organisation_id=org.id,
        organisation_key=org.key,
        organisation_kind=org.kind,
        region_id=org.id if org.kind == "regio" else org.region_id,
        roles=frozenset(user.roles),
    )


def usernames(session: Session, ids) -> dict[int, str]:
    """User id → username, for all the ids at once (None and unknown ids are left out)."""
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


@dataclass(frozen=True)
class OrgInfo:
    id: int
    key: str
    name: str
    kind: str
    region_id: int | None
    settings: dict = field(default_factory=dict)


class OrganisationCache:
    """All organisations in memory: they are few and change rarely, and every step needs them.

    Entries are reloaded after `ttl` seconds, and at once when an unknown key or id is asked
    for (at most once a second, so garbage input cannot hammer the database).
    """

    def __init__(self, ttl: float = 30.0):
        self.ttl = ttl
        self._by_key: dict[str, OrgInfo] = {}
        self._by_id: dict[int, OrgInfo] = {}
        self._loaded = float("-inf")
        self._lock = threading.Lock()

    def _load(self, session: Session) -> None:
        orgs = [OrgInfo(o.id, o.key, o.name, o.kind, o.region_id, dict(o.settings or {}))
                for o in session.scalars(select(Organisation))]
        with self._lock:
            self._by_key = {o.key: o for o in orgs}
            self._by_id = {o.id: o for o in orgs}
            self._loaded = time.monotonic()

    def _fresh(self, session: Session, missing: bool = False) -> None:
        age = time.monotonic() - self._loaded
        if age > self.ttl or (missing and age > 1.0):
            self._load(session)

    def get(self, session: Session, key: str | None) -> OrgInfo | None:
        if not key:
            return None
        self._fresh(session)
        if key not in self._by_key:
            self._fresh(session, missing=True)
        return self._by_key.get(key)

    def by_id(self, session: Session, org_id: int | None) -> OrgInfo | None:
        if org_id is None:
            return None
        self._fresh(session)
        if org_id not in self._by_id:
            self._fresh(session, missing=True)
        return self._by_id.get(org_id)

    def choices(self, session: Session, kind: str) -> list[tuple[str, str]]:
        self._fresh(session)
        return sorted(((o.key, o.name) for o in self._by_key.values() if o.kind == kind), key=lambda kn: kn[1])

    def names(self, session: Session, ids) -> dict[int, str]:
        return {i: org.name for i in set(ids) if (org := self.by_id(session, i)) is not None}

    def stamp(self, session: Session) -> float:
        """Changes whenever the cached organisations were reloaded."""
        self._fresh(session)
        return self._loaded

    def invalidate(self) -> None:
        self._loaded = float("-inf")

"""Organisations and users: who is who, and logging in."""

from __future__ import annotations

import os

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


def organisation(session: Session, key: str | None) -> Organisation | None:
    if not key:
        return None
    return session.scalar(select(Organisation).where(Organisation.key == key))


def choices(session: Session, kind: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Organisation.key, Organisation.name).where(Organisation.kind == kind).order_by(Organisation.name)
    )
    return [(key, name) for key, name in rows]


def names(session: Session, ids) -> dict[int, str]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


def usernames(session: Session, ids) -> dict[int, str]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())

"""The audit trail: one row per thing that happened to a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .access import Actor
from .models import AuditEvent

# Built once: a plain insert, because the trail is append-only and nobody needs the row as an object.
_INSERT = insert(AuditEvent.__table__)


def record(
    session: Session,
    at: datetime,
    actor: Actor,
    kind: str,
    case_id: int | None = None,
    element_id: str | None = None,
    title: str | None = None,
    **details,
) -> None:
    session.connection().execute(_INSERT, {
        "case_id": case_id,
        "at": at,
        "actor_id": actor.id,
        "actor": actor.username,
        "kind": kind,
        "element_id": element_id,
        "title": title,
        "details": details,
    })

"""Database tables. The schema is owned by the Alembic migrations in engine/migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the engine stamps times in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class Organisation(Base):
    """A GI, gemeente, aanbieder or region (which hosts the RET, the BEN and the coordinators)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Artifact(Base):
    """One deployed version of a BPMN file, DMN file or form. Never changed once written."""

    __tablename__ = "artifacts"
    __table_args__ = (
        UniqueConstraint("kind", "key", "version"),
        UniqueConstraint("kind", "key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(80))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Bundle(Base):
    """The artifact versions a case runs on: its process, called processes, DMN tables, forms."""

    __tablename__ = "bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    bundle_hash: Mapped[str] = mapped_column(String(64), unique=True)
    artifact_ids: Mapped[list[Any]]
    created_at: Mapped[datetime]


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_process", "status", "process_key"),
        Index("ix_cases_region", "region_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    process_key: Mapped[str] = mapped_column(String(200))
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id"))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, completed, error
    version: Mapped[int] = mapped_column(Integer, default=1)
    gi_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    gemeente_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    aanbieder_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    # The case data as it stands (merged over parallel branches), for views and monitoring.
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Workflow-level state (data, subprocess headers); the task tree lives in engine_tasks.
    engine_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": version}


class EngineTask(Base):
    """One SpiffWorkflow task of a case, as SpiffWorkflow's own serializer writes it.

    Only tasks that changed are rewritten after a step, so the rows a step writes do not grow
    with the case's history. Finding them still costs CPU in proportion to it: every task's
    fingerprint is compared (engine/persistence.py), a cheap scan but a linear one.
    """

    __tablename__ = "engine_tasks"
    __table_args__ = (Index("ix_engine_tasks_case_seq", "case_id", "seq"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow_key: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)


class WorkItem(Base):
    """A user task as people see it: the inbox, the case page, the monitoring queries."""

    __tablename__ = "work_items"
    __table_args__ = (
        Index("ix_work_items_inbox", "status", "organisation_id", "lane"),
        Index("ix_work_items_case", "case_id", "status"),
        Index("ix_work_items_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(80))
    form: Mapped[str | None] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AuditEvent(Base):
    """History: who did what to which case, and what changed. Append-only."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IjwMessage(Base):
    """An iJw message (JW315, JW301, JW319, JW305, JW307) recorded on a case."""

    __tablename__ = "ijw_messages"
    __table_args__ = (Index("ix_ijw_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    work_item_id: Mapped[str | None] = mapped_column(String(36))


class SystemSetting(Base):
    """Installation-wide switches, e.g. demo mode (which allows the virtual clock)."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict[str, Any]]


class CaseMigration(Base):
    """A case moved to another version of its process, with what it was before, so that the
    move can be undone exactly while the case has not moved on since."""

    __tablename__ = "case_migrations"
    __table_args__ = (Index("ix_case_migrations_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(200))
    from_bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id"))
    to_bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id"))
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    migrated_at: Mapped[datetime]
    migrated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The case row's version right after the migration: undo is refused once it differs.
    case_version: Mapped[int] = mapped_column(Integer)
    # The case as it was: engine_state, data, task rows and the open work items' fields.
    previous: Mapped[dict[str, Any]] = mapped_column(default=dict)
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Timer(Base):
    """A BPMN timer event that is waiting, in a table the schedulers can claim rows from.

    Kept by a step hook from the WAITING timer tasks of each case (engine/timers.py); a row
    that stops waiting without being fired here (the race was won by another event, the
    case ended) is closed. Claiming uses the partial index on run_at of waiting rows, so
    the cost of firing one timer does not depend on how many others are waiting.
    """

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_due", "run_at", "id", sqlite_where=text("status = 'waiting'"),
              postgresql_where=text("status = 'waiting'")),
        Index("ix_timers_case", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36))
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    # The label of the norm this timer guards (property monitorNorm), for the stuck list.
    norm: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="waiting")  # waiting, fired, closed, failed
    due_at: Mapped[datetime]
    # When a scheduler may next try it: due_at, later after a failed attempt (backoff).
    run_at: Mapped[datetime]
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

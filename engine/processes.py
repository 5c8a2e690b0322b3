"""The catalogue of deployed processes: what exists, which version is current, how to start it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from . import access
from .access import Actor
from .cases import start_roles
from .designer import require_designer, version_view
from .errors import NotFound
from .models import Artifact, Case

if TYPE_CHECKING:
    from .runtime import Runtime


class ProcessService:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    def list(self, actor: Actor) -> list[dict]:
        with self.rt.reading() as session:
            keys = session.scalars(
                select(Artifact.key).where(Artifact.kind == "bpmn", Artifact.is_current).order_by(Artifact.key)
            )
            return [self._summary(session, actor, key) for key in list(keys)]

    def get(self, actor: Actor, key: str) -> dict:
        with self.rt.reading() as session:
            view = self._summary(session, actor, key)
            bundle = self.rt.library.current_bundle(session, key)
            start = bundle.start
            view["bpmn"] = bundle.bpmn[key]
            view["start_form"] = self.rt.cases.form(session, bundle, start.form).schema if start else None
            view["elements"] = [
                {"process": e.process_id, "id": e.element_id, "title": e.title, "lane": e.lane, "kind": e.kind,
                 "form": e.form}
                for e in bundle.elements.values()
                if e.process_id == key
            ]
            return view

    def versions(self, actor: Actor, key: str) -> list[dict]:
        """Every version of a process: who deployed it when, what changed, and how many running
        cases of the designer's region are still on it (the candidates for migration).
        Designers only."""
        require_designer(actor)
        with self.rt.reading() as session:
            rows = self.rt.library.versions(session, "bpmn", key)
            if not rows:
                raise NotFound(f"Onbekend proces: {key}.")
            running = self._running_per_version(session, key, actor.region_id)
            return [dict(version_view(a), running_cases=running.get(a.version, 0)) for a in rows]

    def _running_per_version(self, session, key: str, region_id: int | None) -> dict[int, int]:
        counts = session.execute(
            select(Case.bundle_id, func.count())
            .where(Case.process_key == key, Case.status == "running", Case.region_id == region_id)
            .group_by(Case.bundle_id)
        ).all()
        per_version: dict[int, int] = {}
        for bundle_id, count in counts:  # a handful of bundles per process, each parsed once
            version = self.rt.library.parsed(session, bundle_id).version
            per_version[version] = per_version.get(version, 0) + count
        return per_version

    def _summary(self, session, actor: Actor, key: str) -> dict:
        artifact = session.scalar(
            select(Artifact).where(Artifact.kind == "bpmn", Artifact.key == key, Artifact.is_current)
        )
        if artifact is None:
            raise NotFound(f"Onbekend proces: {key}.")
        bundle = self.rt.library.current_bundle(session, key)
        start = bundle.start
        roles = start_roles(start)
        lane = next((r for r in roles if r in actor.roles), roles[0] if roles else None)
        return {
            "key": key,
            "name": bundle.name,
            "version": artifact.version,
            "content_hash": artifact.content_hash,
            "deployed_at": artifact.deployed_at,
            "deployed_by": artifact.deployed_by,
            "start_role": lane,
            "startable": bool(start and start.form and lane in actor.roles),
            "start_roles": roles,
            "start_role_label": access.ROLE_LABELS.get(lane or "", lane),
        }

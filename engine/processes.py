"""The catalogue of deployed processes: what exists, which version is current, how to start it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from . import access, directory, forms
from .access import Actor
from .cases import start_roles
from .errors import NotFound
from .models import Artifact

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
            bundle = self.rt.library.bundle_for_start(session, key, self.rt.clock.now())
            start = bundle.start
            schema = bundle.form(start.form) if start else None
            view["bpmn"] = bundle.bpmn[key]
            view["start_form"] = forms.resolve(schema, lambda kind: directory.choices(session, kind)) if schema else None
            view["elements"] = [
                {"process": e.process_id, "id": e.element_id, "title": e.title, "lane": e.lane, "kind": e.kind,
                 "form": e.form}
                for e in bundle.elements.values()
                if e.process_id == key
            ]
            return view

    def versions(self, key: str) -> list[dict]:
        with self.rt.reading() as session:
            rows = self.rt.library.versions(session, "bpmn", key)
            if not rows:
                raise NotFound(f"Onbekend proces: {key}.")
            return [
                {"version": a.version, "content_hash": a.content_hash, "deployed_at": a.deployed_at,
                 "deployed_by": a.deployed_by, "current": a.is_current, "summary": a.summary}
                for a in rows
            ]

    def _summary(self, session, actor: Actor, key: str) -> dict:
        artifact = session.scalar(
            select(Artifact).where(Artifact.kind == "bpmn", Artifact.key == key, Artifact.is_current)
        )
        if artifact is None:
            raise NotFound(f"Onbekend proces: {key}.")
        bundle = self.rt.library.bundle_for_start(session, key, self.rt.clock.now())
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

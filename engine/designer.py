"""What a process designer does: validate BPMN, DMN and forms, deploy them as new versions,
and read every deployed version back (for the modeler and the version history).

Deploying goes through Library.deploy, the same code path as the files on disk at start-up
and as `verwijsflow validate`: the uploaded files are validated together with everything
deployed that they do not replace, and either all of them get a new version or none does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import audit
from .access import Actor
from .errors import Forbidden, InvalidData, NotFound
from .library import Source, source_of
from .models import Artifact

if TYPE_CHECKING:
    from .runtime import Runtime

DESIGNER_ROLE = "procesontwerper"
MAX_FILE_CHARS = 2_000_000
KINDS = ("bpmn", "dmn", "form")
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Upload:
    filename: str
    content: str
    kind: str | None = None  # bpmn | dmn | form; default: from the file name


def source_for(upload: Upload, field: str = "filename") -> Source:
    """The artifact an uploaded file is (library.source_of): `<key>.bpmn`, `<key>.dmn`, or
    `forms/<path>.json`.

    Names are checked strictly: a key becomes part of a file path and of URLs.
    """
    name = upload.filename.replace("\\", "/").strip()
    if len(upload.content) > MAX_FILE_CHARS:
        raise InvalidData({field: [f"Het bestand {name} is te groot (meer dan {MAX_FILE_CHARS} tekens)."]})
    source = source_of(name, upload.content, upload.kind) if upload.kind in (None, *KINDS) else None
    if source is None:
        raise InvalidData({field: [f"Onbekend soort bestand: {name}. Gebruik .bpmn, .dmn of forms/<pad>.json."]})
    if source.kind == "form":
        segments = source.key.split("/")
        if not source.key.endswith(".json") or len(segments) < 2 or not all(_SEGMENT.match(s) for s in segments):
            raise InvalidData({field: [f"Een formulier heet forms/<proces>/<naam>.json; '{name}' kan niet."]})
    elif not _SEGMENT.match(source.key) or "." in source.key:
        raise InvalidData({field: [f"De bestandsnaam '{name}' is geen geldige proces- of tabelnaam "
                                   "(letters, cijfers, _ en -)."]})
    return source


def require_designer(actor: Actor) -> None:
    """Only a procesontwerper of a region designs processes."""
    if DESIGNER_ROLE not in actor.roles:
        raise Forbidden("Alleen een procesontwerper kan processen ontwerpen, uitrollen of casussen migreren of "
                        "hervatten.")
    if actor.organisation_kind != "regio":
        raise Forbidden("Een procesontwerper werkt voor een regio; uw organisatie is geen regio.")


class DesignerService:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    def validate(self, actor: Actor, uploads: Iterable[Upload]) -> list[dict]:
        """The problems deploying these files would meet; nothing is stored."""
        require_designer(actor)
        sources = self._sources(uploads)
        with self.rt.reading() as session:
            return [p.as_dict() for p in self.rt.library.problems(session, sources)]

    def deploy(self, actor: Actor, uploads: Iterable[Upload]) -> dict:
        """Store a new version of every file that changed. Raises ProcessProblems (nothing stored)."""
        require_designer(actor)
        sources = self._sources(uploads)
        with self.rt.transaction() as session:
            now = self.rt.clock.now()
            deployed = self.rt.library.deploy(session, sources, actor.username, now)
            for artifact in deployed:
                audit.record(session, now, actor, "artifact_deployed", None, None,
                             f"{_label(artifact.kind)} {artifact.key} versie {artifact.version} uitgerold",
                             artifact_kind=artifact.kind, key=artifact.key, version=artifact.version,
                             summary=artifact.summary)
            views = [version_view(artifact) for artifact in deployed]
            new = {(a.kind, a.key) for a in deployed}
            unchanged = [
                version_view(artifact) for artifact in self.rt.library.current_artifacts(session)
                if (artifact.kind, artifact.key) in {(s.kind, s.key) for s in sources} - new
            ]
            session.commit()
        self.rt.library.forget()
        return {"deployed": views, "unchanged": unchanged}

    def artifacts(self, actor: Actor) -> list[dict]:
        require_designer(actor)
        with self.rt.reading() as session:
            return [version_view(a) for a in self.rt.library.current_artifacts(session)]

    def artifact(self, actor: Actor, kind: str, key: str, version: int | None = None) -> dict:
        """One artifact's content (the current version, or `version`) and its history."""
        require_designer(actor)
        if kind not in KINDS:
            raise NotFound(f"Onbekende soort: {kind}.")
        with self.rt.reading() as session:
            versions = self.rt.library.versions(session, kind, key)
            if not versions:
                raise NotFound(f"{_label(kind)} {key} bestaat niet.")
            chosen = next((a for a in versions if a.version == version), None) if version is not None \
                else next((a for a in versions if a.is_current), versions[-1])
            if chosen is None:
                raise NotFound(f"Versie {version} van {key} bestaat niet.")
            view = version_view(chosen)
            view["content"] = chosen.content
            view["versions"] = [version_view(a) for a in versions]
            return view

    def _sources(self, uploads: Iterable[Upload]) -> list[Source]:
        uploads = list(uploads)
        if not uploads:
            raise InvalidData({"file": ["Stuur ten minste één bestand mee."]})
        sources = [source_for(upload, "file" if len(uploads) == 1 else f"file[{i}]") for i, upload in enumerate(uploads)]
        keys = [(s.kind, s.key) for s in sources]
        if len(set(keys)) != len(keys):
            raise InvalidData({"file": ["Hetzelfde bestand is meer dan eens meegestuurd."]})
        return sources


def version_view(artifact: Artifact) -> dict:
    """One deployed version as the API shows it: who deployed it when, and what changed."""
    return {
        "kind": artifact.kind,
        "key": artifact.key,
        "filename": Source(artifact.kind, artifact.key, "").filename,
        "version": artifact.version,
        "content_hash": artifact.content_hash,
        "deployed_at": artifact.deployed_at,
        "deployed_by": artifact.deployed_by,
        "current": artifact.is_current,
        "summary": artifact.summary,
    }


def _label(kind: str) -> str:
    return {"bpmn": "Proces", "dmn": "Beslistabel", "form": "Formulier"}.get(kind, kind)

"""Deployed versions of processes, decision tables and forms, and the bundles cases run on.

Every BPMN file, DMN file and form is an *artifact*, versioned by content hash. A case starts
on a *bundle*: the current versions of its process, the processes it calls, the decision
tables and the forms they use. The bundle never changes, so a running case keeps the
version it started on however often the designers deploy.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from lxml import etree
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import forms
from .errors import NotFound, ProcessProblems
from .models import Artifact, Bundle
from .parsing import Element, Parser, elements_of, process_name, start_element

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
DEPLOY_LOCK = 0x7666_6465_706C  # PostgreSQL advisory lock key held while deploying ("vfdepl")


@dataclass(frozen=True)
class Source:
    """An artifact's text before it is deployed."""

    kind: str  # bpmn | dmn | form
    key: str  # process key, DMN file stem, or form path relative to forms/
    text: str

    @property
    def filename(self) -> str:
        return {"bpmn": f"{self.key}.bpmn", "dmn": f"{self.key}.dmn"}.get(self.kind, f"forms/{self.key}")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kind_of(name: str) -> str | None:
    """bpmn, dmn or form, by a file name's ending; None for anything else."""
    for suffix, kind in ((".bpmn", "bpmn"), (".dmn", "dmn"), (".json", "form")):
        if name.endswith(suffix):
            return kind
    return None


def source_of(name: str, text: str, kind: str | None = None) -> Source | None:
    """The artifact a file is, by its name: `<key>.bpmn` and `<key>.dmn` (also as
    `processes/<key>...`), a form as `forms/<path>.json` (its key is the path below forms/).
    `kind` overrides the name's ending. None when the name says no artifact kind.
    The one mapping from files to artifacts: the folders on disk, `verwijsflow validate`
    and uploads (designer.source_for, which also checks the names strictly)."""
    name = name.replace("\\", "/").strip()
    kind = kind or kind_of(name)
    if kind == "form":
        return Source("form", name.removeprefix("forms/"), text)
    if kind in ("bpmn", "dmn"):
        return Source(kind, name.removeprefix("processes/").removesuffix(f".{kind}"), text)
    return None


def read_sources(processes_dir: Path, forms_dir: Path) -> list[Source]:
    """Every BPMN and DMN file in processes/ and every form below forms/."""
    files = [(p.name, p) for p in sorted(processes_dir.glob("*.bpmn")) + sorted(processes_dir.glob("*.dmn"))]
    files += [(f"forms/{p.relative_to(forms_dir).as_posix()}", p) for p in sorted(forms_dir.rglob("*.json"))]
    return [source_of(name, path.read_text(encoding="utf-8")) for name, path in files]


@dataclass
class ParsedBundle:
    """A bundle ready to run: specs parsed once per process, shared by all its cases."""

    id: int
    process_key: str
    name: str
    spec: object
    subprocess_specs: dict
    elements: dict[tuple[str, str], Element]
    forms: dict[str, dict]
    artifacts: dict[tuple[str, str], int]  # (kind, key) -> version
    bpmn: dict[str, str]  # process key -> XML

    @property
    def version(self) -> int:
        return self.artifacts[("bpmn", self.process_key)]

    @property
    def start(self) -> Element | None:
        return start_element(self.spec, self.elements)

    def element(self, process_id: str, element_id: str) -> Element | None:
        return self.elements.get((process_id, element_id))

    def form(self, path: str | None) -> dict | None:
        return self.forms.get(path) if path else None


class Library:
    def __init__(self, cache_size: int = 64):
        self._parsed: OrderedDict[str, ParsedBundle] = OrderedDict()
        self._start_bundles: dict[tuple, list[int]] = {}
        self._hashes: dict[int, str] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- deploying -------------------------------------------------------------------------

    def deploy(self, session: Session, sources: Iterable[Source], actor: str, now: datetime,
               only_new: bool = False) -> list[Artifact]:
        """Validate the sources together with what is deployed and store new versions.

        With `only_new`, a source whose content was deployed before (as any version) is left
        out: the files on disk then do not undo what a designer deployed since.

        Returns the artifacts that got a new version. Raises ProcessProblems and stores
        nothing if any problem is found.
        """
        sources = list(sources)
        _one_deploy_at_a_time(session)
        if only_new:
            known = {tuple(row) for row in session.execute(select(Artifact.kind, Artifact.key, Artifact.content_hash))}
            sources = [s for s in sources if (s.kind, s.key, content_hash(s.text)) not in known]
        current = {(a.kind, a.key): a for a in self.current_artifacts(session)}
        problems = self.problems(session, sources, current)
        if problems:
            raise ProcessProblems(problems)
        deployed = []
        for source in sources:
            existing = current.get((source.kind, source.key))
            if existing is not None and existing.content_hash == content_hash(source.text):
                continue
            deployed.append(self._store(session, source, actor, now, existing))
        return deployed

    def problems(self, session: Session, sources: list[Source], current: dict | None = None) -> list:
        """Every problem of these sources together with everything deployed that they do not
        replace: what deploy() would refuse. Used for validating without deploying too."""
        from .validation import validate_sources  # validation imports the parser stack

        if current is None:
            current = {(a.kind, a.key): a for a in self.current_artifacts(session)}
        combined = {(a.kind, a.key): Source(a.kind, a.key, a.content) for a in current.values()}
        combined.update({(s.kind, s.key): s for s in sources})
        return validate_sources(list(combined.values()))

    def _store(self, session: Session, source: Source, actor: str, now: datetime, previous: Artifact | None) -> Artifact:
        digest = content_hash(source.text)
        session.execute(
            update(Artifact).where(Artifact.kind == source.kind, Artifact.key == source.key).values(is_current=False)
        )
        same = session.scalar(
            select(Artifact).where(Artifact.kind == source.kind, Artifact.key == source.key, Artifact.content_hash == digest)
        )
        if same is not None:  # going back to an earlier version: make that one current again
            same.is_current = True
            return same
        last = session.scalar(
            select(Artifact.version)
            .where(Artifact.kind == source.kind, Artifact.key == source.key)
            .order_by(Artifact.version.desc())
            .limit(1)
        )
        artifact = Artifact(
            kind=source.kind,
            key=source.key,
            version=(last or 0) + 1,
            content_hash=digest,
            content=source.text,
            is_current=True,
            deployed_at=now,
            deployed_by=actor,
            summary=summarise_change(previous.content if previous else None, source),
        )
        session.add(artifact)
        session.flush()
        return artifact

    def current_artifacts(self, session: Session) -> list[Artifact]:
        return list(session.scalars(select(Artifact).where(Artifact.is_current).order_by(Artifact.kind, Artifact.key)))

    def versions(self, session: Session, kind: str, key: str) -> list[Artifact]:
        return list(
            session.scalars(select(Artifact).where(Artifact.kind == kind, Artifact.key == key).order_by(Artifact.version))
        )

    # -- bundles ---------------------------------------------------------------------------

    def bundle_for_version(self, session: Session, process_key: str, version: int, now: datetime) -> ParsedBundle:
        """Version `version` of a process with the current versions of what it calls, its
        decision tables and forms: what a case migrated to that version runs on."""
        artifact = self.version(session, "bpmn", process_key, version)
        artifacts = {(a.kind, a.key): a for a in self.current_artifacts(session)}
        artifacts[("bpmn", process_key)] = artifact
        members = sorted(_bundle_members(process_key, artifacts))
        return self.parsed(session, self._bundle_row(session, process_key, members, now))

    def version(self, session: Session, kind: str, key: str, version: int) -> Artifact:
        artifact = session.scalar(
            select(Artifact).where(Artifact.kind == kind, Artifact.key == key, Artifact.version == version)
        )
        if artifact is None:
            raise NotFound(f"Versie {version} van {key} bestaat niet.")
        return artifact

    def bundle_for_start(self, session: Session, process_key: str, now: datetime) -> ParsedBundle:
        """The bundle a new case of this process starts on (the current versions); its row
        is written when it is new. For reading, use current_bundle."""
        members = self._start_members(session, process_key)
        return self.parsed(session, self._bundle_row(session, process_key, members, now))

    def current_bundle(self, session: Session, process_key: str) -> ParsedBundle:
        """What a new case of this process would start on, for reading: never writes a row.
        Its `id` is 0 (the bundle may have no row yet); the parsed specs are the ones
        bundle_for_start gives, cached under the same hash."""
        members = self._start_members(session, process_key)
        return self._parse(session, 0, bundle_hash(process_key, members), process_key, members)

    def _start_members(self, session: Session, process_key: str) -> list[int]:
        current = session.execute(
            select(Artifact.id, Artifact.kind, Artifact.key).where(Artifact.is_current).order_by(Artifact.id)
        ).all()
        signature = (process_key, tuple(row.id for row in current))
        members = self._start_bundles.get(signature)
        if members is None:
            if not any(row.kind == "bpmn" and row.key == process_key for row in current):
                raise NotFound(f"Onbekend proces: {process_key}.")
            artifacts = {(a.kind, a.key): a for a in self.current_artifacts(session)}
            members = sorted(_bundle_members(process_key, artifacts))
            self._start_bundles[signature] = members
        return members

    def _bundle_row(self, session: Session, process_key: str, artifact_ids: list[int], now: datetime) -> Bundle:
        """The bundle's row, inserted when new. Two transactions may insert the same bundle at
        once: the insert runs in a savepoint, and the loser takes the winner's row."""
        digest = bundle_hash(process_key, artifact_ids)
        existing = session.scalar(select(Bundle).where(Bundle.bundle_hash == digest))
        if existing is not None:
            return existing
        bundle = Bundle(process_key=process_key, bundle_hash=digest, artifact_ids=artifact_ids, created_at=now)
        try:
            with session.begin_nested():
                session.add(bundle)
        except IntegrityError:
            return session.scalars(select(Bundle).where(Bundle.bundle_hash == digest)).one()
        return bundle

    def parsed(self, session: Session, bundle: Bundle | int) -> ParsedBundle:
        """The parsed specs of a bundle. Cached by content hash, never by row id: a row id of a
        rolled-back transaction can come back for other content."""
        if isinstance(bundle, Bundle):
            return self._parse(session, bundle.id, bundle.bundle_hash, bundle.process_key, bundle.artifact_ids)
        # Asked by id for a case's bundle: that row is committed, so id → hash is stable.
        digest = self._hashes.get(bundle)
        cached = self._cached(digest) if digest else None
        if cached is not None:
            return replace(cached, id=bundle)
        row = session.get(Bundle, bundle)
        if row is None:
            raise NotFound(f"Onbekende procesversie {bundle}.")
        self._hashes[bundle] = row.bundle_hash
        return self._parse(session, bundle, row.bundle_hash, row.process_key, row.artifact_ids)

    def _parse(self, session: Session, bundle_id: int, digest: str, process_key: str,
               artifact_ids: list[int]) -> ParsedBundle:
        cached = self._cached(digest)
        if cached is None:
            artifacts = list(session.scalars(select(Artifact).where(Artifact.id.in_(artifact_ids))))
            cached = parse_bundle(process_key, artifacts)
            with self._lock:
                self._parsed[digest] = cached
                while len(self._parsed) > self._cache_size:
                    self._parsed.popitem(last=False)
        return replace(cached, id=bundle_id)

    def _cached(self, digest: str) -> ParsedBundle | None:
        with self._lock:
            cached = self._parsed.get(digest)
            if cached is not None:
                self._parsed.move_to_end(digest)
            return cached

    def forget(self) -> None:
        """Drop cached start bundles (after a deploy)."""
        with self._lock:
            self._start_bundles.clear()


def bundle_hash(process_key: str, artifact_ids: list[int]) -> str:
    return hashlib.sha256(json.dumps([process_key, artifact_ids]).encode()).hexdigest()


def _one_deploy_at_a_time(session: Session) -> None:
    """Deploys wait for each other until the end of the transaction: each then reads what the
    one before it stored, so two cannot both number their version last + 1 or both mark
    theirs current. SQLite's write transaction (BEGIN IMMEDIATE) already serializes them;
    PostgreSQL takes a transaction-level advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEPLOY_LOCK})


def parse_bundle(process_key: str, artifacts: list[Artifact]) -> ParsedBundle:
    parser = Parser()
    bpmn = {}
    for artifact in artifacts:
        if artifact.kind == "bpmn":
            parser.add_bpmn_text(artifact.content, f"{artifact.key}.bpmn")
            bpmn[artifact.key] = artifact.content
        elif artifact.kind == "dmn":
            parser.add_dmn_text(artifact.content, f"{artifact.key}.dmn")
    spec, subprocess_specs = parser.specs_for(process_key)
    return ParsedBundle(
        id=0,
        process_key=process_key,
        name=process_name(bpmn[process_key], process_key),
        spec=spec,
        subprocess_specs=subprocess_specs,
        elements=elements_of(spec, subprocess_specs),
        forms={a.key: forms.load_schema(a.content) for a in artifacts if a.kind == "form"},
        artifacts={(a.kind, a.key): a.version for a in artifacts},
        bpmn=bpmn,
    )


def _bundle_members(process_key: str, artifacts: dict[tuple[str, str], Artifact]) -> set[int]:
    """The process, every process it calls (transitively), their DMN tables and forms."""
    members: set[int] = set()
    todo, seen = [process_key], set()
    while todo:
        key = todo.pop()
        if key in seen or ("bpmn", key) not in artifacts:
            continue
        seen.add(key)
        artifact = artifacts[("bpmn", key)]
        members.add(artifact.id)
        root = etree.fromstring(artifact.content.encode("utf-8"))
        todo += [node.get("calledElement") for node in root.iterfind(".//bpmn:callActivity", NS)]
        for node in root.iterfind(".//bpmn:businessRuleTask", NS):
            members.update(_dmn_defining(BusinessRuleTaskParser.get_decision_ref(node), artifacts))
        for value in root.xpath(
            ".//*[local-name()='property'][@name='formJsonSchemaFilename']/@value"
        ):
            if ("form", value) in artifacts:
                members.add(artifacts[("form", value)].id)
    return members


def _dmn_defining(decision_id: str | None, artifacts: dict[tuple[str, str], Artifact]) -> set[int]:
    found = set()
    for (kind, _key), artifact in artifacts.items():
        if kind == "dmn" and decision_id and f'id="{decision_id}"' in artifact.content:
            found.add(artifact.id)
    return found


def summarise_change(old_text: str | None, source: Source) -> dict:
    """Which elements were added, removed, renamed or moved compared with the previous version."""
    from .changes import summarise  # changes imports the lint rules, which need nothing of this module

    return summarise(source.kind, old_text, source.text)

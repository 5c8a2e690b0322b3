"""The engine as one object: database, clock, script engine, deployed specs, live workflows.

One Runtime per server process. Everything shared between processes lives in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy.orm import Session

from . import db, timers
from .assignments import Assignments
from .cases import CaseService
from .clock import Clock, DatabaseClock
from .config import Settings
from .directory import OrganisationCache
from .forms import FormCache
from .frontier import SubWorkflow, Workflow
from .library import Library, ParsedBundle, read_sources
from .models import Artifact
from .monitoring import Monitoring
from .persistence import WorkflowStore
from .scripting import SERIALIZER_CONFIG, SafeScriptEngine
from .workflows import WorkflowCache

StepHook = Callable[..., None]


def serializer_config() -> dict:
    """SpiffWorkflow's converters, knowing our clock-aware timers and workflow classes."""
    from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow

    config = dict(SERIALIZER_CONFIG)
    config[Workflow] = config[BpmnWorkflow]
    config[SubWorkflow] = config[BpmnSubWorkflow]
    return config


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None):
        self.settings = settings
        self.db = db.make_engine(settings.database_url)
        self.sessions = db.make_session_factory(self.db)
        # The virtual clock of demo mode lives in the database, so every worker agrees on it.
        self.clock = clock or DatabaseClock(self.db)
        self.script_engine = SafeScriptEngine(clock=self.clock.now)
        self.store = WorkflowStore(BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(serializer_config())))
        self.library = Library()
        self.cache = WorkflowCache(settings.workflow_cache_size)
        self.orgs = OrganisationCache()
        self.forms = FormCache()
        self.cases = CaseService(self)
        self._step_hooks: list[StepHook] = []
        self.timers = timers.TimerService(self)
        self.assignments = Assignments(self)
        self.monitoring = Monitoring(self)
        self.add_step_hook(timers.sync_timers)
        self.scheduler = None

    # -- sessions --------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction; whatever the body did not commit (session.commit()) is rolled back."""
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = db.reading(self.sessions)
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    # -- set-up ----------------------------------------------------------------------------

    def migrate(self) -> None:
        db.migrate(self.db)

    def deploy_from_disk(self, actor: str = "systeem (bestanden)") -> list[Artifact]:
        """Deploy every file in processes/ and forms/ whose content was never deployed.

        A file whose content is already a version (the current one, or an older one that a
        designer replaced through the API since) is left alone, so a restart never undoes a
        deploy. Several workers may start at once: deploys wait for each other (Library.deploy),
        so the later ones find the versions present and deploy nothing.
        """
        sources = read_sources(Path(self.settings.processes_dir), Path(self.settings.forms_dir))
        with self.transaction() as session:
            deployed = self.library.deploy(session, sources, actor, self.clock.now(), only_new=True)
            session.commit()
        self.library.forget()
        return deployed

    # -- workflows -------------------------------------------------------------------------

    def new_workflow(self, bundle: ParsedBundle) -> BpmnWorkflow:
        return Workflow(bundle.spec, bundle.subprocess_specs, script_engine=self.script_engine)

    def add_step_hook(self, hook: StepHook) -> None:
        """Called inside the transaction after every persisted step (timers, due dates...)."""
        self._step_hooks.append(hook)

    def after_step(self, session: Session, case, bundle, live, active, now) -> None:
        """`active`: every task that is ready, waiting or started after the step."""
        for hook in self._step_hooks:
            hook(session, case, bundle, live, active, now)

    def start_scheduler(self) -> None:
        """Fire due timers in the background of this process (APScheduler), every few seconds."""
        from .scheduler import TimerScheduler

        if self.scheduler is None:
            self.scheduler = TimerScheduler(self, self.settings.timer_interval)
            self.scheduler.start()

    def dispose(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
            self.scheduler = None
        self.cache.clear()
        self.db.dispose()

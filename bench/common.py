"""Shared pieces of the benchmarks: a runtime on a fresh database, demo actors, progress."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text

from engine import demo, directory
from engine.config import ROOT, Settings
from engine.models import User
from engine.runtime import Runtime

os.environ.setdefault("VERWIJSFLOW_PASSWORD_METHOD", "pbkdf2:sha256:1000")


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.start, self.last = label, total, time.perf_counter(), 0.0
        # On a terminal the bar redraws often; in a log, every 10 seconds is plenty.
        self.every = 0.2 if sys.stderr.isatty() else 10.0

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if done < self.total and now - self.last < self.every:
            return
        self.last = now
        width = 30
        filled = int(width * done / max(self.total, 1))
        rate = done / max(now - self.start, 1e-9)
        sys.stderr.write(f"{chr(13) if sys.stderr.isatty() else ''}  {self.label:<34} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                         f"({rate:,.0f}/s)")
        if done >= self.total or not sys.stderr.isatty():
            sys.stderr.write("\n")
        sys.stderr.flush()


def fresh_runtime(backend: str = "sqlite", cache_size: int = 2000) -> tuple[Runtime, callable]:
    """A migrated runtime with the processes deployed and demo data loaded; returns a cleanup."""
    tmp = Path(tempfile.mkdtemp(prefix="vf-bench-"))
    cleanup = lambda: None  # noqa: E731
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        name = f"vf_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(backend, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{backend.rpartition('/')[0]}/{name}"

        def cleanup():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    settings = Settings.from_env(database_url=url, instance_dir=tmp, processes_dir=ROOT / "processes",
                                 forms_dir=ROOT / "forms", secret_key="bench", workflow_cache_size=cache_size)
    runtime = Runtime(settings)
    runtime.migrate()
    runtime.deploy_from_disk()
    with runtime.transaction() as session:
        demo.load(session)
        session.commit()

    def done():
        runtime.dispose()
        cleanup()

    return runtime, done


def actors(runtime: Runtime) -> dict:
    with runtime.reading() as session:
        return {u.username: directory.actor_for(session, u.id) for u in session.scalars(select(User))}


def pg_url() -> str | None:
    return os.environ.get("VERWIJSFLOW_BENCH_PG_URL") or os.environ.get("VERWIJSFLOW_TEST_PG_URL")

"""`verwijsflow simulate`: cases walked over virtual time, the same for the same seed."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.config import ROOT
from engine.errors import Forbidden
from engine.models import AuditEvent, Case, WorkItem
from engine.simulation import simulate

from .conftest import build_app, make_database, make_runtime


def _walks(runtime) -> dict[str, list[str]]:
    """Per case reference: the tasks completed, in order."""
    with runtime.reading() as session:
        rows = session.execute(
            select(Case.reference, WorkItem.element_id)
            .join(WorkItem, WorkItem.case_id == Case.id)
            .where(WorkItem.status == "completed")
            .order_by(Case.reference, WorkItem.completed_at, WorkItem.element_id)
        ).all()
    walks: dict[str, list[str]] = {}
    for reference, element_id in rows:
        walks.setdefault(reference, []).append(element_id)
    return walks


def test_simulation_fills_a_demo_database_and_repeats_with_the_same_seed(tmp_path):
    app, runtime, database = build_app("sqlite", tmp_path / "a")
    progress = []
    try:
        started = runtime.clock.now()
        report = simulate(runtime, 6, seed=3, progress=lambda fraction, text: progress.append(fraction))
        assert report.cases == 6 and report.tasks > 6 * 5 and report.skipped == []
        assert runtime.clock.now() >= started + timedelta(days=365)  # a year of virtual time
        assert progress[-1] == 1.0 and progress == sorted(progress)
        first = _walks(runtime)
        assert len(first) == 6 and all(walk[0] == "stap1_plan_van_aanpak" for walk in first.values())
        with runtime.reading() as session:
            assert session.scalar(select(AuditEvent.details).where(AuditEvent.kind == "simulation"))["seed"] == 3
    finally:
        runtime.dispose()
        database.drop()

    # The same run through the command line, on another database: the same walks.
    second_db = make_database("sqlite", tmp_path / "b")
    env = {"VERWIJSFLOW_DATABASE_URL": second_db.url, "VERWIJSFLOW_INSTANCE_DIR": str(tmp_path / "b"),
           "VERWIJSFLOW_SECRET_KEY": "test", "VERWIJSFLOW_PASSWORD_METHOD": "pbkdf2:sha256:1000", "PATH": ""}
    cli = [sys.executable, "-m", "webapi.cli"]
    assert subprocess.run([*cli, "demo"], capture_output=True, env=env, cwd=ROOT, timeout=120).returncode == 0
    result = subprocess.run([*cli, "simulate", "--cases", "6", "--seed", "3"], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "6 casussen gestart" in result.stdout and "Simulatie [" in result.stderr and "100%" in result.stderr
    second = make_runtime(second_db.url, tmp_path / "b")
    try:
        assert _walks(second) == first
    finally:
        second.dispose()


def test_simulation_needs_demo_mode(tmp_path):
    database = make_database("sqlite", tmp_path)
    runtime = make_runtime(database.url, tmp_path)
    runtime.migrate()
    runtime.deploy_from_disk()
    try:
        with pytest.raises(Forbidden):
            simulate(runtime, 1, seed=1)
        assert runtime.clock.now() < datetime.now(UTC) + timedelta(minutes=1)
    finally:
        runtime.dispose()

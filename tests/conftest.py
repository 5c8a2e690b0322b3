"""Test fixtures: an app on a fresh database (SQLite, or PostgreSQL when make test provides
one), demo data loaded, and an HTTP client that logs in as a demo user."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("VERWIJSFLOW_PASSWORD_METHOD", "pbkdf2:sha256:1000")
# Tests fire timers themselves (runtime.timers), never from a background thread.
os.environ.setdefault("VERWIJSFLOW_SCHEDULER", "0")

from engine import demo  # noqa: E402
from engine.config import ROOT, Settings  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from webapi import create_app  # noqa: E402

from .browser import LiveServer, launch  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("VERWIJSFLOW_TEST_PG_URL")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="geen PostgreSQL: zet VERWIJSFLOW_TEST_PG_URL (make test doet dat)")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql: needs the PostgreSQL server that make test provides")
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright (tests/browser.py)")


@dataclass
class Database:
    url: str
    drop: callable = field(default=lambda: None)


def make_database(backend: str, tmp_path: Path) -> Database:
    if backend == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    name = f"vf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_URL.rpartition("/")

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return Database(f"{base}/{name}", drop)


def make_runtime(db_url: str, tmp_path: Path, processes_dir: Path | None = None, forms_dir: Path | None = None,
                 **overrides) -> Runtime:
    settings = Settings.from_env(
        database_url=db_url,
        instance_dir=tmp_path / "instance",
        processes_dir=processes_dir or ROOT / "processes",
        forms_dir=forms_dir or ROOT / "forms",
        secret_key="test-secret",
        **overrides,
    )
    return Runtime(settings)


class Client:
    """An API client that logs in as demo users by name."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.http.post("/api/auth/token", json={"username": username, "password": demo.PASSWORD})
            assert response.status_code == 200, response.json
            self.tokens[username] = response.json["token"]
        return self.tokens[username]

    def request(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.http.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, user=None, **kw):
        return self.request("GET", path, user, **kw)

    def post(self, path, user=None, **kw):
        return self.request("POST", path, user, **kw)

    # -- conveniences for walking processes ---------------------------------------------

    def start(self, process: str, data: dict, user: str = "jeugdbeschermer") -> dict:
        response = self.post("/api/cases", user, json={"process": process, "data": data})
        assert response.status_code == 201, response.json
        return response.json

    def open_task(self, case_id: int, user: str, name: str | None = None) -> dict:
        tasks = [t for t in self.get("/api/tasks", user).json if t["case_id"] == case_id]
        if name:
            tasks = [t for t in tasks if t["name"] == name]
        assert tasks, f"{user} heeft geen open taak {name or ''} op casus {case_id}; " \
                      f"open: {[(t['name'], t['lane']) for t in self.case(case_id)['open_tasks']]}"
        return tasks[0]

    def complete(self, case_id: int, user: str, name: str | None = None, **data) -> dict:
        task = self.open_task(case_id, user, name)
        response = self.post(f"/api/tasks/{task['id']}/complete", user, json={"data": data})
        assert response.status_code == 200, response.json
        return response.json

    def case(self, case_id: int, user: str = "jeugdbeschermer") -> dict:
        response = self.get(f"/api/cases/{case_id}", user)
        assert response.status_code == 200, response.json
        return response.json


def build_app(backend: str, tmp_path: Path, **kwargs):
    database = make_database(backend, tmp_path)
    runtime = make_runtime(database.url, tmp_path, **kwargs)
    app = create_app(runtime=runtime)
    with runtime.transaction() as session:
        demo.load(session)
        session.commit()
    return app, runtime, database


@pytest.fixture(params=BACKENDS)
def fresh(request, tmp_path):
    """(client, runtime) on a new database per test: for tests that move the clock (it only
    goes forward) or need a freshly deployed database."""
    app, runtime, database = build_app(request.param, tmp_path)
    yield Client(app), runtime
    runtime.dispose()
    database.drop()


@pytest.fixture(scope="module", params=BACKENDS)
def app(request, tmp_path_factory):
    app, runtime, database = build_app(request.param, tmp_path_factory.mktemp(request.param))
    yield app
    runtime.dispose()
    database.drop()


@pytest.fixture(scope="module")
def client(app) -> Client:
    return Client(app)


@pytest.fixture(scope="module")
def runtime(app) -> Runtime:
    return app.extensions["verwijsflow"]


# -- browser tests: a module that defines its own `world` (with `.app`) gets these --------------

@pytest.fixture(scope="module")
def live(world):
    """The module's world served over HTTP on a free port."""
    with LiveServer(world.app) as server:
        yield server


@pytest.fixture(scope="module")
def browser(world):
    """Debian's chromium driven by Playwright, once per module (after its world is built)."""
    from playwright.sync_api import sync_playwright  # only the browser tests need it installed

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()

"""The Flask application: REST API under /api, OpenAPI at /api/openapi.json, the web UI at /."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from engine.config import Settings
from engine.designer import DesignerService
from engine.migration import MigrationService
from engine.processes import ProcessService
from engine.runtime import Runtime

from . import auth, errors, ui
from .api import artifacts, cases, health, migrations, monitor, processes, tasks


def create_app(settings: Settings | None = None, runtime: Runtime | None = None, prepare: bool = True) -> Flask:
    """Application factory.

    With `prepare` (the default) the database is migrated and the files in processes/ and
    forms/ are validated and deployed; a problem in them stops the start.
    """
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        API_TITLE="Verwijsflow API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    runtime = runtime or Runtime(settings)
    if prepare:
        runtime.migrate()
        runtime.deploy_from_disk()
    if settings.scheduler:
        runtime.start_scheduler()
    app.extensions["verwijsflow"] = runtime
    app.extensions["verwijsflow.processes"] = ProcessService(runtime)
    app.extensions["verwijsflow.designer"] = DesignerService(runtime)
    app.extensions["verwijsflow.migrations"] = MigrationService(runtime)

    api = Api(app, spec_kwargs={"info": {"description": "Verwijsflow: jeugdhulp-verwijsprocessen als BPMN."}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in (auth.blp, health.blp, processes.blp, artifacts.blp, migrations.blp, cases.blp, tasks.blp,
                      monitor.blp):
        api.register_blueprint(blueprint)
    auth.init_app(app)
    errors.init_app(app)
    ui.init_app(app)
    return app

"""Is the service up, and can it reach its database?"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from engine.models import Artifact

from ..auth import runtime
from ..schemas import BaseSchema, ma

blp = Blueprint("health", __name__, url_prefix="/api", description="Status van de dienst")


class HealthSchema(BaseSchema):
    status = ma.fields.String()
    database = ma.fields.String()
    processes = ma.fields.Integer()
    cached_workflows = ma.fields.Integer()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """Status van de dienst en de database."""
        with runtime().reading() as session:
            count = session.scalar(select(func.count()).select_from(Artifact).where(Artifact.kind == "bpmn", Artifact.is_current))
        return {"status": "ok", "database": "ok", "processes": count, "cached_workflows": len(runtime().cache)}

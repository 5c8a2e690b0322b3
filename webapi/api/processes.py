"""Deployed processes: list, current version with BPMN and start form, version history."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import current_actor
from ..schemas import BaseSchema, ma

blp = Blueprint("processes", __name__, url_prefix="/api/processes", description="Processen en hun versies")


def service():
    return current_app.extensions["verwijsflow.processes"]


class ProcessSummarySchema(BaseSchema):
    key = ma.fields.String()
    name = ma.fields.String()
    version = ma.fields.Integer()
    content_hash = ma.fields.String()
    deployed_at = ma.fields.DateTime()
    deployed_by = ma.fields.String()
    start_role = ma.fields.String(allow_none=True)
    start_role_label = ma.fields.String(allow_none=True)
    startable = ma.fields.Boolean()
    start_roles = ma.fields.List(ma.fields.String())


class ElementSchema(BaseSchema):
    process = ma.fields.String()
    id = ma.fields.String()
    title = ma.fields.String()
    lane = ma.fields.String(allow_none=True)
    kind = ma.fields.String()
    form = ma.fields.String(allow_none=True)


class ProcessSchema(ProcessSummarySchema):
    bpmn = ma.fields.String()
    start_form = ma.fields.Dict(allow_none=True)
    elements = ma.fields.List(ma.fields.Nested(ElementSchema))


class VersionSchema(BaseSchema):
    version = ma.fields.Integer()
    content_hash = ma.fields.String()
    deployed_at = ma.fields.DateTime()
    deployed_by = ma.fields.String()
    current = ma.fields.Boolean()
    summary = ma.fields.Dict()


@blp.route("")
class Processes(MethodView):
    @blp.response(200, ProcessSummarySchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self):
        """Alle uitgerolde processen met hun huidige versie."""
        return service().list(current_actor())


@blp.route("/<key>")
class Process(MethodView):
    @blp.response(200, ProcessSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, key):
        """De huidige versie van een proces: BPMN-XML, startformulier en stappen."""
        return service().get(current_actor(), key)


@blp.route("/<key>/versions")
class ProcessVersions(MethodView):
    @blp.response(200, VersionSchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self, key):
        """Alle versies van een proces: wie rolde wanneer uit, en wat veranderde."""
        return service().versions(key)

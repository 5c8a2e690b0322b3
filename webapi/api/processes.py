"""Deployed processes: list, current version with BPMN and start form, version history;
deploying new versions and validating without deploying (the modeler's two buttons)."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.designer import KINDS, Upload
from engine.errors import InvalidData

from ..auth import current_actor
from ..schemas import BaseSchema, ma

blp = Blueprint("processes", __name__, url_prefix="/api/processes", description="Processen en hun versies")


def service():
    return current_app.extensions["verwijsflow.processes"]


def designer():
    return current_app.extensions["verwijsflow.designer"]


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


class ArtifactVersionSchema(BaseSchema):
    kind = ma.fields.String(metadata={"description": "bpmn, dmn of form"})
    key = ma.fields.String(metadata={"description": "Procesleutel, tabelnaam of formulierpad"})
    filename = ma.fields.String()
    version = ma.fields.Integer()
    content_hash = ma.fields.String()
    deployed_at = ma.fields.DateTime()
    deployed_by = ma.fields.String()
    current = ma.fields.Boolean()
    summary = ma.fields.Dict(metadata={"description": "Wat veranderde: added, removed, renamed, ...; text: de samenvatting in het Nederlands"})


class VersionSchema(ArtifactVersionSchema):
    running_cases = ma.fields.Integer(metadata={"description": "Lopende casussen op deze versie"})


class FileSchema(BaseSchema):
    filename = ma.fields.String(required=True, metadata={"description": "<key>.bpmn, <key>.dmn of forms/<pad>.json"})
    content = ma.fields.String(required=True)
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))


class UploadSchema(BaseSchema):
    """One file ({filename, content}) or several ({files: [...]}), deployed together or not at all."""

    filename = ma.fields.String()
    content = ma.fields.String()
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    files = ma.fields.List(ma.fields.Nested(FileSchema))


class ProblemItemSchema(BaseSchema):
    file = ma.fields.String()
    message = ma.fields.String()
    element_id = ma.fields.String(allow_none=True)
    line = ma.fields.Integer(allow_none=True)


class ValidationResultSchema(BaseSchema):
    valid = ma.fields.Boolean()
    problems = ma.fields.List(ma.fields.Nested(ProblemItemSchema))


class DeployResultSchema(BaseSchema):
    deployed = ma.fields.List(ma.fields.Nested(ArtifactVersionSchema), metadata={"description": "Nieuwe versies"})
    unchanged = ma.fields.List(ma.fields.Nested(ArtifactVersionSchema),
                               metadata={"description": "Al uitgerold met dezelfde inhoud"})


UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "kind": {"type": "string", "enum": list(KINDS)}}}},
            "application/json": {"schema": UploadSchema},
        }
    },
    "security": [{"bearer": []}],
}


def uploads() -> list[Upload]:
    """The files of the request: multipart `file` parts, or JSON {filename, content} / {files}."""
    if request.files:
        kind = request.form.get("kind") or None
        if kind is not None and kind not in KINDS:
            raise InvalidData({"kind": [f"Kies een van: {', '.join(KINDS)}."]})
        found = []
        for storage in request.files.getlist("file"):
            try:
                text = storage.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise InvalidData({"file": [f"{storage.filename} is geen UTF-8-tekst."]}) from error
            found.append(Upload(storage.filename or "", text, kind))
        return found
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidData({"file": ["Stuur een bestand als multipart 'file' of als JSON {filename, content}."]})
    try:
        data = UploadSchema().load(body)
    except ma.ValidationError as error:
        raise InvalidData(error.messages) from error
    files = [Upload(f["filename"], f["content"], f.get("kind")) for f in data.get("files", [])]
    if "filename" in data or "content" in data:
        if "filename" not in data or "content" not in data:
            missing = "filename" if "filename" not in data else "content"
            raise InvalidData({missing: ["Dit veld is verplicht."]})
        files.append(Upload(data["filename"], data["content"], data.get("kind")))
    return files


@blp.route("")
class Processes(MethodView):
    @blp.response(200, ProcessSummarySchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self):
        """Alle uitgerolde processen met hun huidige versie."""
        return service().list(current_actor())

    @blp.response(201, DeployResultSchema, description="Nieuwe versie(s) uitgerold")
    @blp.alt_response(200, schema=DeployResultSchema, description="Inhoud gelijk aan de huidige versie; niets nieuws")
    @blp.alt_response(422, description="Problemen (met element-id en regel); er is niets uitgerold")
    @blp.doc(**UPLOAD_DOC)
    def post(self):
        """Rol een BPMN-, DMN- of formulierbestand uit als nieuwe versie (alleen procesontwerper).

        Eerst wordt alles gevalideerd samen met wat al is uitgerold; bij één probleem wordt niets
        uitgerold (422 met de lijst problemen). Lopende casussen blijven op hun versie."""
        result = designer().deploy(current_actor(), uploads())
        return result, 201 if result["deployed"] else 200


@blp.route("/validate")
class ValidateProcess(MethodView):
    @blp.response(200, ValidationResultSchema)
    @blp.doc(**UPLOAD_DOC)
    def post(self):
        """Controleer bestanden zonder uit te rollen: de lijst problemen die uitrollen zou weigeren."""
        problems = designer().validate(current_actor(), uploads())
        return {"valid": not problems, "problems": problems}


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
        """Alle versies van een proces: wie rolde wanneer uit, wat veranderde, en hoeveel lopende casussen
        van uw regio erop staan (alleen procesontwerper)."""
        return service().versions(current_actor(), key)

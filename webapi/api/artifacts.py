"""Every deployed BPMN file, DMN file and form with its versions: what the modeler opens."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import current_actor
from ..schemas import BaseSchema, ma
from .processes import ArtifactVersionSchema, designer

blp = Blueprint("artifacts", __name__, url_prefix="/api/artifacts",
                description="Uitgerolde BPMN-, DMN- en formulierbestanden (procesontwerper)")


class ArtifactSchema(ArtifactVersionSchema):
    content = ma.fields.String(metadata={"description": "De tekst van deze versie (XML of JSON)"})
    versions = ma.fields.List(ma.fields.Nested(ArtifactVersionSchema))


class VersionQuerySchema(BaseSchema):
    version = ma.fields.Integer(metadata={"description": "Een eerdere versie; standaard de huidige"})


@blp.route("")
class Artifacts(MethodView):
    @blp.response(200, ArtifactVersionSchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self):
        """De huidige versie van elk proces, elke beslistabel en elk formulier."""
        return designer().artifacts(current_actor())


@blp.route("/<any(bpmn, dmn, form):kind>/<path:key>")
class Artifact(MethodView):
    @blp.arguments(VersionQuerySchema, location="query")
    @blp.response(200, ArtifactSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, query, kind, key):
        """De inhoud van een bestand (huidige of gevraagde versie) met al zijn versies."""
        return designer().artifact(current_actor(), kind, key, query.get("version"))

"""Moving running cases to another process version (bulk, with a dry run) and undoing it per case."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import current_actor
from ..schemas import BaseSchema, ma

blp = Blueprint("migrations", __name__, url_prefix="/api",
                description="Lopende casussen overzetten naar een andere procesversie (procesontwerper)")


def service():
    return current_app.extensions["verwijsflow.migrations"]


class MigrateRequestSchema(BaseSchema):
    from_version = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    to_version = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    dry_run = ma.fields.Boolean(load_default=True, metadata={"description": "Alleen laten zien wat er zou gebeuren"})
    case_ids = ma.fields.List(ma.fields.Integer(), metadata={"description": "Alleen deze casussen"})


class CaseMigrationResultSchema(BaseSchema):
    case_id = ma.fields.Integer()
    reference = ma.fields.String()
    migratable = ma.fields.Boolean()
    migrated = ma.fields.Boolean()
    reasons = ma.fields.List(ma.fields.String(), metadata={"description": "Waarom niet (leeg als het kan)"})
    mapping = ma.fields.Dict(metadata={"description": "Per (deel)proces: element in de oude versie → in de nieuwe"})


class MigrateResultSchema(BaseSchema):
    process = ma.fields.String()
    from_version = ma.fields.Integer()
    to_version = ma.fields.Integer()
    dry_run = ma.fields.Boolean()
    total = ma.fields.Integer()
    migratable = ma.fields.Integer()
    migrated = ma.fields.Integer()
    cases = ma.fields.List(ma.fields.Nested(CaseMigrationResultSchema))


class UndoResultSchema(BaseSchema):
    case_id = ma.fields.Integer()
    reference = ma.fields.String()
    process = ma.fields.String()
    version = ma.fields.Integer(metadata={"description": "De versie waarop de casus nu weer loopt"})
    undone_migration = ma.fields.Integer()
    undone_at = ma.fields.DateTime()


@blp.route("/processes/<key>/migrate")
class Migrate(MethodView):
    @blp.arguments(MigrateRequestSchema)
    @blp.response(200, MigrateResultSchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, body, key):
        """Zet lopende casussen van from_version over naar to_version, of laat met dry_run zien welke kunnen.

        Per casus: overzetbaar of waarom niet, en de gebruikte koppeling van stappen. Zonder dry_run
        wordt elke overzetbare casus in een eigen transactie overgezet, in de geschiedenis vastgelegd
        en kan die per casus worden teruggedraaid."""
        return service().migrate(current_actor(), key, body["from_version"], body["to_version"], body["dry_run"],
                                 body.get("case_ids"))


@blp.route("/cases/<int:case_id>/migration/undo")
class UndoMigration(MethodView):
    @blp.response(200, UndoResultSchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, case_id):
        """Draai de laatste migratie van een casus terug (409 als de casus sindsdien verder is gegaan)."""
        return service().undo(current_actor(), case_id)

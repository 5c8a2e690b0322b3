"""Cases: start one, list them, look at one, record an iJw message on one, resume one that
stopped on an error."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine import ijw

from ..auth import current_actor, runtime
from ..schemas import BaseSchema, ma
from .views import CaseSchema, CaseSummarySchema

blp = Blueprint("cases", __name__, url_prefix="/api/cases", description="Casussen")


class StartCaseSchema(BaseSchema):
    process = ma.fields.String(required=True, metadata={"description": "Processleutel, bijv. gi_verwijsproces"})
    data = ma.fields.Dict(load_default=dict, metadata={"description": "De velden van het startformulier"})


class CaseFilterSchema(BaseSchema):
    process = ma.fields.String()
    status = ma.fields.String(validate=ma.validate.OneOf(["running", "completed", "error"]))


class IjwRequestSchema(BaseSchema):
    code = ma.fields.String(required=True, validate=ma.validate.OneOf(ijw.CODES))
    bericht = ma.fields.Dict(required=True, metadata={"description": "Berichtvelden met de namen uit iJw 3.2"})


class ResumedSchema(BaseSchema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    status = ma.fields.String()
    timers = ma.fields.List(ma.fields.String(), metadata={"description": "De tijdgebeurtenissen die opnieuw wachten"})


@blp.route("")
class Cases(MethodView):
    @blp.arguments(CaseFilterSchema, location="query")
    @blp.response(200, CaseSummarySchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self, filters):
        """De casussen die u mag zien."""
        return runtime().cases.list_cases(current_actor(), **filters)

    @blp.arguments(StartCaseSchema)
    @blp.response(201, CaseSchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, body):
        """Start een casus met de gegevens van het startformulier."""
        return runtime().cases.start(current_actor(), body["process"], body["data"])


@blp.route("/<int:case_id>")
class Case(MethodView):
    @blp.response(200, CaseSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, case_id):
        """Status, open taken, gegevens en geschiedenis van een casus."""
        return runtime().cases.get_case(current_actor(), case_id)


@blp.route("/<int:case_id>/ijw")
class CaseIjw(MethodView):
    @blp.arguments(IjwRequestSchema)
    @blp.response(200, CaseSchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, body, case_id):
        """Leg een iJw-bericht vast; het rondt de taak af die erop wacht."""
        return runtime().cases.record_ijw(current_actor(), case_id, body["code"], body["bericht"])


@blp.route("/<int:case_id>/resume")
class CaseResume(MethodView):
    @blp.response(200, ResumedSchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, case_id):
        """Laat een casus die door een fout stilstaat weer lopen (procesontwerper van de regio).

        Zijn mislukte tijdgebeurtenissen wachten weer, nu te laat; 409 als de casus niet stilstaat."""
        return runtime().timers.resume(current_actor(), case_id)

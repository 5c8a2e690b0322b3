"""Monitoring for the regiocoördinator: stuck cases, KPIs, where cases wait (own region only)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import current_actor, runtime
from ..schemas import BaseSchema, ma

blp = Blueprint("monitor", __name__, url_prefix="/api/monitor", description="Monitoring (regiocoördinator)")


class StuckSchema(BaseSchema):
    kind = ma.fields.String(metadata={"description": "taak: open taak over de uiterste datum; norm: termijn "
                                                     "verstreken zonder start zorg (doorbraak)"})
    case_id = ma.fields.Integer()
    case_reference = ma.fields.String()
    process = ma.fields.String()
    process_name = ma.fields.String(metadata={"description": "Naam van het proces van de casus"})
    step_process = ma.fields.String()
    element_id = ma.fields.String()
    step = ma.fields.String(allow_none=True)
    current_step = ma.fields.String(allow_none=True)
    lane = ma.fields.String(allow_none=True)
    lane_label = ma.fields.String(allow_none=True)
    organisation = ma.fields.String(allow_none=True, metadata={"description": "Wie de bal heeft"})
    waiting_since = ma.fields.DateTime()
    due_at = ma.fields.DateTime()
    days_overdue = ma.fields.Float()


class StuckQuerySchema(BaseSchema):
    limit = ma.fields.Integer(load_default=200, validate=ma.validate.Range(min=1, max=1000))


class KpiQuerySchema(BaseSchema):
    process = ma.fields.String(metadata={"description": "Alleen casussen van dit proces"})


class HeatmapQuerySchema(BaseSchema):
    process = ma.fields.String(required=True, metadata={"description": "Procesleutel, bijv. gi_verwijsproces"})


class WaitGroupSchema(BaseSchema):
    organisation_id = ma.fields.Integer()
    organisation = ma.fields.String(allow_none=True)
    started = ma.fields.Integer(metadata={"description": "Casussen waarin de zorg is gestart (JW305)"})
    median_days = ma.fields.Float(allow_none=True)
    p90_days = ma.fields.Float(allow_none=True)
    share_within_norm = ma.fields.Float(allow_none=True, metadata={"description": "Aandeel gestart binnen 3 maanden"})
    waiting_without_start = ma.fields.Integer()
    waiting_past_norm = ma.fields.Integer()


class StartZorgSchema(BaseSchema):
    norm = ma.fields.String()
    norm_days = ma.fields.Integer(metadata={"description": "Hoeveel dagen de norm hoogstens duurt (3 maanden: 92)"})
    total = ma.fields.Nested(WaitGroupSchema)
    per_gi = ma.fields.List(ma.fields.Nested(WaitGroupSchema))
    per_gemeente = ma.fields.List(ma.fields.Nested(WaitGroupSchema))


class RoutesSchema(BaseSchema):
    started = ma.fields.Integer()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    shares = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(allow_none=True))


class EscalationsSchema(BaseSchema):
    count = ma.fields.Integer()
    open = ma.fields.Integer()
    completed = ma.fields.Integer()
    median_days_to_handle = ma.fields.Float(allow_none=True)
    p90_days_to_handle = ma.fields.Float(allow_none=True)
    started_after_escalation = ma.fields.Integer()
    median_days_to_start_zorg = ma.fields.Float(allow_none=True)
    to_ret = ma.fields.Integer(metadata={"description": "Casussen die bij de RET kwamen (een taak met kpi=ret)"})
    to_ben = ma.fields.Integer(metadata={"description": "Casussen die bij het BEN kwamen (een taak met kpi=ben)"})


class MessageTermSchema(BaseSchema):
    term = ma.fields.String(metadata={"description": "De termijn uit iJw 3.2, bijv. 5 werkdagen"})
    counted_from = ma.fields.String(metadata={"description": "Het berichtveld waarvan de termijn telt"})
    count = ma.fields.Integer()
    late = ma.fields.Integer(metadata={"description": "Berichten vastgelegd na de laatste dag van de termijn"})
    share_on_time = ma.fields.Float(allow_none=True)
    late_cases = ma.fields.List(ma.fields.Integer())


class KpiSchema(BaseSchema):
    region = ma.fields.String(allow_none=True)
    process = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime()
    cases = ma.fields.Integer()
    start_zorg = ma.fields.Nested(StartZorgSchema)
    routes = ma.fields.Nested(RoutesSchema)
    escalations = ma.fields.Nested(EscalationsSchema)
    outcomes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                              metadata={"description": "Uitkomst bij einde zorg (resultaat of einde_reden) → aantal"})
    outcome_labels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                                    metadata={"description": "Uitkomst → de titel die het formulier eraan geeft"})
    messages = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(MessageTermSchema),
                              metadata={"description": "Per iJw-bericht met een termijn (JW305, JW307): op tijd of te laat"})


class HeatmapElementSchema(BaseSchema):
    process = ma.fields.String()
    element_id = ma.fields.String()
    title = ma.fields.String()
    kind = ma.fields.String(allow_none=True)
    waiting_now = ma.fields.Integer(metadata={"description": "Casussen die hier nu wachten"})
    count = ma.fields.Integer(metadata={"description": "Keren dat een casus hier wachtte of wacht"})
    median_wait_days = ma.fields.Float(allow_none=True)
    p90_wait_days = ma.fields.Float(allow_none=True)


class HeatmapSchema(BaseSchema):
    process = ma.fields.String()
    at = ma.fields.DateTime()
    elements = ma.fields.List(ma.fields.Nested(HeatmapElementSchema))


@blp.route("/stuck")
class Stuck(MethodView):
    @blp.arguments(StuckQuerySchema, location="query")
    @blp.response(200, StuckSchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self, query):
        """Casussen die langer wachten dan de norm, de meest verlopen eerst."""
        return runtime().monitoring.stuck(current_actor(), query["limit"])


@blp.route("/kpi")
class Kpi(MethodView):
    @blp.arguments(KpiQuerySchema, location="query")
    @blp.response(200, KpiSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, query):
        """Doorlooptijd ingangsdatum maatregel → start zorg per GI en gemeente, routes, escalaties, uitkomsten."""
        return runtime().monitoring.kpi(current_actor(), query.get("process"))


@blp.route("/heatmap")
class Heatmap(MethodView):
    @blp.arguments(HeatmapQuerySchema, location="query")
    @blp.response(200, HeatmapSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, query):
        """Per BPMN-element: hoeveel casussen er nu wachten en hoe lang (mediaan en p90, in dagen)."""
        return runtime().monitoring.heatmap(current_actor(), query["process"])

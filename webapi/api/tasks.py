"""Tasks: the caller's open tasks, one task with its form, completing, claiming and assigning."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.scripting import as_moment
from engine.worklist import TaskFilter, open_tasks

from ..auth import current_actor, runtime
from ..schemas import BaseSchema, ma
from .views import CaseSchema, TaskSchema, TaskSummarySchema

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="Taken")


class CompleteSchema(BaseSchema):
    data = ma.fields.Dict(load_default=dict)


class AssignSchema(BaseSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80),
                                metadata={"description": "Gebruikersnaam van de collega die de taak krijgt"})


class DateOrMoment(ma.fields.Field):
    """A date (the task must be due before that day starts, in Amsterdam) or an ISO moment."""

    default_error_messages = {"invalid": "Geef een datum (JJJJ-MM-DD) of tijdstip (JJJJ-MM-DDTuu:mm)."}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return as_moment(str(value))
        except ValueError:
            raise self.make_error("invalid") from None


class TaskFilterSchema(BaseSchema):
    lane = ma.fields.String(metadata={"description": "Alleen taken in deze baan (een van uw rollen)"})
    overdue = ma.fields.Boolean(metadata={"description": "true: alleen te late taken; false: alleen niet te late"})
    due_before = DateOrMoment(metadata={"description": "Alleen taken die vóór deze datum of dit tijdstip af moeten"})
    unassigned = ma.fields.Boolean(metadata={"description": "true: alleen ongeclaimde taken; false: alleen geclaimde"})


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskFilterSchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self, filters):
        """Uw open taken (baan is een van uw rollen en de casus hoort bij uw organisatie), de dringendste eerst."""
        return open_tasks(runtime(), current_actor(), TaskFilter(**filters), with_forms=True)


@blp.route("/<task_id>")
class Task(MethodView):
    @blp.response(200, TaskSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, task_id):
        """Eén taak met formulier."""
        return runtime().cases.get_task(current_actor(), task_id)


@blp.route("/<task_id>/complete")
class CompleteTask(MethodView):
    @blp.arguments(CompleteSchema)
    @blp.response(200, CaseSchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, body, task_id):
        """Rond een taak af met de formuliergegevens. 422 bij ongeldige gegevens, 409 als de taak al is afgerond."""
        return runtime().cases.complete(current_actor(), task_id, body["data"])


@blp.route("/<task_id>/claim")
class ClaimTask(MethodView):
    @blp.response(200, TaskSummarySchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, task_id):
        """Claim een taak: alleen u kunt hem dan afronden. 409 als hij al geclaimd is."""
        return runtime().assignments.claim(current_actor(), task_id)


@blp.route("/<task_id>/unclaim")
class UnclaimTask(MethodView):
    @blp.response(200, TaskSummarySchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, task_id):
        """Geef een geclaimde taak weer vrij. 409 als hij niet geclaimd is."""
        return runtime().assignments.unclaim(current_actor(), task_id)


@blp.route("/<task_id>/assign")
class AssignTask(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, TaskSummarySchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, body, task_id):
        """Wijs een taak toe aan een collega van uw organisatie met de rol van de baan (422 als dat niet kan)."""
        return runtime().assignments.assign(current_actor(), task_id, body["username"])

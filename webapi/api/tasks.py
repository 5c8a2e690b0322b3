"""Tasks: the caller's open tasks, one task with its form, completing a task."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import current_actor, runtime
from ..schemas import BaseSchema, ma
from .views import CaseSchema, TaskSchema

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="Taken")


class CompleteSchema(BaseSchema):
    data = ma.fields.Dict(load_default=dict)


@blp.route("")
class Tasks(MethodView):
    @blp.response(200, TaskSchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self):
        """Uw open taken: baan is een van uw rollen en de casus hoort bij uw organisatie."""
        return runtime().cases.list_tasks(current_actor())


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

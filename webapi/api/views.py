"""Schemas of what the engine returns about cases and tasks, shared by several routes."""

from __future__ import annotations

from ..schemas import BaseSchema, ma


class TaskSummarySchema(BaseSchema):
    id = ma.fields.String()
    case_id = ma.fields.Integer()
    case_reference = ma.fields.String()
    process = ma.fields.String()
    name = ma.fields.String(metadata={"description": "BPMN element id"})
    title = ma.fields.String()
    lane = ma.fields.String(allow_none=True)
    lane_label = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    created_at = ma.fields.DateTime()
    due_at = ma.fields.DateTime(allow_none=True, metadata={"description": "Uiterste moment volgens de norm van de stap"})
    overdue = ma.fields.Boolean(metadata={"description": "Open en de uiterste datum is verstreken"})
    claimed_by = ma.fields.Integer(allow_none=True, metadata={"description": "Id van de gebruiker die de taak heeft geclaimd"})
    claimed_by_name = ma.fields.String(allow_none=True, metadata={"description": "Gebruikersnaam van die gebruiker"})


class TaskSchema(TaskSummarySchema):
    form = ma.fields.Dict(allow_none=True, metadata={"description": "JSON Schema van het formulier"})
    data = ma.fields.Dict(metadata={"description": "Huidige waarden van de formuliervelden"})


class HistorySchema(BaseSchema):
    at = ma.fields.DateTime()
    actor = ma.fields.String()
    kind = ma.fields.String()
    element_id = ma.fields.String(allow_none=True)
    title = ma.fields.String(allow_none=True)
    details = ma.fields.Dict()


class IjwMessageSchema(BaseSchema):
    code = ma.fields.String()
    direction = ma.fields.String()
    recorded_at = ma.fields.DateTime()
    payload = ma.fields.Dict()


class CaseSummarySchema(BaseSchema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    process = ma.fields.String()
    process_name = ma.fields.String()
    process_version = ma.fields.Integer()
    status = ma.fields.String()
    created_at = ma.fields.DateTime()
    completed_at = ma.fields.DateTime(allow_none=True)


class CaseSchema(CaseSummarySchema):
    parties = ma.fields.Dict()
    open_tasks = ma.fields.List(ma.fields.Nested(TaskSummarySchema))
    data = ma.fields.Dict(allow_none=True, metadata={"description": "Casusgegevens die de vrager mag zien"})
    history = ma.fields.List(ma.fields.Nested(HistorySchema), allow_none=True,
                             metadata={"description": "Alleen bij GET; na een stap leeg (null)"})
    ijw_messages = ma.fields.List(ma.fields.Nested(IjwMessageSchema), allow_none=True,
                                  metadata={"description": "Alleen bij GET; na een stap leeg (null)"})
    error = ma.fields.String(allow_none=True)

"""Shared marshmallow pieces: Dutch messages for malformed requests."""

from __future__ import annotations

import marshmallow as ma

DUTCH_FIELD_MESSAGES = {
    "required": "Dit veld is verplicht.",
    "null": "Dit veld mag niet leeg zijn.",
    "invalid": "Deze waarde heeft niet het juiste type.",
    "validator_failed": "Deze waarde is ongeldig.",
}


class BaseSchema(ma.Schema):
    """Requests are checked strictly; the messages are Dutch like everything users read."""

    class Meta:
        unknown = ma.RAISE

    error_messages = {
        "unknown": "Dit veld is onbekend.",
        "type": "De aanvraag moet een JSON-object zijn.",
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for field in cls._declared_fields.values():
            field.error_messages = {**field.error_messages, **DUTCH_FIELD_MESSAGES}


class ProblemSchema(BaseSchema):
    code = ma.fields.Integer()
    status = ma.fields.String()
    message = ma.fields.String()
    errors = ma.fields.Dict()

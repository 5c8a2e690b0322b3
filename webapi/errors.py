"""Engine errors → HTTP responses with a Dutch message (and per-field errors where relevant)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, UnprocessableEntity

from engine.errors import Conflict, EngineError, Forbidden, InvalidData, NotFound, ProcessProblems, StepFailed

from .auth import CsrfRefused, Unauthenticated

log = logging.getLogger(__name__)

STATUS = [
    (Unauthenticated, 401),
    (CsrfRefused, 403),
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (InvalidData, 422),
    (ProcessProblems, 422),
    (StepFailed, 500),
]

HTTP_MESSAGES = {
    400: "De aanvraag is onjuist opgebouwd.",
    401: "Log in om verder te gaan.",
    403: "U heeft geen toegang.",
    404: "Niet gevonden.",
    405: "Deze methode is hier niet toegestaan.",
    409: "Dit conflicteert met de huidige toestand.",
    415: "Stuur de gegevens als JSON.",
    422: "De ingevulde gegevens zijn niet geldig.",
    500: "Er ging iets mis aan onze kant.",
}


def problem(status: int, message: str, **extra):
    body = {"code": status, "status": HTTP_MESSAGES.get(status, ""), "message": message, **extra}
    return jsonify(body), status


def _engine_error(error: EngineError):
    status = next((code for cls, code in STATUS if isinstance(error, cls)), 400)
    extra = {}
    if isinstance(error, InvalidData):
        extra["errors"] = error.errors
    if isinstance(error, ProcessProblems):
        extra["problems"] = [p.as_dict() if hasattr(p, "as_dict") else str(p) for p in error.problems]
    if isinstance(error, StepFailed):
        log.error("step failed: %s (element %s)", error.message, error.element_id)
        extra["element_id"] = error.element_id
    return problem(status, error.message, **extra)


def _unprocessable(error: UnprocessableEntity):
    # webargs puts marshmallow's messages per location; the client only sends JSON bodies.
    messages = (getattr(error, "data", None) or {}).get("messages", {})
    errors = messages.get("json", messages) if isinstance(messages, dict) else {"": messages}
    return problem(422, HTTP_MESSAGES[422], errors=errors)


def _http_error(error: HTTPException):
    if not request.path.startswith("/api"):
        from .ui import error_page  # the web UI answers with a page

        return error_page(error.code or 500)
    return problem(error.code or 500, HTTP_MESSAGES.get(error.code or 500, error.description or ""))


def init_app(app: Flask) -> None:
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(UnprocessableEntity, _unprocessable)
    app.register_error_handler(HTTPException, _http_error)

"""The web UI: login, inbox, task forms, case pages, the regiocoördinator dashboard and the
process designer's modeler.

Server-rendered Jinja2 pages on the engine's services (no HTTP to the API), with the same
users, roles and access rules; only the designer's pages are script shells that call the
JSON API on the session (webapi/auth.py). Browser libraries (bpmn-js, dmn-js) are served
from node_modules.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError

from .. import errors
from . import assets, case, claims, dashboard, designer, inbox, session, task  # noqa: F401  (routes)
from .blueprint import blp
from .filters import register as register_filters

ERROR_TEXTS = {
    400: ("Verzoek geweigerd", "Het formulier was verlopen of kwam niet van deze site; er is niets opgeslagen. "
                               "Ga in uw browser terug (uw invoer staat er meestal nog), laad de pagina opnieuw "
                               "en verstuur het nog eens."),
    403: ("Geen toegang", "Deze pagina is niet voor uw rol of organisatie."),
    404: ("Niet gevonden", "Deze pagina bestaat niet, of u mag haar niet zien."),
    405: ("Niet toegestaan", "Deze handeling is hier niet mogelijk."),
    409: ("Al gebeurd", "Dit is intussen al gedaan of veranderd."),
    500: ("Er ging iets mis", "Er ging iets mis aan onze kant. Probeer het later opnieuw."),
}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    # bpmn-js sets style attributes on the SVG it draws.
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


def init_app(app: Flask) -> None:
    session.configure(app)
    register_filters(app)
    app.register_blueprint(blp)
    app.after_request(_security_headers)


def wants_page() -> bool:
    """Requests outside the API get an HTML page when something goes wrong."""
    return not request.path.startswith("/api")


def error_page(status: int, message: str | None = None):
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    return render_template("ui/error.html", status=status, title=title, text=message or text), status


@blp.errorhandler(EngineError)
def _engine_error(error: EngineError):
    status = next((code for cls, code in errors.STATUS if isinstance(error, cls)), 400)
    return error_page(status, error.message)


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return error_page(error.code or 500)


def _security_headers(response):
    if wants_page():
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response

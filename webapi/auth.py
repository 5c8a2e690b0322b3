"""Logging in: bearer tokens for the API. Every call except these few needs one.

The web UI's own scripts (the modeler) call the same API with the UI's session cookie
instead of a token: then every call that changes something must carry the session's CSRF
token in the `X-CSRF-Token` header and, when the browser sends an Origin, come from this
site (webapi/csrf.py). A request with an Authorization header is judged on its token alone.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask.views import MethodView
from flask_smorest import Blueprint
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from engine import directory
from engine.access import Actor
from engine.errors import EngineError

from . import csrf
from .schemas import BaseSchema, ma

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Inloggen")

PUBLIC_ENDPOINTS = {"auth.Token", "health.Health", "api-docs.openapi_json"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# What the UI's session cookie holds besides the CSRF token (webapi/ui/session.py logs in and out).
SESSION_USER = "uid"


class Unauthenticated(EngineError):
    pass


class CsrfRefused(EngineError):
    """A state-changing API call on the session cookie without the session's CSRF token."""


class TokenRequest(BaseSchema):
    username = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class TokenResponse(BaseSchema):
    token = ma.fields.String(required=True)
    username = ma.fields.String()
    organisation = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="verwijsflow-api-token")


def runtime():
    return current_app.extensions["verwijsflow"]


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(200, TokenResponse)
    def post(self, body):
        """Wissel gebruikersnaam en wachtwoord in voor een token."""
        with runtime().reading() as session:
            user = directory.authenticate(session, body["username"], body["password"])
            if user is None:
                raise Unauthenticated("Onbekende gebruikersnaam of onjuist wachtwoord.")
            actor = directory.actor_for(session, user.id)
        return {
            "token": _serializer().dumps({"u": actor.id}),
            "username": actor.username,
            "organisation": actor.organisation_key,
            "roles": sorted(actor.roles),
        }


def current_actor() -> Actor:
    return g.actor


def _authenticate_request() -> None:
    if not request.path.startswith("/api") or request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    if not header and session.get(SESSION_USER) is not None:
        g.actor = _session_actor()
        return
    if not header.startswith("Bearer "):
        raise Unauthenticated("Log in: deze aanvraag heeft een token nodig (Authorization: Bearer ...).")
    try:
        claims = _serializer().loads(header[7:], max_age=runtime().settings.token_max_age)
    except SignatureExpired as error:
        raise Unauthenticated("Uw token is verlopen; log opnieuw in.") from error
    except BadSignature as error:
        raise Unauthenticated("Ongeldig token.") from error
    with runtime().reading() as db:
        actor = directory.actor_for(db, claims.get("u"))
    if actor is None:
        raise Unauthenticated("Deze gebruiker bestaat niet meer of is geblokkeerd.")
    g.actor = actor


def _session_actor() -> Actor:
    if request.method not in SAFE_METHODS:
        refused = csrf.refusal(request.headers.get(csrf.HEADER))
        if refused:
            raise CsrfRefused(refused)
    with runtime().reading() as db:
        actor = directory.actor_for(db, session.get(SESSION_USER))
    if actor is None:
        session.clear()
        raise Unauthenticated("Uw sessie is verlopen of de gebruiker is geblokkeerd; log opnieuw in.")
    return actor


def init_app(app: Flask) -> None:
    app.before_request(_authenticate_request)

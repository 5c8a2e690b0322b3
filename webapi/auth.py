"""Logging in: bearer tokens for the API. Every call except these few needs one."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from engine import directory
from engine.access import Actor
from engine.errors import EngineError

from .schemas import BaseSchema, ma

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Inloggen")

PUBLIC_ENDPOINTS = {"auth.Token", "health.Health", "api-docs.openapi_json"}


class Unauthenticated(EngineError):
    pass


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
    if not header.startswith("Bearer "):
        raise Unauthenticated("Log in: deze aanvraag heeft een token nodig (Authorization: Bearer ...).")
    try:
        claims = _serializer().loads(header[7:], max_age=runtime().settings.token_max_age)
    except SignatureExpired as error:
        raise Unauthenticated("Uw token is verlopen; log opnieuw in.") from error
    except BadSignature as error:
        raise Unauthenticated("Ongeldig token.") from error
    with runtime().reading() as session:
        actor = directory.actor_for(session, claims.get("u"))
    if actor is None:
        raise Unauthenticated("Deze gebruiker bestaat niet meer of is geblokkeerd.")
    g.actor = actor


def init_app(app: Flask) -> None:
    app.before_request(_authenticate_request)

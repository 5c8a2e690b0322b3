"""Logging in and out of the web UI, and CSRF protection.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when configured); it
holds the user id and a random CSRF token, nothing else. Every POST to the UI must carry
that token (form field `csrf_token` or header `X-CSRF-Token`) and come from this site
(webapi/csrf.py, the same check as for the API on the session). Logging in starts a fresh
session (no fixation); the user is looked up on every request, so a blocked user is out at
once. The pages' scripts call the JSON API on the same session, with the token in the
`X-CSRF-Token` header (webapi/auth.py); base.html puts it in a meta tag for them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import wraps

from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for

from engine import access, demo, directory
from engine.access import Actor
from engine.designer import DESIGNER_ROLE
from engine.models import User

from .. import csrf
from ..auth import SESSION_USER
from .blueprint import blp, runtime


@blp.app_context_processor
def _template_context() -> dict:
    actor = g.get("ui_actor")
    if actor is None:
        return {"user": None}
    with runtime().reading() as db:
        org = runtime().orgs.by_id(db, actor.organisation_id)
    return {
        "user": actor,
        "user_name": g.get("ui_display_name") or actor.username,
        "user_org": org.name if org else "",
        "has_tasks": bool(actor.roles & access.TASK_ROLES),
        "is_coordinator": "regiocoordinator" in actor.roles,
        "is_designer": DESIGNER_ROLE in actor.roles,
    }


def configure(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="verwijsflow_sessie",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("VERWIJSFLOW_SECURE_COOKIES", "") in ("1", "true", "ja"),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=runtime_settings(app).token_max_age),
    )
    app.jinja_env.globals["csrf_token"] = csrf.token


def runtime_settings(app: Flask):
    return app.extensions["verwijsflow"].settings


def current_user() -> Actor | None:
    return g.get("ui_actor")


@blp.before_request
def _load_user_and_check_csrf() -> None:
    g.ui_actor = None
    user_id = session.get(SESSION_USER)
    if user_id is not None:
        with runtime().reading() as db:
            g.ui_actor = directory.actor_for(db, user_id)
            g.ui_display_name = _display_name(db, user_id) if g.ui_actor else None
        if g.ui_actor is None:
            session.clear()
    if request.method == "POST" and csrf.refusal(request.form.get("csrf_token") or request.headers.get(csrf.HEADER)):
        abort(400, description="csrf")


def _display_name(db, user_id: int) -> str | None:
    user = db.get(User, user_id)
    return user.display_name if user else None


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def role_required(*roles: str):
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not set(roles) & current_user().roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def safe_next(target: str | None) -> str | None:
    """Only paths on this site: never an absolute or scheme-relative URL. Browsers read a
    backslash as a slash and drop tabs and newlines, so `/` + backslash + `evil.example` or
    `/` + tab + `/evil.example` would leave the site: neither may appear at all."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    return target


def home_for(actor: Actor) -> str:
    if "regiocoordinator" in actor.roles:
        return url_for("ui.dashboard")
    if DESIGNER_ROLE in actor.roles and not actor.roles & access.TASK_ROLES:
        return url_for("ui.designs")
    return url_for("ui.inbox")


@blp.route("/inloggen", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user() is not None:
            return redirect(home_for(current_user()))
        return render_template("ui/login.html", username="", next=request.args.get("next", ""), demo=_demo())
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    with runtime().reading() as db:
        user = directory.authenticate(db, username, password) if username and password else None
        actor = directory.actor_for(db, user.id) if user else None
    if actor is None:
        return render_template(
            "ui/login.html", username=username, next=request.form.get("next", ""), demo=_demo(),
            error="Onbekende gebruikersnaam of onjuist wachtwoord.",
        ), 401
    session.clear()
    session.permanent = True
    session[SESSION_USER] = actor.id
    csrf.new_token()
    return redirect(safe_next(request.form.get("next")) or home_for(actor))


def _demo() -> bool:
    with runtime().reading() as db:
        return demo.is_demo(db)


@blp.route("/uitloggen", methods=["POST"])
def logout():
    session.clear()
    flash("U bent uitgelogd.", "info")
    return redirect(url_for("ui.login"))


@blp.route("/")
@login_required
def home():
    return redirect(home_for(current_user()))

"""Claiming a task ("oppakken") and giving it back ("vrijgeven").

The engine's claim/unclaim commands arrive with the deadlines issue (Runtime.assignments,
or on CaseService); until the runtime has them the UI shows who claimed what but offers
no buttons.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from engine import directory
from engine.errors import Conflict, InvalidData

from .blueprint import blp, runtime
from .session import current_user, login_required


def service():
    """Whatever in the engine offers claim(actor, item_id) and unclaim(actor, item_id)."""
    rt = runtime()
    for holder in (getattr(rt, "assignments", None), rt.cases):
        if callable(getattr(holder, "claim", None)) and callable(getattr(holder, "unclaim", None)):
            return holder
    return None


def available() -> bool:
    return service() is not None


def claimer_name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    with runtime().reading() as session:
        return directory.usernames(session, [user_id]).get(user_id)


def _back(default: str):
    target = request.form.get("terug", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


@blp.route("/taken/<task_id>/oppakken", methods=["POST"])
@login_required
def claim(task_id: str):
    if not available():
        flash("Taken oppakken kan in deze versie nog niet.", "error")
        return _back(url_for("ui.inbox"))
    return _change(lambda: service().claim(current_user(), task_id), "U heeft de taak opgepakt.")


@blp.route("/taken/<task_id>/vrijgeven", methods=["POST"])
@login_required
def unclaim(task_id: str):
    if not available():
        flash("Taken vrijgeven kan in deze versie nog niet.", "error")
        return _back(url_for("ui.inbox"))
    return _change(lambda: service().unclaim(current_user(), task_id), "De taak is weer vrij voor uw collega's.")


def _change(command, done: str):
    """A refused claim (someone was quicker) is a message on the page the user came from."""
    try:
        command()
    except (Conflict, InvalidData) as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return _back(url_for("ui.inbox"))

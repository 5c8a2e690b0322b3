"""Claiming a task ("oppakken") and giving it back ("vrijgeven"): the engine's Assignments
(Runtime.assignments); a refusal (someone was quicker) is a message on the page the user
came from."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from engine.errors import Conflict, InvalidData

from .blueprint import blp, runtime
from .session import current_user, login_required, safe_next


@blp.route("/taken/<task_id>/oppakken", methods=["POST"])
@login_required
def claim(task_id: str):
    return _change(lambda: runtime().assignments.claim(current_user(), task_id), "U heeft de taak opgepakt.")


@blp.route("/taken/<task_id>/vrijgeven", methods=["POST"])
@login_required
def unclaim(task_id: str):
    return _change(lambda: runtime().assignments.unclaim(current_user(), task_id),
                   "De taak is weer vrij voor uw collega's.")


def _change(command, done: str):
    try:
        command()
    except (Conflict, InvalidData) as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(safe_next(request.form.get("terug")) or url_for("ui.inbox"))

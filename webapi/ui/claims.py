"""Claiming a task ("ik pak deze op") and giving it back.

The engine's claim/unclaim commands arrive with the deadlines issue; until CaseService has
them the UI shows who claimed what but offers no buttons.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from .blueprint import blp, runtime
from .session import current_user, login_required


def available() -> bool:
    cases = runtime().cases
    return callable(getattr(cases, "claim", None)) and callable(getattr(cases, "unclaim", None))


def _back(default: str):
    target = request.form.get("terug", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


@blp.route("/taken/<task_id>/oppakken", methods=["POST"])
@login_required
def claim(task_id: str):
    if not available():
        flash("Taken oppakken kan in deze versie nog niet.", "error")
    else:
        runtime().cases.claim(current_user(), task_id)
        flash("U heeft de taak opgepakt.", "success")
    return _back(url_for("ui.inbox"))


@blp.route("/taken/<task_id>/vrijgeven", methods=["POST"])
@login_required
def unclaim(task_id: str):
    if not available():
        flash("Taken vrijgeven kan in deze versie nog niet.", "error")
    else:
        runtime().cases.unclaim(current_user(), task_id)
        flash("De taak is weer vrij voor uw collega's.", "success")
    return _back(url_for("ui.inbox"))

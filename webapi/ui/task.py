"""The task page: the step's form, the case at a glance beside it, and what comes next.

The engine validates (CaseService.complete); when it refuses, the page comes back with the
user's input in place and each message next to its field. After a step the user goes on
to their next task in the same case, or back to the inbox.
"""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for

from engine import casefacts
from engine.errors import Conflict, InvalidData, StepFailed
from engine.worklist import TaskFilter, open_tasks

from . import formrender
from .blueprint import blp, runtime
from .session import current_user, login_required

HISTORY_IN_PANEL = 6
log = logging.getLogger(__name__)


@blp.route("/taken/<task_id>", methods=["GET"])
@login_required
def task(task_id: str):
    actor, rt = current_user(), runtime()
    view = rt.cases.get_task(actor, task_id)
    if view["status"] != "open":
        flash("Deze taak is al afgerond.", "info")
        return redirect(url_for("ui.case", case_id=view["case_id"]))
    case = rt.cases.get_case(actor, view["case_id"])
    return _page(view, formrender.render(view["form"], prefill(view["form"], case["history"])), case=case)


@blp.route("/taken/<task_id>", methods=["POST"])
@login_required
def complete(task_id: str):
    actor, rt = current_user(), runtime()
    view = rt.cases.get_task(actor, task_id)
    data = formrender.parse(view["form"], request.form)
    try:
        rt.cases.complete(actor, task_id, data)
    except InvalidData as error:
        return _page(view, formrender.render(view["form"], data, error.errors), status=422)
    except (Conflict, StepFailed) as error:
        status = 409 if isinstance(error, Conflict) else 500
        if isinstance(error, StepFailed):
            log.error("step failed: %s (element %s)", error.message, error.element_id)
        return _page(view, formrender.render(view["form"], data), status=status, refusal=error.message)

    following = open_tasks(rt, actor, TaskFilter(case_id=view["case_id"]))
    if following:
        flash(f"‘{view['title']}’ is afgerond. Dit is uw volgende taak in deze casus.", "success")
        return redirect(url_for("ui.task", task_id=following[0]["id"]))
    flash(f"‘{view['title']}’ is afgerond voor casus {view['case_reference']}.", "success")
    return redirect(url_for("ui.inbox"))


def prefill(schema: dict | None, history: list[dict]) -> dict:
    """What people entered in earlier steps for this form's fields, the latest value winning.

    Not the case data as a whole: scripts reset decision fields there (a new search round
    sets `gecontracteerd_alternatief` to False), and a default nobody chose must not look
    like an answer. Yes/no questions are decisions of this step, so they start empty.
    """
    fields = (schema or {}).get("properties") or {}
    values: dict = {}
    for event in history:
        for key, value in ((event.get("details") or {}).get("data") or {}).items():
            if key in fields and fields[key].get("type") != "boolean":
                values[key] = value
    return values


def _page(view: dict, form: formrender.RenderedForm, status: int = 200, refusal: str | None = None,
          case: dict | None = None):
    actor, rt = current_user(), runtime()
    case = case or rt.cases.get_case(actor, view["case_id"])
    facts = casefacts.sections(rt, case["id"], case["data"]) if case["data"] is not None else []
    key_facts = next((s["fields"] for s in facts if s["start"]), [])
    norms = rt.monitoring.case_norms(case["id"]) if case["data"] is not None else []
    history = casefacts.timeline(rt, case["id"], case["history"], [])[-HISTORY_IN_PANEL:]
    others = [t for t in case["open_tasks"] if t["id"] != view["id"]]
    return render_template(
        "ui/task.html", task=view, form=form, case=case, key_facts=key_facts, norms=norms,
        history=list(reversed(history)), other_tasks=others, refusal=refusal,
    ), status

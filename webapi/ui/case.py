"""Case pages: the list of cases a user may see, one case (diagram, timeline, plan data),
and starting a new case from its process's start form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from engine import casefacts
from engine.diagram import case_diagrams
from engine.errors import InvalidData
from engine.worklist import TaskFilter, open_tasks

from . import formrender
from .blueprint import blp, processes, runtime
from .session import current_user, login_required

STATUS_LABELS = {"running": "Loopt", "completed": "Afgerond", "error": "Fout", "cancelled": "Geannuleerd"}


@blp.route("/casussen")
@login_required
def cases():
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    found = runtime().cases.list_cases(current_user(), status=status)
    startable = [p for p in processes().list(current_user()) if p["startable"]]
    return render_template("ui/cases.html", cases=found, status=status, statuses=STATUS_LABELS, startable=startable)


@blp.route("/casussen/<int:case_id>")
@login_required
def case(case_id: int):
    actor, rt = current_user(), runtime()
    view = rt.cases.get_case(actor, case_id)
    mine = {t["id"] for t in open_tasks(rt, actor, TaskFilter(case_id=case_id))}
    sections = casefacts.sections(rt, case_id, view["data"]) if view["data"] is not None else None
    timeline = casefacts.timeline(rt, case_id, view["history"], view["ijw_messages"])
    now = rt.clock.now()
    return render_template(
        "ui/case.html", case=view, diagrams=case_diagrams(rt, case_id), sections=sections,
        timeline=list(reversed(timeline)), my_tasks=mine, statuses=STATUS_LABELS, now=now,
    )


@blp.route("/casussen/nieuw")
@login_required
def new_case():
    startable = [p for p in processes().list(current_user()) if p["startable"]]
    if len(startable) == 1:
        return redirect(url_for("ui.start_case", process=startable[0]["key"]))
    return render_template("ui/new_case.html", startable=startable)


@blp.route("/casussen/nieuw/<process>", methods=["GET", "POST"])
@login_required
def start_case(process: str):
    actor, rt = current_user(), runtime()
    definition = processes().get(actor, process)
    if not definition["startable"]:
        abort(403)
    schema = definition["start_form"]
    if request.method == "GET":
        return render_template("ui/start.html", process=definition, form=formrender.render(schema, {}))
    data = formrender.parse(schema, request.form)
    try:
        started = rt.cases.start(actor, process, data)
    except InvalidData as error:
        return render_template(
            "ui/start.html", process=definition, form=formrender.render(schema, data, error.errors)
        ), 422
    flash(f"Casus {started['reference']} is gestart.", "success")
    first = open_tasks(rt, actor, TaskFilter(case_id=started["id"]))
    if first:
        return redirect(url_for("ui.task", task_id=first[0]["id"]))
    return redirect(url_for("ui.case", case_id=started["id"]))

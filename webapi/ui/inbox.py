"""The inbox: the user's open tasks across cases, most urgent first."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request

from engine import access
from engine.worklist import TaskFilter, open_tasks

from .blueprint import blp, runtime
from .session import current_user, login_required

SORTS = {
    "urgent": "Meest urgent eerst",
    "nieuw": "Nieuwste eerst",
    "casus": "Op casus",
}
NEW_FOR = timedelta(hours=24)
INBOX_LIMIT = 500


def sort_tasks(tasks: list[dict], sort: str) -> list[dict]:
    """The engine lists the most urgent first; the other orders are the user's choice."""
    if sort == "nieuw":
        return sorted(tasks, key=lambda t: t["created_at"], reverse=True)
    if sort == "casus":
        return sorted(tasks, key=lambda t: (t["case_reference"], t["created_at"]))
    return tasks


@blp.route("/inbox")
@login_required
def inbox():
    actor = current_user()
    lanes = sorted(actor.roles & access.TASK_ROLES)
    lane = request.args.get("rol") if request.args.get("rol") in lanes else None
    filters = TaskFilter(
        lane=lane,
        overdue=True if request.args.get("te_laat") == "1" else None,
        unassigned=True if request.args.get("vrij") == "1" else None,
        mine=request.args.get("mijn") == "1",
    )
    sort = request.args.get("sorteer") if request.args.get("sorteer") in SORTS else "urgent"
    rt = runtime()
    tasks = sort_tasks(open_tasks(rt, actor, filters, limit=INBOX_LIMIT), sort)
    everything = tasks if filters == TaskFilter() else open_tasks(rt, actor, limit=INBOX_LIMIT)
    now = rt.clock.now()
    for task in tasks:
        task["new"] = now - task["created_at"] < NEW_FOR
    counts = {
        "open": len(everything),
        "overdue": sum(1 for t in everything if t["overdue"]),
        "new": sum(1 for t in everything if now - t["created_at"] < NEW_FOR),
        "unassigned": sum(1 for t in everything if t["claimed_by"] is None),
    }
    return render_template(
        "ui/inbox.html", tasks=tasks, counts=counts, filters=filters, sort=sort, sorts=SORTS,
        lanes=[(lane_key, access.ROLE_LABELS.get(lane_key, lane_key)) for lane_key in lanes],
        filtered=filters != TaskFilter(),
    )

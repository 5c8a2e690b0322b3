"""The process designer's pages: the list of deployed processes, decision tables and forms;
the BPMN modeler, the DMN editor and the form editor.

Only a procesontwerper of a region may open them (the engine's `require_designer`; anyone
else gets the 403 page). The pages are shells: their scripts (static/ui/modeler.js,
dmn.js, formeditor.js) read, validate, deploy and migrate through the JSON API on the UI's
session, with the CSRF token in a header (webapi/auth.py). So there is one code path for
a deploy, whether it comes from curl, `verwijsflow`, or this page.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, render_template, request, url_for

from engine.access import ROLE_LABELS, TASK_ROLES
from engine.designer import require_designer
from engine.errors import InvalidData, NotFound
from engine.ijw import NAMES as IJW_NAMES

from .blueprint import blp, designer, processes
from .session import current_user, login_required

KIND_LABELS = {"bpmn": "Proces", "dmn": "Beslistabel", "form": "Formulier"}


def designer_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        require_designer(current_user())  # Forbidden → the 403 page
        return view(*args, **kwargs)

    return wrapper


@blp.route("/ontwerpen")
@designer_required
def designs():
    actor = current_user()
    artifacts = designer().artifacts(actor)
    names = {p["key"]: p["name"] for p in processes().list(actor)}
    return render_template(
        "ui/designs.html",
        processes=[dict(a, name=names.get(a["key"], a["key"]),
                        running_cases=sum(v["running_cases"] for v in processes().versions(actor, a["key"])))
                   for a in artifacts if a["kind"] == "bpmn"],
        tables=[a for a in artifacts if a["kind"] == "dmn"],
        forms=[dict(a, folder=a["key"].partition("/")[0], name=a["key"].partition("/")[2])
               for a in artifacts if a["kind"] == "form"],
    )


@blp.route("/ontwerpen/processen/<key>")
@designer_required
def modeler(key: str):
    current = designer().artifact(current_user(), "bpmn", key)
    return render_template("ui/modeler.html", artifact=current, config=_config("bpmn", key, current["filename"]))


@blp.route("/ontwerpen/beslistabellen/<key>")
@designer_required
def decision_table(key: str):
    current = designer().artifact(current_user(), "dmn", key)
    return render_template("ui/dmn.html", artifact=current, config=_config("dmn", key, current["filename"]))


@blp.route("/ontwerpen/formulieren/nieuw")
@designer_required
def new_form():
    path = request.args.get("pad", "").strip().removeprefix("forms/")
    if path and not path.endswith(".json"):
        path += ".json"
    segments = path.split("/")
    if len(segments) < 2 or not all(segments):
        abort(404)
    return redirect(url_for("ui.form_editor", key=path))


@blp.route("/ontwerpen/formulieren/<path:key>")
@designer_required
def form_editor(key: str):
    filename = f"forms/{key}"
    try:
        current = designer().artifact(current_user(), "form", key)
    except NotFound:
        current = None  # a new form: deploying it creates version 1
    if current is None and not key.endswith(".json"):
        raise InvalidData({"pad": ["Een formulier heet forms/<proces>/<naam>.json."]})
    return render_template("ui/form_editor.html", artifact=current, key=key, filename=filename,
                           config=_config("form", key, filename, new=current is None))


def _config(kind: str, key: str, filename: str, new: bool = False) -> dict:
    """What the page's script needs: where the API is and the vocabulary of the conventions."""
    return {
        "kind": kind,
        "key": key,
        "filename": filename,
        "new": new,
        "moddle": url_for("static", filename="ui/spiffworkflow.json"),
        "api": {
            "artifacts": url_for("artifacts.Artifacts"),
            "artifact": url_for("artifacts.Artifact", kind=kind, key=key),
            "validate": url_for("processes.ValidateProcess"),
            "deploy": url_for("processes.Processes"),
            "versions": url_for("processes.ProcessVersions", key=key) if kind == "bpmn" else None,
            "migrate": url_for("migrations.Migrate", key=key) if kind == "bpmn" else None,
            "undo": url_for("migrations.UndoMigration", case_id=0).replace("/0/", "/{id}/"),
        },
        "pages": {
            "form": url_for("ui.form_editor", key="{key}").replace("%7Bkey%7D", "{key}"),
            "case": url_for("ui.case", case_id=0).replace("/0", "/{id}"),
            "process": url_for("ui.modeler", key="{key}").replace("%7Bkey%7D", "{key}"),
        },
        "roles": {role: ROLE_LABELS.get(role, role) for role in sorted(TASK_ROLES)},
        "all_roles": ROLE_LABELS,
        "ijw": IJW_NAMES,
    }

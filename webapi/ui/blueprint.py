"""The web UI's blueprint: server-rendered pages at the site root, in Dutch."""

from __future__ import annotations

from flask import Blueprint, current_app

blp = Blueprint("ui", __name__, template_folder="../templates", static_folder=None)


def runtime():
    return current_app.extensions["verwijsflow"]


def processes():
    return current_app.extensions["verwijsflow.processes"]


def designer():
    return current_app.extensions["verwijsflow.designer"]

"""Browser libraries served from the npm packages that `make install` put in node_modules.

Nothing from npm is committed or copied: the files are read where npm installed them.
Only the listed folders of the listed packages are reachable.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Response, send_from_directory

from engine.config import ROOT

from .blueprint import blp

# package -> folder inside the package that the browser may load from
PACKAGES = {"bpmn-js": "dist", "dmn-js": "dist"}


def node_modules() -> Path:
    return Path(os.environ.get("VERWIJSFLOW_NODE_MODULES") or ROOT / "node_modules")


@blp.route("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    if package not in PACKAGES:
        return _missing(f"Onbekend pakket: {package}.")
    folder = node_modules() / package / PACKAGES[package]
    if not folder.is_dir():
        return _missing(
            f"Het npm-pakket {package} is niet geïnstalleerd in {node_modules()}. "
            "Voer `make install` uit (dat draait npm install)."
        )
    response = send_from_directory(folder, filename, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _missing(message: str) -> Response:
    return Response(message + "\n", status=404, mimetype="text/plain")

"""The designer's pages through Flask's test client: who may open them, and how their scripts
call the JSON API on the UI session (CSRF token in a header, same site only)."""

from __future__ import annotations

import json
import re

import pytest

from .designer_helpers import GI, gi_bpmn, renamed
from .test_ui_pages import Session

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PAGES = [
    "/ontwerpen",
    f"/ontwerpen/processen/{GI}",
    "/ontwerpen/beslistabellen/wbw_tarieven",
    "/ontwerpen/formulieren/gi_verwijsproces/start.json",
]


@pytest.fixture
def ui(app):
    def login(username: str | None = None) -> Session:
        session = Session(app)
        if username:
            assert session.login(username).status_code == 302
        return session

    return login


def _api_token(session: Session) -> str:
    return META_CSRF.search(session.get("/ontwerpen").get_data(as_text=True) or "").group(1)


def _json_post(session: Session, path: str, body: dict, **headers):
    return session.http.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.mark.parametrize("path", PAGES)
def test_only_a_procesontwerper_opens_the_design_pages(ui, path):
    assert ui().get(path).status_code == 302  # to the login page
    for username in ("jeugdbeschermer", "regiocoordinator"):
        refused = ui(username).get(path)
        assert refused.status_code == 403
        assert "Alleen een procesontwerper" in refused.get_data(as_text=True)
    page = ui("procesontwerper").get(path)
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_designer_lands_on_the_design_list_and_only_designers_see_it_in_the_menu(ui):
    designer = ui()
    designer.get("/inloggen")
    response = designer.post("/inloggen", {"username": "procesontwerper", "password": "demo"})
    assert response.headers["Location"] == "/ontwerpen"
    html = designer.get("/ontwerpen").get_data(as_text=True)
    assert 'href="/ontwerpen" aria-current="page">Ontwerpen</a>' in html
    assert "GI verwijsproces" in html and "wbw_tarieven" in html and "stap1_plan_van_aanpak.json" in html
    assert ">Ontwerpen</a>" not in ui("jeugdbeschermer").get("/inbox").get_data(as_text=True)


def test_the_modeler_page_tells_its_script_where_the_api_is(ui):
    html = ui("procesontwerper").get(f"/ontwerpen/processen/{GI}").get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="designer-config">(.*?)</script>', html, re.S).group(1))
    assert config["api"]["deploy"] == "/api/processes"
    assert config["api"]["validate"] == "/api/processes/validate"
    assert config["api"]["versions"] == f"/api/processes/{GI}/versions"
    assert config["api"]["migrate"] == f"/api/processes/{GI}/migrate"
    assert config["api"]["undo"] == "/api/cases/{id}/migration/undo"
    assert config["pages"]["form"] == "/ontwerpen/formulieren/{key}"
    assert "jeugdbeschermer" in config["roles"] and "procesontwerper" not in config["roles"]
    assert "bpmn-modeler.production.min.js" in html


def test_the_api_accepts_the_session_but_every_change_needs_its_csrf_token_from_this_site(ui, client):
    designer = ui("procesontwerper")
    token = _api_token(designer)
    listed = designer.http.get("/api/artifacts")
    assert listed.status_code == 200 and {"bpmn", "dmn", "form"} <= {a["kind"] for a in listed.json}

    upload = {"filename": f"{GI}.bpmn", "content": renamed(gi_bpmn(), "Plan van aanpak opstellen", "Plan maken")}
    for headers in ({}, {"X-CSRF-Token": "fout"}, {"X-CSRF-Token": _api_token(ui("procesontwerper"))},
                    {"X-CSRF-Token": token, "Origin": "http://evil.example"},
                    {"X-CSRF-Token": token + "é"},  # hmac.compare_digest(str, str) would raise: a 500
                    {"X-CSRF-Token": token, "Origin": "null"}):
        refused = _json_post(designer, "/api/processes", upload, **headers)
        assert refused.status_code == 403, headers
        assert refused.is_json and "Geweigerd" in refused.json["message"]
    versions = client.get(f"/api/processes/{GI}/versions", "procesontwerper").json
    assert [v["version"] for v in versions] == [1]

    checked = _json_post(designer, "/api/processes/validate", upload, **{"X-CSRF-Token": token})
    assert checked.status_code == 200 and checked.json == {"valid": True, "problems": []}
    deployed = _json_post(designer, "/api/processes", upload, **{"X-CSRF-Token": token, "Origin": "http://localhost"})
    assert deployed.status_code == 201, deployed.json
    assert deployed.json["deployed"][0]["deployed_by"] == "procesontwerper"
    assert deployed.json["deployed"][0]["summary"]["renamed"] == [
        {"id": "stap1_plan_van_aanpak", "from": "Plan van aanpak opstellen", "to": "Plan maken"}]


def test_the_session_does_not_make_anyone_a_designer(ui):
    worker = ui("jeugdbeschermer")
    token = _api_token_of_any_page(worker)
    refused = _json_post(worker, "/api/processes/validate", {"filename": f"{GI}.bpmn", "content": gi_bpmn()},
                         **{"X-CSRF-Token": token})
    assert refused.status_code == 403 and "procesontwerper" in refused.json["message"]
    assert ui().http.get("/api/artifacts").status_code == 401


def _api_token_of_any_page(session: Session) -> str:
    return META_CSRF.search(session.get("/inbox").get_data(as_text=True)).group(1)


def test_a_new_form_starts_from_a_path_under_forms(ui):
    designer = ui("procesontwerper")
    response = designer.get("/ontwerpen/formulieren/nieuw?pad=forms/gi_verwijsproces/extra_stap")
    assert response.status_code == 302
    assert response.headers["Location"] == "/ontwerpen/formulieren/gi_verwijsproces/extra_stap.json"
    page = designer.get("/ontwerpen/formulieren/gi_verwijsproces/extra_stap.json")
    assert page.status_code == 200 and '"new": true' in page.get_data(as_text=True)
    assert designer.get("/ontwerpen/formulieren/nieuw?pad=zonder_map").status_code == 404


def test_dmn_js_comes_from_node_modules(app):
    assert app.test_client().get("/vendor/dmn-js/dmn-modeler.production.min.js").status_code == 200

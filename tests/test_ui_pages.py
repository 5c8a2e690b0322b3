"""The web UI's rules, through Flask's test client: sessions, CSRF, who sees what, what a
refused form keeps, where a completed task leads."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine import demo
from engine.diagram import case_diagrams
from engine.directory import hash_password
from engine.models import IjwMessage, Organisation, User, WorkItem

from .gi_steps import STEP_DATA, start_gi, step

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Session:
    """A browser session: cookies, and the CSRF token of the last page."""

    def __init__(self, app):
        self.http = app.test_client()
        self.token = ""

    def get(self, path, **kw):
        response = self.http.get(path, **kw)
        found = CSRF.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path, data=None, token: str | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token if token is None else token)
        return self.http.post(path, data=data, **kw)

    def login(self, username: str, password: str = "demo"):
        self.get("/inloggen")
        response = self.post("/inloggen", {"username": username, "password": password})
        self.get("/casussen")  # the token changes with the login
        return response


@pytest.fixture
def ui(app):
    return lambda username=None: _session(app, username)


def _session(app, username):
    session = Session(app)
    if username:
        assert session.login(username).status_code == 302
    return session


def _task_of(client, case_id: int, user: str, name: str) -> str:
    return client.open_task(case_id, user, name)["id"]


def test_pages_need_a_login_and_the_session_cookie_is_guarded(ui):
    anonymous = ui()
    response = anonymous.get("/inbox")
    assert response.status_code == 302 and response.headers["Location"].startswith("/inloggen?next=/inbox")
    anonymous.get("/inloggen")
    response = anonymous.post("/inloggen", {"username": "jeugdbeschermer", "password": "demo"})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "verwijsflow_sessie=" in cookie
    page = anonymous.get("/inbox")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_wrong_password_is_refused_in_dutch(ui):
    session = ui()
    session.get("/inloggen")
    response = session.post("/inloggen", {"username": "jeugdbeschermer", "password": "fout"})
    assert response.status_code == 401
    assert "Onbekende gebruikersnaam of onjuist wachtwoord." in response.get_data(as_text=True)
    assert session.get("/inbox").status_code == 302


def test_login_goes_back_only_to_pages_of_this_site(ui):
    session = ui()
    session.get("/inloggen")
    response = session.post("/inloggen", {"username": "jeugdbeschermer", "password": "demo", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/inbox"
    session = ui()
    session.get("/inloggen")
    response = session.post("/inloggen", {"username": "jeugdbeschermer", "password": "demo", "next": "/casussen"})
    assert response.headers["Location"] == "/casussen"


def test_every_post_needs_the_sessions_csrf_token(ui, client):
    case = start_gi(client, "UI-CSRF")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")
    other = ui("jeugdbeschermer")
    data = {k: ("ja" if v is True else "nee" if v is False else v) for k, v in STEP_DATA["stap1_plan_van_aanpak"].items()}
    assert session.post(f"/taken/{task}", data, token="").status_code == 400
    assert session.post(f"/taken/{task}", data, token=other.token).status_code == 400
    assert session.post(f"/taken/{task}", data, headers={"Origin": "http://evil.example"}).status_code == 400
    assert session.post("/uitloggen", token="").status_code == 400
    assert [t["name"] for t in client.case(case["id"])["open_tasks"]] == ["stap1_plan_van_aanpak"]
    # With the token it goes through.
    assert session.post(f"/taken/{task}", data).status_code == 302


def test_a_strange_token_or_a_null_origin_is_refused_with_a_dutch_page(ui, client):
    case = start_gi(client, "UI-CSRF-RAAR")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")
    data = {k: ("ja" if v is True else "nee" if v is False else v) for k, v in STEP_DATA["stap1_plan_van_aanpak"].items()}
    for refused in (
        session.post(f"/taken/{task}", data, token="tëst-ß"),  # hmac.compare_digest(str, str) would raise here
        session.post(f"/taken/{task}", data, token="", headers={"X-CSRF-Token": "jeugdbeschermér"}),
        session.post(f"/taken/{task}", data, headers={"Origin": "null"}),  # a sandboxed frame or a file:// page
    ):
        assert refused.status_code == 400
        assert "Verzoek geweigerd" in refused.get_data(as_text=True)
    assert [t["name"] for t in client.case(case["id"])["open_tasks"]] == ["stap1_plan_van_aanpak"]
    assert session.post(f"/taken/{task}", data, headers={"Origin": "http://localhost"}).status_code == 302


def test_logout_ends_the_session(ui):
    session = ui("jeugdbeschermer")
    response = session.post("/uitloggen")
    assert response.status_code == 302 and response.headers["Location"] == "/inloggen"
    assert session.get("/inbox").status_code == 302


def test_a_refused_form_keeps_what_was_typed_and_shows_each_message_at_its_field(ui, client):
    case = start_gi(client, "UI-422")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")
    session.get(f"/taken/{task}")
    response = session.post(f"/taken/{task}", {"hulpvraag": "Hulp <bij> school", "afgestemd_met_gezin": "ja"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="field-error" id="veld-doelen-fout">' in html
    assert re.search(r'<textarea id="veld-doelen"[^>]*aria-describedby="veld-doelen-fout veld-doelen-uitleg"[^>]*'
                     r'aria-invalid="true"', html)
    assert "Hulp &lt;bij&gt; school</textarea>" in html
    assert re.search(r'id="veld-afgestemd_met_gezin-0"\s+name="afgestemd_met_gezin" value="ja" checked', html)
    assert 'href="#veld-lokaal_team_betrokken-0"' in html  # the summary links to the radio group
    assert [t["name"] for t in client.case(case["id"])["open_tasks"]] == ["stap1_plan_van_aanpak"]


def test_after_a_step_the_next_task_in_the_case_opens_or_the_inbox(ui, client):
    case = start_gi(client, "UI-NEXT")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")
    session.get(f"/taken/{task}")
    response = session.post(f"/taken/{task}", {"doelen": "Veilig thuis", "afgestemd_met_gezin": "ja",
                                               "lokaal_team_betrokken": "nee"})
    following = _task_of(client, case["id"], "jeugdbeschermer", "stap3_aanbieder_zoeken")
    assert response.headers["Location"] == f"/taken/{following}"
    page = session.get(f"/taken/{following}").get_data(as_text=True)
    assert "‘Plan van aanpak opstellen’ is afgerond" in page

    response = session.post(f"/taken/{following}", {"aanbieder": "aanbieder-horizon", "beoogde_hulpvorm": "Gezinsbehandeling"})
    assert response.headers["Location"] == "/inbox"  # step 4 is the gemeente's
    assert "is afgerond voor casus UI-NEXT" in session.get("/inbox").get_data(as_text=True)
    # Posting again: already done, the page says so and nothing changes.
    again = session.post(f"/taken/{following}", {"aanbieder": "aanbieder-horizon"})
    assert again.status_code == 409
    assert "Deze taak is al afgerond." in again.get_data(as_text=True)


def test_a_task_form_shows_what_people_entered_not_what_scripts_reset(ui, client):
    case = start_gi(client, "UI-PREFILL")
    step(client, case["id"], "stap1_plan_van_aanpak")
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=True)
    again = _task_of(client, case["id"], "jeugdbeschermer", "stap3_aanbieder_zoeken")
    session = ui("jeugdbeschermer")
    html = session.get(f"/taken/{again}").get_data(as_text=True)
    assert 'value="aanbieder-horizon" checked' in html or 'value="aanbieder-horizon" selected' in html
    step(client, case["id"], "stap3_aanbieder_zoeken")
    step(client, case["id"], "stap4_overleg_deskundige_gemeente")
    stap5 = _task_of(client, case["id"], "jeugdbeschermer", "stap5_afstemmen_aanbieder")
    html = session.get(f"/taken/{stap5}").get_data(as_text=True)
    assert " checked" not in html  # yes/no decisions are asked afresh


def test_users_see_only_their_own_cases_and_tasks(ui, client):
    case = start_gi(client, "UI-PRIVACY")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    stranger = ui("jeugdbeschermer2")
    assert stranger.get(f"/casussen/{case['id']}").status_code == 404
    assert stranger.get(f"/taken/{task}").status_code == 404
    assert "UI-PRIVACY" not in stranger.get("/inbox").get_data(as_text=True)
    assert "UI-PRIVACY" not in stranger.get("/casussen").get_data(as_text=True)
    gemeente = ui("gemeente")  # a party to the case, but not of the jeugdbeschermer's lane
    assert gemeente.get(f"/taken/{task}").status_code == 403
    assert gemeente.get(f"/casussen/{case['id']}").status_code == 200
    assert ui("jeugdbeschermer").get("/dashboard").status_code == 403


def test_the_coordinator_sees_where_a_case_stands_not_the_plan(ui, client):
    case = start_gi(client, "UI-COORD")
    step(client, case["id"], "stap1_plan_van_aanpak", doelen="Geheim doel")
    page = ui("regiocoordinator").get(f"/casussen/{case['id']}").get_data(as_text=True)
    assert "Aanbieder zoeken" in page
    assert "Geheim doel" not in page
    assert "niet de inhoud van het plan" in page


def test_a_case_is_started_from_its_start_form(ui, client):
    session = ui("jeugdbeschermer")
    assert "Verwijsproces starten" in session.get("/casussen/nieuw/gi_verwijsproces").get_data(as_text=True)
    refused = session.post("/casussen/nieuw/gi_verwijsproces", {"gemeente": "gemeente-roosendaal", "casusreferentie": "123456782"})
    assert refused.status_code == 422
    assert "Dit lijkt op een BSN" in refused.get_data(as_text=True)
    response = session.post("/casussen/nieuw/gi_verwijsproces", {
        "gemeente": "gemeente-roosendaal", "maatregel": "ots", "ingangsdatum_maatregel": "2026-10-01",
        "casusreferentie": "UI-START"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/taken/")
    assert ui("gemeente").get("/casussen/nieuw/gi_verwijsproces").status_code == 403


def test_the_case_diagrams_mark_the_path_taken_and_the_called_process(client, runtime):
    case = start_gi(client, "UI-DIAGRAM")
    for name in ("stap1_plan_van_aanpak", "stap3_aanbieder_zoeken", "stap4_overleg_deskundige_gemeente"):
        step(client, case["id"], name)
    step(client, case["id"], "stap5_afstemmen_aanbieder", tijdig_beschikbaar=False, gecontracteerd_alternatief=False)
    step(client, case["id"], "a1_hulp_buiten_aanbod", passend_buiten_aanbod=False, aanbieder=None)
    diagrams = {d["process"]: d for d in case_diagrams(runtime, case["id"])}
    assert list(diagrams) == ["gi_verwijsproces", "opschaalroute"]
    main, called = diagrams["gi_verwijsproces"], diagrams["opschaalroute"]
    assert {"start_maatregel", "casus_initialiseren", "stap1_plan_van_aanpak", "gw_lokaal_team", "a1_hulp_buiten_aanbod"} \
        <= set(main["completed"])
    assert main["current"] == ["b_opschaalroute"]  # the case is in the called process
    assert not set(main["waiting"]) & {"b_opschaalroute", "stap5_afstemmen_aanbieder"}
    assert called["current"] == ["consultatie_gedragswetenschapper"]
    assert "start_opschaalroute" in called["completed"]
    assert main["xml"].startswith("<?xml") and main["overdue"] == []


def test_claiming_a_task_and_giving_it_back_from_the_inbox(ui, client):
    case = start_gi(client, "UI-CLAIM")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")
    session.get("/inbox")

    def row() -> str:
        html = session.get("/inbox").get_data(as_text=True)
        return re.search(rf'data-task-id="{task}".*?</tr>', html, re.S).group(0)

    assert session.post(f"/taken/{task}/oppakken", {"terug": "/inbox"}).headers["Location"] == "/inbox"
    assert "<strong>u</strong>" in row() and "Vrijgeven" in row()
    assert "opgepakt door <strong>u</strong>" in session.get(f"/taken/{task}").get_data(as_text=True)
    session.post(f"/taken/{task}/vrijgeven")
    assert "niemand" in row() and "Oppakken" in row()


def test_the_task_page_shows_the_cases_norm_as_the_monitoring_judges_it(ui, client, runtime):
    case = start_gi(client, "UI-NORM", ingangsdatum="2026-11-30")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")

    def norm() -> str:
        html = session.get(f"/taken/{task}").get_data(as_text=True)
        return re.sub(r"\s+", " ", re.search(r'<dd data-norm="doorbraak_termijn_verstreken">(.*?)</dd>', html, re.S)[1])

    # 3 months from 30 November: 28 February, the last day in time (the timer waits for midnight after it).
    assert norm().strip() == "uiterlijk 28 februari 2027"
    with runtime.transaction() as db:  # care starts when the JW305 is there, whatever the case data says
        db.add(IjwMessage(case_id=case["id"], code="JW305", direction="aanbieder → gemeente", payload={},
                          recorded_at=runtime.clock.now()))
        db.commit()
    assert 'uiterlijk 28 februari 2027 <span class="badge badge--ok">zorg gestart</span>' in norm()


@pytest.mark.parametrize("back", ["/\\evil.example", "/\\/evil.example", "/\t/evil.example", "//evil.example",
                                  "https://evil.example/", "inbox"])
def test_claiming_goes_back_only_to_pages_of_this_site(ui, client, back):
    case = start_gi(client, "UI-CLAIM-TERUG")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")
    assert session.post(f"/taken/{task}/oppakken", {"terug": back}).headers["Location"] == "/inbox"
    assert session.post(f"/taken/{task}/vrijgeven", {"terug": "/casussen?x=1"}).headers["Location"] == "/casussen?x=1"


def test_the_task_page_says_who_holds_the_task_and_whether_it_is_late(ui, client, runtime):
    with runtime.transaction() as db:
        gi = db.scalar(select(Organisation.id).where(Organisation.key == "gi-jbb"))
        if db.scalar(select(User.id).where(User.username == "collega-ui")) is None:
            db.add(User(username="collega-ui", display_name="Collega (test)", password_hash=hash_password(demo.PASSWORD),
                        organisation_id=gi, roles=["jeugdbeschermer"]))
        db.commit()
    case = start_gi(client, "UI-WIE")
    task = _task_of(client, case["id"], "jeugdbeschermer", "stap1_plan_van_aanpak")
    session = ui("jeugdbeschermer")
    page = session.get(f"/taken/{task}").get_data(as_text=True)
    assert "opgepakt door" not in page and "Te laat" not in page

    assert client.post(f"/api/tasks/{task}/assign", "jeugdbeschermer", json={"username": "collega-ui"}).status_code == 200
    with runtime.transaction() as db:
        db.execute(update(WorkItem).where(WorkItem.id == task).values(due_at=runtime.clock.now() - timedelta(days=2)))
        db.commit()
    page = session.get(f"/taken/{task}").get_data(as_text=True)
    assert "opgepakt door <strong>collega-ui</strong>" in page
    assert re.search(r'class="due due--overdue">termijn [^<]+<span class="badge badge--bad">Te laat</span>', page)


def test_browser_libraries_come_from_node_modules_or_a_clear_404(app, monkeypatch, tmp_path):
    http = app.test_client()
    response = http.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert response.status_code == 200 and "javascript" in response.content_type
    assert http.get("/vendor/bpmn-js/../package.json").status_code == 404
    assert http.get("/vendor/left-pad/index.js").status_code == 404
    monkeypatch.setenv("VERWIJSFLOW_NODE_MODULES", str(tmp_path / "leeg"))
    missing = http.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert missing.status_code == 404
    assert "make install" in missing.get_data(as_text=True)


def test_unknown_pages_get_a_page_and_the_api_keeps_json(app):
    http = app.test_client()
    page = http.get("/bestaat-niet")
    assert page.status_code == 404 and page.content_type.startswith("text/html")
    assert "Niet gevonden" in page.get_data(as_text=True)
    api = http.get("/api/bestaat-niet")
    assert api.status_code == 401 and api.is_json  # the API asks for its token first

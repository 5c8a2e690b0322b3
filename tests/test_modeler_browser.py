"""The process designer's modeler in headless Chromium: open a process, rename a task in the
properties panel, deploy, see version 2 with the rename; a refused deploy names its
problems; running cases migrate and one is undone; the modeler and the decision-table
editor give every file back without losing anything the engine reads.

Screenshot: test-artifacts/screenshots/modeler.png (README: "Screenshots").
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from engine.changes import summarise
from engine.config import ROOT

from .browser import expect, login, require_browser, screenshot, watched_page
from .conftest import Client, build_app
from .gi_steps import start_gi

pytestmark = pytest.mark.browser

GI = "gi_verwijsproces"
STEP1 = "stap1_plan_van_aanpak"
# dmn-js's production bundle logs this once as a console error (bpmn-io/dmn-js#965);
# it is the library's own build, not something the page does.
DMN_JS_BUILD_NOTICE = "It looks like you're using a minified copy of the development build of Inferno"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    require_browser()
    app, runtime, database = build_app("sqlite", tmp_path_factory.mktemp("modeler"))
    client = Client(app)
    cases = {ref: start_gi(client, ref)["id"] for ref in ("GI-2026-0701", "GI-2026-0702")}
    yield SimpleNamespace(app=app, runtime=runtime, client=client, cases=cases)
    runtime.dispose()
    database.drop()


@pytest.fixture
def page(browser):
    with watched_page(browser, quiet_console=(DMN_JS_BUILD_NOTICE,), accept_downloads=True) as page:
        yield page


def open_modeler(page, live, key: str = GI) -> None:
    page.goto(f"{live.url}/ontwerpen/processen/{key}")
    expect(page.locator("[data-modeler]")).to_have_attribute("data-state", "ready")
    expect(page.locator("[data-versions] table")).to_be_visible()


def shape(page, element_id: str):
    return page.locator(f'[data-modeler] g.djs-element[data-element-id="{element_id}"]')


def versions(world) -> list[dict]:
    return world.client.get(f"/api/processes/{GI}/versions", "procesontwerper").json


# -- the modeler's round trip: nothing the engine reads is lost --------------------------------

DIAGRAM_NAMESPACES = {
    "http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI", "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DC/", "http://www.omg.org/spec/DMN/20180521/DI/",
}
# Attributes whose default bpmn-moddle and dmn-moddle leave out when they write the file (the
# engine reads the same defaults: SpiffWorkflow takes a missing hitPolicy as UNIQUE).
DEFAULTS = {"cancelActivity": "true", "isInterrupting": "true", "isForCompensation": "false",
            "startQuantity": "1", "completionQuantity": "1", "parallelMultiple": "false", "hitPolicy": "UNIQUE"}


def semantics(text: bytes | str):
    """The file without its diagram interchange, whitespace and written-out defaults."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return _semantic(etree.fromstring(text))


def _semantic(node):
    if not isinstance(node.tag, str) or etree.QName(node).namespace in DIAGRAM_NAMESPACES:
        return None
    attributes = tuple(sorted((k, v) for k, v in node.attrib.items() if DEFAULTS.get(etree.QName(k).localname) != v))
    children = tuple(c for c in (_semantic(child) for child in node) if c is not None)
    return node.tag, attributes, (node.text or "").strip(), children


def _no_changes(summary: dict) -> bool:
    return not any(value for key, value in summary.items() if key not in ("text", "elements"))


def _download(page, label: str) -> str:
    with page.expect_download() as download:
        page.get_by_role("button", name=label).click()
    return Path(download.value.path()).read_text(encoding="utf-8")


def test_the_modeler_gives_every_process_back_as_it_opened_it(page, live, world):
    login(page, live, "procesontwerper")
    for path in sorted((ROOT / "processes").glob("*.bpmn")):
        open_modeler(page, live, path.stem)
        expect(page.locator("[data-import-warnings]")).to_be_hidden()
        exported = _download(page, "XML downloaden")
        original = path.read_text(encoding="utf-8")
        assert semantics(exported) == semantics(original), path.name
        assert _no_changes(summarise("bpmn", original, exported)), path.name
    for path in sorted((ROOT / "processes").glob("*.dmn")):
        page.goto(f"{live.url}/ontwerpen/beslistabellen/{path.stem}")
        expect(page.locator("[data-dmn]")).to_have_attribute("data-state", "ready")
        exported = _download(page, "XML downloaden")
        assert semantics(exported) == semantics(path.read_text(encoding="utf-8")), path.name


# -- rename, deploy, refuse, migrate -------------------------------------------------------------

def test_a_designer_renames_a_task_deploys_and_sees_version_2(page, live, world):
    login(page, live, "procesontwerper")
    expect(page).to_have_url(re.compile(r"/ontwerpen$"))
    page.get_by_role("link", name="GI verwijsproces openen in de modeler").click()
    expect(page.locator("[data-modeler]")).to_have_attribute("data-state", "ready")
    expect(page.get_by_role("heading", level=1)).to_have_text("GI verwijsproces")
    expect(page.locator("[data-versions] tr[data-version='1']")).to_contain_text("huidig")

    shape(page, STEP1).click()
    panel = page.locator("[data-props]")
    expect(panel).to_have_attribute("data-element-id", STEP1)
    expect(panel.locator("[data-lane]")).to_have_attribute("data-lane", "jeugdbeschermer")
    expect(panel.get_by_label("Formulier", exact=True)).to_have_value(f"{GI}/{STEP1}.json")
    panel.get_by_label("Naam").fill("Plan van aanpak maken")
    panel.get_by_label("Naam").press("Enter")
    expect(shape(page, STEP1)).to_contain_text("Plan van aanpak maken")
    expect(page.locator("[data-status]")).to_have_text("Niet uitgerolde wijzigingen.")

    page.get_by_role("button", name="Controleren").click()
    expect(page.locator("[data-status]")).to_contain_text("geen problemen gevonden")
    page.get_by_role("button", name="Uitrollen").click()
    expect(page.locator("[data-status]")).to_contain_text("Versie 2 is uitgerold")
    row = page.locator("[data-versions] tr[data-version='2']")
    expect(row).to_contain_text("huidig")
    expect(row).to_contain_text("door procesontwerper")
    expect(row).to_contain_text("Hernoemd: 'Plan van aanpak opstellen' → 'Plan van aanpak maken'.")
    expect(page.locator("[data-current-version]")).to_contain_text("Versie 2")
    screenshot(page, "modeler")

    # What was deployed is the diagram with only that name changed: form and lane kept.
    current = world.client.get(f"/api/processes/{GI}", "procesontwerper").json
    step1 = next(e for e in current["elements"] if e["id"] == STEP1)
    assert (current["version"], step1["title"], step1["lane"], step1["form"]) == \
        (2, "Plan van aanpak maken", "jeugdbeschermer", f"{GI}/{STEP1}.json")
    assert [v["running_cases"] for v in versions(world)] == [2, 0]


def test_a_refused_deploy_lists_the_problems_and_a_problem_shows_its_element(page, live, world):
    login(page, live, "procesontwerper")
    open_modeler(page, live)
    page.locator('[data-modeler] g.djs-element[data-element-id="flow_lokaal_team_ja_label"]').click()
    panel = page.locator("[data-props]")
    expect(panel).to_have_attribute("data-element-id", "flow_lokaal_team_ja")
    condition = panel.get_by_label("Voorwaarde", exact=True)
    expect(condition).to_have_value("lokaal_team_betrokken == True")
    expect(panel.get_by_label(re.compile("Standaardstroom"))).not_to_be_checked()
    condition.fill("__import__('os')")
    condition.press("Tab")
    page.locator("[data-modeler]").click(position={"x": 700, "y": 560})  # deselect: the problem must select it again
    expect(panel).not_to_have_attribute("data-element-id", "flow_lokaal_team_ja")

    page.expected_refusals.append((422, "/api/processes"))
    with page.expect_response(lambda r: r.url.endswith("/api/processes") and r.request.method == "POST") as refused:
        page.get_by_role("button", name="Uitrollen").click()
    assert refused.value.status == 422
    problems = page.locator("[data-problems]")
    expect(problems).to_be_focused()
    expect(problems.get_by_role("heading")).to_have_text(re.compile(r"Niet uitgerold: \d+ problemen"))
    first = problems.locator("button[data-element-id='flow_lokaal_team_ja']").first
    expect(first).to_contain_text("namen die met '_' beginnen zijn niet toegestaan")
    expect(first).to_contain_text("flow_lokaal_team_ja")
    expect(page.locator("[data-status]")).to_contain_text("Er is niets veranderd")
    first.click()
    expect(page.locator('[data-modeler] g.djs-element[data-element-id="flow_lokaal_team_ja"]')).to_have_class(
        re.compile(r"\bselected\b"))
    expect(panel).to_have_attribute("data-element-id", "flow_lokaal_team_ja")
    assert [v["version"] for v in versions(world)] == [1, 2]


def test_running_cases_move_to_version_2_after_a_dry_run_and_one_is_undone(page, live, world):
    login(page, live, "procesontwerper")
    open_modeler(page, live)
    migration = page.locator("[data-migration]")
    migration.get_by_label("Van versie").select_option("1")
    migration.get_by_label("Naar versie").select_option("2")
    expect(migration.get_by_role("button", name="Migreren")).to_be_disabled()
    migration.get_by_role("button", name="Proefmigratie").click()
    expect(migration.locator("[data-migration-status]")).to_contain_text("Proef: 2 van 2 casussen kunnen")
    expect(migration.locator("tr[data-case='GI-2026-0701']")).to_contain_text("Kan over")
    assert [v["running_cases"] for v in versions(world)] == [2, 0]  # a dry run changes nothing

    # A case that reaches version 1 after the dry run was not reviewed: only the two are moved.
    late = _start_on_version(world, 1, "GI-2026-0703")
    with page.expect_request(lambda r: r.url.endswith("/migrate") and r.method == "POST") as sent:
        migration.get_by_role("button", name="Migreren").click()
    assert sorted(sent.value.post_data_json["case_ids"]) == sorted(world.cases.values())
    expect(migration.locator("[data-migration-status]")).to_contain_text("2 van 2 casussen overgezet naar versie 2")
    expect(page.locator("[data-versions] tr[data-version='2'] td[data-label='Lopend']")).to_have_text("2")
    assert world.client.case(late)["process_version"] == 1
    migration.get_by_role("button", name="Migratie van GI-2026-0702 ongedaan maken").click()
    expect(migration.locator("tr[data-case='GI-2026-0702']")).to_contain_text("Teruggezet naar versie 1")
    expect(page.locator("[data-versions] tr[data-version='1'] td[data-label='Lopend']")).to_have_text("2")
    assert world.client.case(world.cases["GI-2026-0701"])["process_version"] == 2
    assert world.client.case(world.cases["GI-2026-0702"])["process_version"] == 1


def _start_on_version(world, version: int, reference: str) -> int:
    """Start a case on an older version: deploy its content again (it becomes current under its
    own number), start, and make the version that was current current again."""
    def content(v: int | None = None) -> str:
        query = f"?version={v}" if v else ""
        return world.client.get(f"/api/artifacts/bpmn/{GI}{query}", "procesontwerper").json["content"]

    def deploy(text: str) -> None:
        response = world.client.post("/api/processes", "procesontwerper", json={"filename": f"{GI}.bpmn", "content": text})
        assert response.status_code == 201, response.json

    current = content()
    deploy(content(version))
    case_id = start_gi(world.client, reference)["id"]
    deploy(current)
    assert world.client.case(case_id)["process_version"] == version
    return case_id


def test_dragging_a_task_into_another_lane_gives_it_that_role(page, live, world):
    login(page, live, "procesontwerper")
    page.goto(f"{live.url}/ontwerpen/processen/{GI}#stap2_overleg_lokaal_team")  # centred on the task
    expect(page.locator("[data-modeler]")).to_have_attribute("data-state", "ready")
    box = shape(page, "stap2_overleg_lokaal_team").bounding_box()
    lane = shape(page, "lane_gemeente").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    target = lane["y"] + lane["height"] / 2  # the middle of the gemeente lane, wherever the layout put it
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 20, steps=5)
    page.mouse.move(x, target, steps=10)
    page.mouse.up()
    panel = page.locator("[data-props]")
    expect(panel).to_have_attribute("data-element-id", "stap2_overleg_lokaal_team")
    expect(panel.locator("[data-lane]")).to_have_attribute("data-lane", "gemeente")
    next_version = max(v["version"] for v in versions(world)) + 1  # earlier tests in this module may have deployed
    page.get_by_role("button", name="Uitrollen").click()
    expect(page.locator("[data-status]")).to_contain_text(f"Versie {next_version} is uitgerold")
    expect(page.locator(f"[data-versions] tr[data-version='{next_version}']")).to_contain_text(
        "Andere baan: 'Overleg met lokaal team'")
    current = world.client.get(f"/api/processes/{GI}", "procesontwerper").json
    assert next(e for e in current["elements"] if e["id"] == "stap2_overleg_lokaal_team")["lane"] == "gemeente"


def test_a_jeugdbeschermer_gets_no_modeler(page, live, world):
    login(page, live, "jeugdbeschermer")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).not_to_contain_text("Ontwerpen")
    response = page.goto(f"{live.url}/ontwerpen/processen/{GI}")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    expect(page.locator("[data-modeler]")).to_have_count(0)


# -- decision tables and forms take the same path ----------------------------------------------

def test_a_decision_table_cell_is_edited_checked_and_deployed(page, live, world):
    login(page, live, "procesontwerper")
    page.goto(f"{live.url}/ontwerpen/beslistabellen/wbw_tarieven")
    expect(page.locator("[data-dmn]")).to_have_attribute("data-state", "ready")
    cell = page.locator('td[data-row-id="wbw_tarief_p1_acuut"][data-col-id="wbw_tarief_out1"]')
    expect(cell).to_have_text("1236")
    cell.click()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("7")
    expect(cell.get_by_role("textbox")).to_have_text("1237")
    expect(page.locator("[data-status]")).to_have_text("Niet uitgerolde wijzigingen.")
    page.get_by_role("button", name="Controleren").click()
    expect(page.locator("[data-status]")).to_contain_text("geen problemen gevonden")
    page.get_by_role("button", name="Uitrollen").click()
    expect(page.locator("[data-status]")).to_contain_text("Versie 2 is uitgerold")
    expect(page.locator("[data-versions] tr[data-version='2']")).to_contain_text("door procesontwerper")
    table = world.client.get("/api/artifacts/dmn/wbw_tarieven", "procesontwerper").json
    assert table["version"] == 2 and "<text>1237</text>" in table["content"]


def test_a_form_is_checked_and_deployed_from_its_json(page, live, world):
    login(page, live, "procesontwerper")
    key = f"{GI}/{STEP1}.json"
    page.goto(f"{live.url}/ontwerpen/formulieren/{key}")
    editor = page.get_by_label("JSON Schema")
    expect(editor).to_have_attribute("data-state", "ready")
    expect(page.locator("[data-fields] tr[data-field='doelen']")).to_contain_text("ja")  # required
    original = editor.input_value()

    editor.fill("{ niet af")
    expect(page.locator("[data-fields]")).to_contain_text("Geen geldige JSON")
    page.get_by_role("button", name="Controleren").click()
    expect(page.locator("[data-problems]")).to_contain_text("Geen geldige JSON")

    editor.fill(original.replace('"title": "Hulpvraag"', '"title": "Hulpvraag van het gezin"'))
    expect(page.locator("[data-fields] tr[data-field='hulpvraag']")).to_contain_text("Hulpvraag van het gezin")
    page.get_by_role("button", name="Uitrollen").click()
    expect(page.locator("[data-status]")).to_contain_text("Versie 2 is uitgerold")
    expect(page.locator("[data-problems]")).to_be_hidden()
    expect(page.locator("[data-versions] tr[data-version='2']")).to_contain_text("1 veld(en) hernoemd")

"""The web UI in headless Chromium: what a jeugdbeschermer and a regiocoördinator do in it.

Screenshots of every page land in test-artifacts/screenshots/ (README: "Screenshots").
"""

from __future__ import annotations

import re

import pytest

from .browser import DESKTOP, TABLET, expect, login, require_browser, screenshot, watched_page
from .ui_world import build_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    require_browser()
    world, database = build_world(tmp_path_factory.mktemp("ui"))
    yield world
    world.runtime.dispose()
    database.drop()


@pytest.fixture
def page(browser, request):
    with watched_page(browser, getattr(request, "param", DESKTOP)) as page:
        yield page


def element(page, diagram: str, element_id: str):
    return page.locator(f'#{diagram} g.djs-element[data-element-id="{element_id}"]')


def test_jeugdbeschermer_completes_a_task_after_one_refused_submission(page, live, world):
    login(page, live, "jeugdbeschermer")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    inbox = page.locator("table.inbox")
    # Most urgent first: the overdue tasks of this GI head the list, in red.
    expect(inbox.locator("tbody tr").first).to_have_class(re.compile("is-overdue"))
    expect(inbox.locator("tr.is-overdue")).to_have_count(2)
    expect(inbox.locator("tr", has_text="GI-2026-0107")).to_contain_text("Nieuw")
    screenshot(page, "inbox")

    inbox.locator("tr", has_text="GI-2026-0107").get_by_role("link", name="Plan van aanpak opstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan van aanpak opstellen")
    page.get_by_label("Hulpvraag").fill("School en ouders willen hulp bij dagstructuur.")
    page.get_by_role("group", name=re.compile("Afgestemd met jeugdige en gezin")).get_by_label("Ja").check()
    page.get_by_role("group", name=re.compile("Lokaal team al betrokken")).get_by_label("Nee").check()
    screenshot(page, "taakformulier")

    # Doelen left empty: the engine refuses, nothing is lost, the message sits at the field.
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Stap afronden").click()
    assert refused.value.status == 422
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Doelen van het plan van aanpak: Dit veld is verplicht.")
    doelen = page.get_by_label("Doelen van het plan van aanpak")
    expect(doelen).to_have_attribute("aria-invalid", "true")
    error_id = doelen.get_attribute("aria-describedby").split()[0]
    expect(page.locator(f"#{error_id}")).to_have_text(re.compile("Dit veld is verplicht"))
    expect(page.get_by_label("Hulpvraag")).to_have_value("School en ouders willen hulp bij dagstructuur.")
    expect(page.get_by_role("group", name=re.compile("Afgestemd met jeugdige en gezin")).get_by_label("Ja")).to_be_checked()
    screenshot(page, "taakformulier-geweigerd")

    summary.get_by_role("link").first.click()
    expect(doelen).to_be_focused()
    page.keyboard.type("Veilig thuis wonen; weer naar school")
    with page.expect_response(lambda r: r.request.method == "POST") as accepted:
        page.get_by_role("button", name="Stap afronden").click()
    assert accepted.value.status == 302
    # The next task of this user in this case opens.
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanbieder zoeken")
    expect(page.locator(".flash--success")).to_contain_text("‘Plan van aanpak opstellen’ is afgerond")
    expect(page.locator(".sidepanel")).to_contain_text("GI-2026-0107")

    page.get_by_role("navigation", name="Kruimelpad").get_by_role("link", name="Casus GI-2026-0107").click()
    expect(page.locator("#schema-gi_verwijsproces")).to_have_attribute("data-state", "ready")
    expect(element(page, "schema-gi_verwijsproces", "stap3_aanbieder_zoeken")).to_have_class(re.compile("vf-current"))
    expect(element(page, "schema-gi_verwijsproces", "stap1_plan_van_aanpak")).to_have_class(re.compile("vf-completed"))
    expect(page.locator(".timeline")).to_contain_text("Plan van aanpak opstellen")


def test_case_page_marks_overdue_steps_loops_and_the_called_process(page, live, world):
    login(page, live, "jeugdbeschermer")
    page.goto(f"{live.url}/casussen/{world.id('GI-2026-0109')}")
    diagram = "schema-gi_verwijsproces"
    expect(page.locator(f"#{diagram}")).to_have_attribute("data-state", "ready")
    expect(element(page, diagram, "stap5_afstemmen_aanbieder")).to_have_class(re.compile("vf-overdue"))
    expect(page.locator(f"#{diagram} .loopbadge").first).to_have_text("2×")
    expect(page.locator(".nowlist")).to_contain_text("Te laat")
    page.locator(".timeline__details summary").first.click()
    screenshot(page, "casus")

    page.goto(f"{live.url}/casussen/{world.id('GI-2026-0104')}")
    expect(page.locator("#schema-opschaalroute")).to_have_attribute("data-state", "ready")
    expect(element(page, "schema-opschaalroute", "ret_bespreking")).to_have_class(re.compile("vf-current"))
    expect(element(page, "schema-gi_verwijsproces", "b_opschaalroute")).to_have_class(re.compile("vf-current"))


def test_regiocoordinator_sees_the_stuck_cases(page, live, world):
    # What the engine calls stuck (/api/monitor/stuck): the overdue tasks of this world, and
    # cases whose doorbraak norm passed without care, depending on the day the test runs.
    engine = world.api.get("/api/monitor/stuck", "regiocoordinator").json
    login(page, live, "regiocoordinator")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    stuck = page.locator("table.stuck")
    expect(stuck.locator("tbody tr")).to_have_count(len(engine))
    first = stuck.locator("tbody tr").first  # longest overdue first
    expect(first).to_contain_text(engine[0]["case_reference"])
    late = stuck.locator("tr", has_text="GI-2026-0105")
    expect(late).to_contain_text("Afstemmen met aanbieder")
    expect(late).to_contain_text("12 dagen")
    expect(stuck.locator("tr", has_text="GI-2026-0106")).to_contain_text("Gemeente Roosendaal")
    expect(page.locator(".tile", has_text="Via RET / BEN")).to_contain_text("1 RET")
    expect(page.locator("#heatmap-gi_verwijsproces")).to_have_attribute("data-state", "ready")
    expect(element(page, "heatmap-gi_verwijsproces", "stap5_afstemmen_aanbieder")).to_have_class(re.compile("vf-heat-"))
    expect(page.locator("#heatmap-gi_verwijsproces .heatbadge").first).to_be_visible()
    screenshot(page, "dashboard")

    stuck.get_by_role("link", name="Dagen te laat").click()
    expect(stuck.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(stuck.locator("tbody tr").first).to_contain_text(engine[-1]["case_reference"])

    stuck.get_by_role("link", name="GI-2026-0105").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("GI-2026-0105")
    expect(page.locator("body")).to_contain_text("niet de inhoud van het plan")
    expect(element(page, "schema-gi_verwijsproces", "stap5_afstemmen_aanbieder")).to_have_class(re.compile("vf-overdue"))


def test_the_keyboard_reaches_everything(page, live, world):
    page.goto(f"{live.url}/inloggen")
    expect(page.get_by_label("Gebruikersnaam")).to_be_focused()
    page.keyboard.type("jeugdbeschermer")
    page.keyboard.press("Tab")
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Direct naar de inhoud")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    task = page.locator("table.inbox tr", has_text="GI-2026-0108").get_by_role("link", name="Aanbieder zoeken")
    task.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanbieder zoeken")
    # Every input has a label the browser ties to it.
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('form.form input:not([type=hidden]), form.form select, form.form textarea')]
        .filter(el => !el.labels || el.labels.length === 0).map(el => el.name)""")
    assert unlabelled == []


@pytest.mark.parametrize("page", [TABLET], indirect=True, ids=["tablet"])
def test_pages_fit_a_tablet(page, live, world):
    login(page, live, "jeugdbeschermer")
    expect(page.locator("table.inbox")).to_be_visible()
    assert _fits(page)
    screenshot(page, "inbox-tablet")
    page.locator("table.inbox tr", has_text="GI-2026-0105").get_by_role("link", name="Afstemmen met aanbieder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Afstemmen met aanbieder")
    assert _fits(page)
    screenshot(page, "taakformulier-tablet")
    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/inloggen$"))

    login(page, live, "regiocoordinator")
    expect(page.locator("#heatmap-gi_verwijsproces")).to_have_attribute("data-state", "ready")
    assert _fits(page)
    screenshot(page, "dashboard-tablet")


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

"""Browser tests' plumbing: the app on a real port in a background thread, and Debian's
Chromium driven by Playwright (never a downloaded browser).

VERWIJSFLOW_BROWSER_TESTS=0 skips the browser tests with a reason; otherwise a missing
Chromium fails them (`make test` installs Debian's `chromium` when it can).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine.config import ROOT

CHROMIUM = os.environ.get("VERWIJSFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--lang=nl-NL"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}


def require_browser() -> None:
    if os.environ.get("VERWIJSFLOW_BROWSER_TESTS") == "0":
        pytest.skip("browsertests uitgezet met VERWIJSFLOW_BROWSER_TESTS=0")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium ontbreekt ({CHROMIUM}): installeer Debian's pakket `chromium` "
                    "(make test doet dat als root) of zet VERWIJSFLOW_BROWSER_TESTS=0.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("Python-pakket playwright ontbreekt: make install (dev-extra's).")


class LiveServer:
    """The Flask app served by Werkzeug on a free port, in a daemon thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def watched_page(browser, viewport: dict = DESKTOP, quiet_console: tuple[str, ...] = (), **context_options):
    """A fresh tab (Dutch, Amsterdam time) that fails the test on any console error, page
    error or failed request: scripts, styles and bpmn-js all loaded, nothing blocked by the
    content security policy. A refused form comes back as a 422 page, so failed documents do
    not count; nor do the (status, path) refusals a test lists in `page.expected_refusals`,
    or console errors starting with a text in `quiet_console`."""
    context = browser.new_context(viewport=viewport, locale="nl-NL", timezone_id="Europe/Amsterdam",
                                  **context_options)
    page = context.new_page()
    page.expected_refusals = []  # (status, path) pairs
    problems: list[str] = []

    def on_console(message):
        # A failed request is logged by the browser too; on_response judges those.
        if message.type == "error" and not message.text.startswith(("Failed to load resource", *quiet_console)):
            problems.append(message.text)

    def on_response(response):
        if response.status < 400 or response.request.resource_type == "document":
            return
        path = response.url.split("?")[0].removeprefix(_origin(response.url))
        if (response.status, path) not in page.expected_refusals:
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", on_response)
    try:
        yield page
    finally:
        context.close()
    assert problems == []


def _origin(url: str) -> str:
    return re.match(r"https?://[^/]+", url).group(0)


def expect(target):
    from playwright.sync_api import expect as playwright_expect  # only the browser tests need it

    return playwright_expect(target)


def login(page, live, username: str) -> None:
    page.goto(f"{live.url}/inloggen")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill("demo")
    page.get_by_role("button", name="Inloggen").click()

"""Browser journeys: a real Régie server on a free loopback port, driven by Debian's Chromium
through Playwright.

The server is the real WSGI app served by werkzeug in a thread, on the throw-away instance of
the ``regie`` fixtures, so a test arranges data with ``make_establishment``/``make_user`` and
the browser sees it over real HTTP. Chromium starts once per test session; every test gets its
own browser context (cookies, viewport). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from regie.testing.plugin import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(regie_runtime) -> Iterator[str]:
    """The base URL of the instance's web app, served over HTTP on 127.0.0.1."""
    from regie.web import create_app

    server = make_server("127.0.0.1", 0, create_app(runtime=regie_runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def _chromium() -> Iterator[dict]:
    """Holds the one Chromium of the test session, started on first use."""
    holder: dict = {}
    yield holder
    if holder:
        holder["browser"].close()
        holder["playwright"].stop()


@pytest.fixture
def browser(chromium_path, _chromium):
    """Debian's Chromium under Playwright; skips (or fails under ``REGIE_REQUIRE=browser``)
    when it is not installed."""
    if not _chromium:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _chromium["playwright"] = playwright
        _chromium["browser"] = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    return _chromium["browser"]


@pytest.fixture
def artifacts(request) -> Path:
    folder = request.config.rootpath / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def new_page(browser, live_server, artifacts, request):
    """``new_page(**context_options)``: a page in a fresh browser context on the live server.

    Each page gets a screenshot at the end of the test, named after the test, so a failure
    leaves a picture of what the browser showed."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    for number, context in enumerate(contexts, 1):
        for page in context.pages:
            page.screenshot(path=artifacts / f"{name}-{number}-end.png", full_page=True)
        context.close()


@pytest.fixture
def sign_in():
    """``sign_in(page, username, password=PASSWORD)``: fill and submit the sign-in form as a
    person would."""

    def submit(page, username: str, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("form:has(input[name=password]) button[type=submit]").click()
        page.wait_for_load_state()

    return submit

"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live server."""
import os
import shutil

import pytest


@pytest.fixture(autouse=True)
def _fresh(clean_state):
    yield


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Flags for a closed network and a root user: no sandbox, no background calls home.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have Chromium at {CHROMIUM}: .ci/run installs it")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()

"""The wall-screen mode in a real browser, served by a real gunicorn web process: new work and
an agent's presence change show live; the screen cycles through the teams by itself; and when
the web process dies and comes back, the screen says it is reconnecting and then carries on in
the same page. The test does only what the fault does (kill the process) and what an operator's
supervisor (systemd) does (start it again); the page recovers on its own."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.staff import sign_in
from tests.factories import ticket_body
from tests.processes import app_env, free_port, kill, start_web

pytestmark = pytest.mark.timeout(240)


def _screen(browser, port: int):
    context = browser.new_context(base_url=f"http://127.0.0.1:{port}", locale="zh-CN",
                                  viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.set_default_timeout(20000)
    return context, page


def test_the_wall_screen_shows_work_and_presence_live_and_recovers_after_the_server_restarts(
        browser, app, api, world, tmp_path):
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])
    port = free_port()
    web = start_web(env, port, tmp_path / "web.log")
    context, page = _screen(browser, port)
    try:
        sign_in(page, "boss@test.cc")
        page.goto("/wallboard/screen?cycle=600")  # one team's view for the whole test
        expect(page.locator("body")).to_have_attribute("data-live", "on")
        expect(page.locator("header.top")).to_be_hidden()  # nothing but the board
        page.evaluate("window.sameDocument = true")
        waiting = page.locator('[data-tile="waiting"] .n')
        available = page.locator('[data-tile="available"] .n')
        expect(waiting).to_have_text("0")
        expect(available).to_have_text("0")

        assert api.post("/api/v1/tickets", json=ticket_body(kind="inquiry", category="network")).status_code == 201
        expect(waiting).to_have_text("1")  # nobody of Network is available: it waits
        assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", who="anna",
                       json={"state": "available"}).status_code == 200
        expect(available).to_have_text("1")
        expect(page.locator('[data-agents] dd[data-state="available"]')).to_have_text("Anna")

        kill(web)  # the fault: the web process dies
        expect(page.locator("[data-wall-state]")).to_have_text("正在重新连接…")
        web = start_web(env, port, tmp_path / "web.log")  # and is started again
        expect(page.locator("[data-wall-state]")).to_have_text("")
        expect(page.locator("body")).to_have_attribute("data-live", "on")
        assert api.post("/api/v1/tickets", json=ticket_body(kind="inquiry", category="network")).status_code == 201
        expect(waiting).to_have_text("2")  # live again, over the new process's socket
        assert page.evaluate("window.sameDocument") is True  # never reloaded
    finally:
        context.close()
        kill(web)


def test_the_wall_screen_cycles_through_everybody_and_each_team_by_itself(page, world):
    sign_in(page, "boss@test.cc")
    page.goto("/wallboard/screen?cycle=5")
    team = page.locator("[data-wall-team]")
    expect(team).to_have_text("全部团队")
    expect(team).to_have_text("Billing", timeout=9000)
    expect(page.locator("#sla-panel")).to_have_attribute("data-panel-url", "/wallboard/panel?team=Billing")
    expect(team).to_have_text("Network", timeout=9000)
    expect(team).to_have_text("全部团队", timeout=9000)

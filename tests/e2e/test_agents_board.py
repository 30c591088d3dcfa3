"""The agents board in a real browser: a supervisor has it open, an agent's presence changes
through the API and their row changes without a reload; the supervisor changes an agent's
presence from the board; it fits a laptop and a phone, its table scrolling inside its box."""
import os
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.staff import sign_in
from tests.factories import create_ticket, ticket_body

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _open_board(page) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, "boss@test.cc")
    page.goto("/desk/agents")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    page.evaluate("window.sameDocument = true")


def test_an_agents_row_follows_their_presence_and_new_work_without_a_reload(page, app, api, world):
    _open_board(page)
    bert = page.locator(f'tr[data-agent-id="{world.id("bert")}"]')
    expect(bert).to_have_attribute("data-presence", "offline")

    assert api.put(f"/api/v1/agents/{world.id('bert')}/presence", who="bert",
                   json={"state": "away"}).status_code == 200
    expect(bert).to_have_attribute("data-presence", "away")
    expect(bert.locator("[data-presence-label]")).to_have_text("离开")

    ticket = api.post("/api/v1/tickets", json=ticket_body(subject="账单重复扣费")).json
    assert api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("bert")}).status_code == 200
    expect(bert.locator(f'[data-ticket-id="{ticket["id"]}"]')).to_contain_text(ticket["reference"])
    expect(bert).to_have_attribute("data-load", "1")

    assert page.evaluate("window.sameDocument") is True  # redrawn in place, never reloaded
    expect(page.locator("#live-banner")).to_be_hidden()  # the board needs no "refresh" banner
    assert page.evaluate("window.__csp") == []


def test_a_supervisor_sets_an_agents_presence_from_the_board(page, app, world):
    _open_board(page)
    anna = page.locator(f'tr[data-agent-id="{world.id("anna")}"]')
    anna.locator("select[name=state]").select_option("away")
    anna.locator("form.presence-form button").click()
    expect(page.locator(".flash.success")).to_contain_text("Anna")
    anna = page.locator(f'tr[data-agent-id="{world.id("anna")}"]')
    expect(anna).to_have_attribute("data-presence", "away")
    expect(anna.locator("[data-in-state]")).to_have_attribute("data-in-state", re.compile(r"^\d{1,2}$"))  # just now


def test_a_choice_being_made_is_not_redrawn_away_and_the_board_catches_up_after(page, app, api, world):
    with app.app_context():
        tid = create_ticket(world).id
    assert api.post(f"/api/v1/tickets/{tid}/assign", json={"agent_id": world.id("anna")}).status_code == 200
    _open_board(page)
    form = page.locator(f'[data-ticket-id="{tid}"] form.reassign-form')
    form.locator("select[name=agent_id]").select_option(str(world.id("bert")))
    assert api.put(f"/api/v1/agents/{world.id('nina')}/presence", who="nina",
                   json={"state": "away"}).status_code == 200
    expect(page.locator("#agents-stale")).to_be_visible()
    expect(form.locator("select[name=agent_id]")).to_have_value(str(world.id("bert")))  # nothing lost
    form.locator("select[name=agent_id]").select_option("")  # the supervisor changes their mind
    page.locator("h1").click()
    expect(page.locator(f'tr[data-agent-id="{world.id("nina")}"]')).to_have_attribute("data-presence", "away")
    expect(page.locator("#agents-stale")).to_be_hidden()


def test_the_board_fits_a_laptop_and_a_phone(browser, live_server, app, api, world):
    with app.app_context():
        tid = create_ticket(world, subject="一个很长很长的主题，用来看看表格在手机上是否仍然可以横向滚动而页面本身不横向滚动").id
    api.post(f"/api/v1/tickets/{tid}/assign", json={"agent_id": world.id("anna")})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (390, 844)):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, "boss@test.cc")
        page.goto("/desk/agents")
        expect(page.locator("table.agents")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (width, overflow)  # the page never scrolls sideways; the table does, in its box
        page.screenshot(path=str(ARTIFACTS / f"agents-board-{width}.png"), full_page=True)
        context.close()

"""The agents board in a real browser: a supervisor has it open, an agent's presence changes
through the API and their row changes without a reload; the supervisor changes an agent's
presence from the board; a busy board fits a laptop with every column in view and a phone (its
table scrolling inside its box), and leads back to the console."""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from callcenter.actions import assignment
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from tests import factories
from tests.e2e.staff import CONSOLE, sign_in
from tests.factories import actor_of, create_ticket, ticket_body

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


def _busy_board(app, world) -> None:
    """Every column filled: tickets held with an SLA due time and a long subject, an offer
    waiting, a callback, and an agent with a long name and address in two teams."""
    now = utcnow()
    with app.app_context():
        factories.policy("busy")  # a running clock: "SLA: running · due <date, time>"
        factories.make_user("wang.xiaoming.night-shift@callcenter.example.cn", "agent", ["Billing", "Network"])
        for who in ("anna", "bert"):
            held = create_ticket(world, priority="P1", subject="October bill charged twice, and the refund has "
                                 "not arrived yet; 一个很长很长的主题，用来看看表格是否仍然放得下").id
            assignment.assign(held, world.id(who), actor_of(world, "boss"))
            factories.offer(create_ticket(world, subject="Wrong tariff on the new plan").id, world.id(who), now)
            db.session.add(FollowUp(kind=FollowUpKind.callback, status=FollowUpStatus.assigned, name="王芳",
                                    phone="+86 139 0000 1111", window_start=now, window_end=now + timedelta(hours=1),
                                    assignee_id=world.id(who), ticket_id=held, assigned_at=now))
        db.session.commit()


# How far the page, and the table's own box, reach past what the window shows.
WIDTHS = """() => ({
  page: document.documentElement.scrollWidth, window: window.innerWidth,
  table: document.querySelector('.agents-board .table-scroll').scrollWidth,
  box: document.querySelector('.agents-board .table-scroll').clientWidth,
})"""


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_busy_board_fits_a_laptop_without_sideways_scrolling_and_a_phone(browser, live_server, app, world, locale):
    _busy_board(app, world)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (390, 844)):
        context = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, "boss@test.cc")
        page.goto("/desk/agents")
        expect(page.locator("table.agents [data-sla=running]").first).to_contain_text("·")  # the due time shows
        m = page.evaluate(WIDTHS)
        assert m["page"] <= m["window"], (locale, width, m)  # the page never scrolls sideways
        if width == 1366:
            assert m["table"] <= m["box"], (locale, width, m)  # on a laptop every column is in view
        back = page.locator("[data-back-to-console]")
        expect(back).to_be_visible()
        box = back.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (locale, width, box)
        page.screenshot(path=str(ARTIFACTS / f"agents-board-{width}-{locale}.png"), full_page=True)
        context.close()


def test_the_board_leads_back_to_the_console(page, app, world):
    _open_board(page)
    back = page.locator(".agents-board .head-row a[data-back-to-console]")
    expect(back).to_have_text("返回工单")
    back.click()
    page.wait_for_url(CONSOLE)
    assert page.url.endswith("/desk/?view=team")  # the supervisor's console: their teams' tickets
    expect(page.locator("h1")).to_have_text("我的团队")
    expect(page.locator("#queue")).to_be_visible()

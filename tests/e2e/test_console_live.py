"""The live console in a real browser: two agents on one ticket, a screen pop, and a dropped
connection that catches up by itself."""
from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.e2e.staff import sign_in
from tests.factories import set_presence, ticket_body


def _agent_page(browser, live_server, email):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, email)
    return page


def test_a_customers_web_form_ticket_appears_on_the_agents_console_without_a_reload(page, browser, live_server,
                                                                                  app, world):
    with app.app_context():
        set_presence(world.id("nina"), "offline")
    sign_in(page, "anna@test.cc")
    page.goto("/desk/")  # the whole list (an agent lands on "My work")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "online")
    page.evaluate("window.__not_reloaded = true")
    customer = browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        form = customer.new_page()
        form.goto("/submit")
        form.check("input[name=kind][value=complaint]")
        form.fill("input[name=name]", "王芳")
        form.fill("input[name=phone]", "139 1111 2222")
        form.select_option("select[name=category]", "billing")
        form.fill("input[name=subject]", "话费多扣了 50 元")
        form.fill("textarea[name=description]", "十月份账单多扣了 50 元，请核实并退还。")
        form.click("button[type=submit]")
        form.wait_for_url("**/t/**")
    finally:
        customer.close()
    expect(page.locator("table.tickets tbody")).to_contain_text("话费多扣了 50 元", timeout=2000)
    assert page.evaluate("window.__not_reloaded") is True


def test_two_agents_on_one_ticket_see_each_other_and_the_second_sender_reviews(page, browser, live_server, app,
                                                                                 api, world):
    ticket = api.post("/api/v1/tickets", json=ticket_body(category="billing")).json
    sign_in(page, "anna@test.cc")
    page.goto(f"/desk/tickets/{ticket['id']}")
    bert = _agent_page(browser, live_server, "bert@test.cc")
    try:
        bert.goto(f"/desk/tickets/{ticket['id']}")
        expect(page.locator("#viewers")).to_contain_text("Bert")
        expect(bert.locator("#viewers")).to_contain_text("Anna")
        bert.fill("#reply-form textarea[name=body]", "退款将在三天内到账。")
        bert.locator("#reply-form textarea[name=body]").press("End")  # an input event: typing
        expect(page.locator("#viewers")).to_contain_text("正在输入")
        page.fill("#reply-form textarea[name=body]", "我们已为您退款。")
        page.click("#reply-form button[type=submit]")
        expect(page.locator(".flash.success")).to_be_visible()
        # Bert's page shows Anna's reply by itself, and his send is held for review.
        expect(bert.locator("#conversation")).to_contain_text("我们已为您退款。")
        bert.click("#reply-form button[type=submit]")
        expect(bert.locator("[data-review-changes]")).to_contain_text("我们已为您退款。")
        expect(bert.locator("#reply-form textarea[name=body]")).to_have_value("退款将在三天内到账。")
        bert.check("#reply-form input[name=internal]")
        bert.goto(f"/desk/tickets/{ticket['id']}")  # leaving and coming back keeps the draft, note or reply
        expect(bert.locator("#reply-form textarea[name=body]")).to_have_value("退款将在三天内到账。")
        expect(bert.locator("#reply-form input[name=internal]")).to_be_checked()
        expect(bert.locator("[data-restored-note]")).to_be_visible()
        bert.uncheck("#reply-form input[name=internal]")
        bert.click("#reply-form button[type=submit]")  # the reloaded page showed it all: it goes
        expect(bert.locator(".flash.success")).to_be_visible()
        expect(bert.locator("#conversation")).to_contain_text("退款将在三天内到账。")
        expect(bert.locator("#reply-form textarea[name=body]")).to_have_value("")  # sent: the kept draft is gone
        # console.js drops the kept draft as the page after the send loads: waited for, since
        # the page shows before its script has run
        bert.wait_for_function("Object.keys(localStorage).filter(k => k.startsWith('draft:')).length === 0")
    finally:
        bert.context.close()


def test_a_screen_pop_opens_the_callers_ticket(page, app, api, world):
    with app.app_context():
        set_presence(world.id("anna"), "offline")
        set_presence(world.id("bert"), "offline")
    ticket = api.post("/api/v1/tickets", json=ticket_body(category="billing")).json
    sign_in(page, "anna@test.cc")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    r = api.post("/api/v1/calls", who="admin", json={"caller": "+86 138 0013 8000", "agent_id": world.id("anna")})
    assert r.status_code == 201, r.json
    pop = page.locator("#screen-pop")
    expect(pop).to_be_visible(timeout=2000)
    expect(pop).to_contain_text("刘洋")
    pop.locator("[data-pop-open]").click()
    page.wait_for_url(f"**/desk/tickets/{ticket['id']}")


def test_an_unknown_callers_pop_opens_a_phone_ticket_with_the_number(page, app, api, world):
    sign_in(page, "anna@test.cc")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    api.post("/api/v1/calls", who="admin", json={"caller": "+86 139 1234 5678", "agent_id": world.id("anna")})
    expect(page.locator("#screen-pop")).to_contain_text("没有客户")
    page.locator("#screen-pop [data-pop-new]").click()
    expect(page.locator("input[name=phone]")).to_have_value("+86 139 1234 5678")


def test_a_dropped_connection_says_so_and_catches_up(page, app, api, world):
    with app.app_context():
        for name in ("nina", "anna", "bert"):  # nobody takes the ticket: no later event redraws the page
            set_presence(world.id(name), "offline")
    sign_in(page, "anna@test.cc")
    page.goto("/desk/")  # the whole list (an agent lands on "My work")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "online")
    page.context.set_offline(True)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "offline", timeout=60000)
    ticket = api.post("/api/v1/tickets", json=ticket_body(category="billing")).json  # missed while offline
    time.sleep(0.5)
    page.context.set_offline(False)
    expect(page.locator(f"tr[data-ticket-id='{ticket['id']}']")).to_be_visible(timeout=15000)
    expect(page.locator("#live-state")).to_have_text("已重新连接，页面已更新。")


def test_the_keyboard_opens_the_help_and_the_most_urgent_ticket(page, app, api, world):
    with app.app_context():
        set_presence(world.id("bert"), "offline")
        set_presence(world.id("anna"), "offline")
    calm = api.post("/api/v1/tickets", json=ticket_body(category="billing", priority="P4")).json
    urgent = api.post("/api/v1/tickets", json=ticket_body(category="billing", priority="P1")).json
    for t in (calm, urgent):
        api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna"), "override": True})
    sign_in(page, "anna@test.cc")
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()
    page.keyboard.press("n")
    page.wait_for_url(f"**/desk/tickets/{urgent['id']}")  # P1's SLA runs out first
    page.keyboard.press("r")
    expect(page.locator("#reply-form textarea[name=body]")).to_be_focused()
    page.keyboard.type("好的")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".flash.success")).to_be_visible()

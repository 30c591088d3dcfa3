"""Canned responses in a real browser: an agent writes a reply, puts the caret in the middle,
inserts one response by typing its shortcut and another from the button's list, and both land
at the caret with their placeholders filled; the reply is sent and the customer's status page
shows it."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from callcenter.actions import replies as reply_actions
from callcenter.actions import tickets as ticket_actions
from callcenter.extensions import db
from callcenter.tickets.models import TicketMessage
from tests.e2e.staff import sign_in
from tests.factories import actor_of, ticket_body

pytestmark = pytest.mark.timeout(120)


def test_an_agent_inserts_two_canned_responses_at_the_caret_and_the_customer_reads_the_reply(page, app, world):
    with app.app_context():
        ticket, _created = ticket_actions.create_ticket(ticket_body(language="zh"), actor_of(world, "boss"),
                                                        with_status_link=True)
        ticket_id, reference, status_token = ticket.id, ticket.reference, ticket.status_token
        reply_actions.create_canned({"scope": "site", "shortcut": "hello", "language": "zh", "title": "问候",
                                     "body": "{customer_name}您好，我是{agent_name}。"}, actor_of(world, "admin"))
        reply_actions.create_canned({"scope": "team", "team_id": world.teams["Billing"], "shortcut": "ref",
                                     "language": "en", "title": "Reference", "body": "Your ticket is {reference}."},
                                    actor_of(world, "boss"))
    sign_in(page, "anna@test.cc")
    page.goto(f"/desk/tickets/{ticket_id}")
    reply = page.locator("textarea[name=body]")
    reply.click()
    page.keyboard.type("开头 结尾")
    for _ in range(2):
        page.keyboard.press("ArrowLeft")  # the caret goes back before 结尾

    # by its shortcut: "/" and the word, the list shows under the reply, Tab puts it in
    page.keyboard.type("/hel")
    popup = page.locator("[data-canned-popup]")
    expect(popup).to_be_visible()
    expect(popup.locator("[role=option]")).to_have_count(1)
    page.keyboard.type("lo")
    page.keyboard.press("Tab")
    expect(popup).to_be_hidden()
    expect(reply).to_have_value("开头 刘洋您好，我是Anna。结尾")
    expect(reply).to_be_focused()
    page.keyboard.type(" ")

    # from the button: search, Enter; back in the reply, right where the caret was
    page.locator("[data-canned-open]").click()
    expect(popup).to_be_visible()
    page.keyboard.type("ref")
    expect(popup.locator("[role=option]")).to_have_count(1)
    page.keyboard.press("Enter")
    expected = f"开头 刘洋您好，我是Anna。 Your ticket is {reference}.结尾"
    expect(reply).to_have_value(expected)
    expect(reply).to_be_focused()
    caret = reply.evaluate("t => [t.selectionStart, t.selectionEnd]")
    assert caret == [len(expected) - 2] * 2  # after what went in, before 结尾

    # Escape closes the list and leaves the reply as it was
    page.keyboard.type(" /")
    expect(popup).to_be_visible()
    page.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")

    page.locator("form:has(textarea[name=body]) button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()
    with app.app_context():
        bodies = db.session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket_id)).all()
    assert expected in bodies
    customer = page.context.browser.new_context(base_url=page.url.split("/desk/")[0], locale="zh-CN")
    try:
        status_page = customer.new_page()
        status_page.goto(f"/t/{status_token}")
        expect(status_page.locator("body")).to_contain_text(expected)
    finally:
        customer.close()


def test_the_pickers_list_names_each_responses_language_not_its_code(page, app, world):
    with app.app_context():
        ticket, _created = ticket_actions.create_ticket(ticket_body(language="zh"), actor_of(world, "boss"))
        ticket_id = ticket.id
        admin = actor_of(world, "admin")
        for shortcut, language in (("hello", "zh"), ("thanks", "en")):
            reply_actions.create_canned({"scope": "site", "shortcut": shortcut, "language": language, "title": shortcut,
                                         "body": "text"}, admin)
    sign_in(page, "anna@test.cc")
    page.goto(f"/desk/tickets/{ticket_id}")
    page.locator("[data-canned-open]").click()
    options = page.locator("[data-canned-popup] [role=option]")
    expect(options).to_have_count(2)
    expect(options.nth(0).locator("[data-canned-language]")).to_have_text("中文 · 所有人（全站）")  # the ticket's language first
    expect(options.nth(1).locator("[data-canned-language]")).to_have_text("英文 · 所有人（全站）")
    expect(page.locator("[data-canned-popup]")).not_to_contain_text("ZH")
    expect(page.locator("[data-canned-popup]")).not_to_contain_text("EN")

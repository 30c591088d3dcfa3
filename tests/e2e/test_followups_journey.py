"""A callback and a survey end to end, in a real browser, with a real worker keeping time: the
customer asks to be called back on their status page, the agent's page shows the call fall due
with the number to dial, the agent records "no answer" and sees when the next try is, and after
the request is resolved the customer rates the service."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from callcenter.actions import tickets
from callcenter.actors import Actor
from callcenter.auth.models import User
from callcenter.extensions import db
from callcenter.followups.models import Survey
from callcenter.schedule import SCHEDULE
from tests.e2e.staff import sign_in
from tests.factories import ticket_body
from tests.processes import app_env, kill, scheduled_periodic, start_worker, wait_until

pytestmark = pytest.mark.timeout(240)
PHONE = "+86 139 0000 5555"


@pytest.fixture
def worker(app, redis, tmp_path):
    proc = start_worker(app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"]),
                        tmp_path / "worker.log")
    wait_until(lambda: scheduled_periodic(redis) == {p.name for p in SCHEDULE}, 30, what="the periodic jobs")
    yield proc
    kill(proc)


def _ticket_with_link(app, world) -> tuple[int, str]:
    with app.app_context():
        boss = db.session.get(User, world.id("boss"))
        ticket, _created = tickets.create_ticket(ticket_body(customer={"name": "孙丽", "phone": PHONE}),
                                                 Actor.of_user(boss), with_status_link=True)
        return ticket.id, ticket.status_token


def test_a_customer_books_a_callback_the_agent_calls_and_the_customer_rates_the_service(browser, live_server, app,
                                                                                       api, world, worker):
    ticket_id, token = _ticket_with_link(app, world)
    agent_page = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    customer = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    for p in (agent_page, customer):
        p.set_default_timeout(20000)
    assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "available"},
                   who="anna").status_code == 200
    sign_in(agent_page, "anna@test.cc")
    agent_page.goto("/desk/followups")
    expect(agent_page.locator("body")).to_have_attribute("data-live", "on")

    # the customer asks to be called back as soon as possible
    customer.goto(f"/t/{token}")
    customer.locator("#callback-form select[name=window]").select_option(index=0)
    customer.locator("#callback-form button[type=submit]").click()
    expect(customer.locator("[data-callback-status]")).to_have_count(1)

    # the worker's timer makes it work: the agent's page shows it with the number to call
    expect(agent_page.locator("#callback-notice")).to_be_visible()
    expect(agent_page.locator("#callback-notice [data-text]")).to_contain_text(PHONE)
    card = agent_page.locator("article.followup[data-kind=callback]")
    expect(card).to_have_count(1)
    expect(card.locator("a[data-phone]")).to_contain_text(PHONE)

    # no answer: the agent sees when the next try is
    card.locator("input[name=outcome][value=no_answer]").check()
    card.locator("textarea[name=note]").fill("无人接听")
    card.locator("button[type=submit]", has_text="记录").first.click()
    expect(agent_page.locator("[data-coming-up] tr[data-next-attempt]")).to_have_count(1)
    assert agent_page.locator("[data-coming-up] tr[data-next-attempt]").get_attribute("data-next-attempt")
    expect(agent_page.locator(".flash.success")).to_contain_text("下次尝试")

    # resolved: the customer finds the survey on their status page and rates the service
    api.post(f"/api/v1/tickets/{ticket_id}/assign", json={"agent_id": world.id("anna")})
    for to in ("in_progress", "resolved"):
        assert api.post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": to}, who="anna").status_code == 200
    customer.goto(f"/t/{token}")
    customer.locator("a[data-survey=open]").click()
    customer.locator("#survey-form input[name=csat][value='5']").check()
    customer.locator("#survey-form input[name=nps][value='9']").check()
    customer.locator("#survey-form textarea[name=comment]").fill("回电很及时")
    customer.locator("#survey-form button[type=submit]").click()
    expect(customer.locator("[data-survey=answered]")).to_be_visible()
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id))
        assert (survey.csat, survey.nps, survey.comment) == (5, 9, "回电很及时")
    for p in (agent_page, customer):
        p.context.close()

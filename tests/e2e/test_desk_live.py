"""The staff pages stay live in a real browser: a new ticket for the agent's team shows at once,
another team's does not, and closing the last page starts the away timer."""
import time

import redis as redis_lib
from playwright.sync_api import expect
from rq.registry import ScheduledJobRegistry

from tests.e2e.staff import sign_in as _sign_in
from tests.factories import set_presence, ticket_body

# The agent allowed notifications: each one's title is kept for the test to read.
NOTIFICATIONS_ALLOWED = """
window.__notifications = [];
window.Notification = function (title) { window.__notifications.push(title); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def test_an_agents_console_shows_their_teams_new_tickets_by_itself(page, app, api, world):
    with app.app_context():
        set_presence(world.id("nina"), "offline")
    _sign_in(page, "anna@test.cc")
    page.goto("/desk/")  # the whole list (an agent lands on "My work")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    page.evaluate("window.__not_reloaded = true")
    api.post("/api/v1/tickets", json=ticket_body(category="network"))  # Nina's team: anna hears nothing
    time.sleep(1.0)
    expect(page.locator("table.tickets tbody tr[data-ticket-id]")).to_have_count(0)
    expect(page.locator("[data-counter=waiting] strong")).to_have_text("0")
    ticket = api.post("/api/v1/tickets", json=ticket_body(category="billing")).json
    row = page.locator(f"table.tickets tbody tr[data-ticket-id='{ticket['id']}']")
    expect(row).to_be_visible(timeout=2000)  # within 2 s, no reload
    expect(page.locator("[data-counter=waiting] strong")).to_have_text("1")
    expect(page.locator("#live-banner")).to_be_hidden()
    assert page.evaluate("window.__not_reloaded") is True


def test_work_moved_away_leaves_the_console_and_an_assignment_to_me_rings(page, app, api, world):
    with app.app_context():
        set_presence(world.id("anna"), "offline")
        set_presence(world.id("bert"), "offline")
    ticket = api.post("/api/v1/tickets", json=ticket_body(category="billing")).json
    page.add_init_script(NOTIFICATIONS_ALLOWED)
    _sign_in(page, "anna@test.cc")
    page.goto("/desk/?view=mine")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    expect(page.locator("table.tickets tbody tr[data-ticket-id]")).to_have_count(0)
    r = api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("anna"), "override": True})
    assert r.status_code == 200, r.json
    expect(page.locator(f"tr[data-ticket-id='{ticket['id']}']")).to_be_visible(timeout=2000)
    expect(page.locator("body")).to_have_attribute("data-new-work", "1")
    # the browser notification leads in with the page's words (zh-CN here)
    assert page.evaluate("window.__notifications") == [f"新工单：{ticket['reference']} · {ticket['subject']}"]
    expect(page.locator("[data-counter=mine] strong")).to_have_text("1")
    api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("bert"), "override": True})
    expect(page.locator("table.tickets tbody tr[data-ticket-id]")).to_have_count(0, timeout=2000)
    expect(page.locator("[data-counter=mine] strong")).to_have_text("0")


def test_closing_the_last_desk_page_starts_the_away_timer(page, app, world):
    with app.app_context():
        set_presence(world.id("anna"), "available")
    _sign_in(page, "anna@test.cc")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    page.context.close()
    registry = ScheduledJobRegistry("high", connection=redis_lib.Redis.from_url(app.config["REDIS_URL"]))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(j.startswith(f"presence-away-{world.id('anna')}-") for j in registry.get_job_ids()):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("no away timer after the page closed")


def test_an_agents_desk_announces_a_breach_on_their_ticket_as_it_fires(page, app, api, world):
    from callcenter.actions import sla

    assert api.post("/api/v1/sla-policies", who="admin", json={
        "name": "fast", "warn_at": [], "targets": {"first_response_seconds": 1, "resolution_seconds": 86400}}
    ).status_code == 201
    _sign_in(page, "anna@test.cc")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    ticket = api.post("/api/v1/tickets", json=ticket_body()).json
    api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("anna")})
    time.sleep(1.2)
    with app.app_context():
        assert sla.sweep() >= 1
    expect(page.locator("#live-banner [data-text]")).to_have_text(f"SLA 超时：{ticket['reference']}")

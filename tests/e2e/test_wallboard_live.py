"""The wallboard in a real browser redraws itself from /console events: a breach shows the
moment the check fires it, and a reply takes the ticket off the at-risk list, without a reload."""
import os
import time
from pathlib import Path

from playwright.sync_api import expect

from callcenter.actions import sla
from tests.e2e.staff import sign_in
from tests.factories import ticket_body

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def test_the_wallboard_shows_a_breach_as_it_fires_and_drops_it_when_answered(page, app, api, world):
    assert api.post("/api/v1/sla-policies", who="admin", json={
        "name": "P1 two seconds", "match": {"priority": "P1"}, "warn_at": [],
        "targets": {"first_response_seconds": 2, "resolution_seconds": 86400}}).status_code == 201
    sign_in(page, "boss@test.cc")
    page.goto("/wallboard")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    page.evaluate("window.sameDocument = true")
    breached_tile = page.locator('[data-tile="breached"] .n')
    expect(breached_tile).to_have_text("0")

    ticket = api.post("/api/v1/tickets", json=ticket_body(priority="P1", subject="停电三天无人处理")).json
    time.sleep(2.2)
    with app.app_context():
        assert sla.sweep() >= 1  # what the periodic job does; it emits sla.breached after commit
    row = page.locator(f'tr[data-ticket-id="{ticket["id"]}"]')
    expect(row).to_have_attribute("data-state", "breached")
    expect(breached_tile).to_have_text("1")
    expect(row).to_contain_text("已超")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wallboard.png"), full_page=True)

    assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", who="boss",
                    json={"body": "马上处理", "internal": False}).status_code == 201
    expect(row).to_have_count(0)
    expect(breached_tile).to_have_text("0")
    assert page.evaluate("window.sameDocument") is True  # redrawn in place, never reloaded
    expect(page.locator("#live-banner")).to_be_hidden()  # the board needs no "refresh" banner


def test_the_widest_figures_fit_their_tiles_on_a_laptop_screen(page, world):
    """Each tile takes the widest value its figure can show ("100.0%", a wait in minutes and
    seconds) without the number running into the next tile."""
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "boss@test.cc")
    page.goto("/wallboard")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    spilled = page.evaluate("""(values) => {
      const out = [];
      for (const value of values) {
        for (const n of document.querySelectorAll('.tile .n')) {
          n.textContent = value;
          if (n.scrollWidth > n.clientWidth + 0.5) out.push(value + ' in ' + n.parentElement.dataset.tile);
        }
      }
      return out;
    }""", ["100.0%", "59 分 59 秒", "59 min 59 s", "+100"])
    assert spilled == []

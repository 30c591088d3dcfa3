"""The reports page in a real browser: ECharts draws its charts from the page's JSON block under
the strict CSP, with no console error (a hover's tooltip included), and the page fits a laptop
(1366 px) and a phone (390 px) in Chinese and in English without scrolling sideways."""
import os
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from callcenter.actions import assignment
from tests.e2e.staff import sign_in
from tests.e2e.test_layout import MEASURE
from tests.factories import actor_of, moved, ticket_at

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _week(app, world) -> str:
    """A week of tickets: answered, resolved, one abandoned, one complaint closed with its cause."""
    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.now(zone).date()
    with app.app_context():
        for n in range(7):
            at = datetime.combine(today - timedelta(days=n), time(9 + n), zone).astimezone(timezone.utc)
            tid = ticket_at(world, at, kind="inquiry").id
            assignment.assign(tid, world.id(("anna", "bert")[n % 2]), actor_of(world, "boss"),
                              now=at + timedelta(seconds=4 * n + 5))
            moved(world, tid, at + timedelta(hours=n + 1), "resolved", by=("anna", "bert")[n % 2])
        at = datetime.combine(today - timedelta(days=1), time(11), zone).astimezone(timezone.utc)
        moved(world, ticket_at(world, at, kind="inquiry").id, at + timedelta(seconds=40), "cancelled")
        complaint = ticket_at(world, at, kind="complaint", category="network").id
        assignment.assign(complaint, world.id("nina"), actor_of(world, "boss"), now=at + timedelta(seconds=30))
        moved(world, complaint, at + timedelta(hours=2), "resolved", by="nina")
        moved(world, complaint, at + timedelta(hours=3), "closed", by="nina", resolution={
            "resolution_summary": "线路已修复", "root_cause": "光缆被施工挖断，抢修队伍在四小时后到达现场",
            "responsible_department": "网络运维部"})
    return f"/reports?from={(today - timedelta(days=6)).isoformat()}&to={today.isoformat()}"


def _open(browser, live_server, locale: str, width: int, height: int):
    """A supervisor signed in, in a window of this size and language; errors: what the console says
    went wrong (the browser's own /favicon.ico request, which no page of the desk makes, aside)."""
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not (m.location or {}).get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, "boss@test.cc")
    return context, page, errors


def test_the_report_draws_its_charts_without_a_console_error_and_fits_a_laptop_and_a_phone(browser, live_server,
                                                                                            app, world):
    path = _week(app, world)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for locale in ("zh-CN", "en-US"):
        for width, height in ((1366, 768), (390, 844)):
            context, page, errors = _open(browser, live_server, locale, width, height)
            page.goto(path)
            for chart in ("daily", "hourly", "resolution"):
                box = page.locator(f'[data-chart="{chart}"]')
                expect(box).to_have_attribute("data-rendered", "1")  # ECharts' "finished" event
                expect(box.locator("canvas")).to_have_count(1)
                canvas = box.locator("canvas").bounding_box()
                assert canvas and canvas["width"] > 200 and canvas["height"] > 200, (chart, canvas)
            page.locator('[data-chart="daily"]').scroll_into_view_if_needed()
            daily = page.locator('[data-chart="daily"] canvas').bounding_box()
            page.mouse.move(daily["x"] + daily["width"] * 0.6, daily["y"] + daily["height"] * 0.6)  # the tooltip
            page.wait_for_timeout(300)
            m = page.evaluate(MEASURE)  # the layout test's measure: the page, and what sticks out of it
            assert m["scrollWidth"] <= m["innerWidth"], (locale, width, m["culprits"])  # never scrolls sideways
            assert not m["spill"], (locale, width, m["spill"])  # nothing sticks out of its card
            page.screenshot(path=str(ARTIFACTS / f"reports-{width}-{locale}.png"), full_page=True)
            assert page.evaluate("window.__csp") == [], (locale, width)
            assert errors == [], (locale, width, errors)
            context.close()

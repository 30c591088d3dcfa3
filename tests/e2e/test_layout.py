"""Every page fits a laptop (1366x768) and a phone (390x844), in Chinese and in English.

One browser context per size and language visits the customer pages, signs in as the admin
(who sees the most header links) and walks every staff page. On each page: the document does
not scroll sideways, and every header item (nav links, language switch, name, Sign out) sits on
one line. A full-page screenshot of each is kept: under pytest's temp dir, or in SCREENSHOTS_DIR
when that is set, for a person to look at.
"""
import os
from pathlib import Path

import pytest

from tests.e2e.staff import sign_in
from tests.factories import create_ticket, ticket_body

SIZES = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}
LOCALES = {"zh": ("zh-CN", "zh_CN"), "en": ("en-US", "en")}

# Measured in the page: how far the document reaches past the viewport, and which header items
# take more than one line (a label wrapped or broken inside a word) or stick out of the viewport.
MEASURE = """() => {
  const doc = document.documentElement;
  const oneLine = (el) => {
    const style = getComputedStyle(el);
    let line = parseFloat(style.lineHeight);
    if (Number.isNaN(line)) line = parseFloat(style.fontSize) * 1.5;
    const box = el.getBoundingClientRect();
    const pad = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
              + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
    return box.height - pad <= line * 1.4;
  };
  const items = [...document.querySelectorAll(
    'header.top nav a, header.top .right a, header.top .right .who, header.top .right button')]
    .filter((el) => el.getClientRects().length > 0);
  const label = (el) => (el.textContent || '').trim().replace(/\\s+/g, ' ');
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox === 'auto' || ox === 'scroll') return true;
    }
    return false;
  };
  return {
    scrollWidth: doc.scrollWidth,
    innerWidth: window.innerWidth,
    wrapped: items.filter((el) => !oneLine(el)).map(label),
    // Rows the nav's links fill: their vertical middles, a row being anything within 12px.
    rows: items.filter((el) => el.closest('nav'))
      .map((el) => { const b = el.getBoundingClientRect(); return b.top + b.height / 2; })
      .sort((a, b) => a - b).filter((y, i, all) => i === 0 || y - all[i - 1] > 12).length,
    outside: items.filter((el) => !scroller(el)
      && (el.getBoundingClientRect().right > window.innerWidth + 0.5 || el.getBoundingClientRect().left < -0.5))
      .map(label),
    // Fields, buttons and tables that stick out of their card (or of main), outside any scroller.
    spill: [...document.querySelectorAll(
      'main input, main select, main textarea, main button, main .button, main table, main img, main pre')]
      .filter((el) => el.getClientRects().length > 0 && !scroller(el))
      .filter((el) => {
        const card = el.closest('.card');
        const b = el.getBoundingClientRect();
        if (card) {
          const box = card.getBoundingClientRect();
          return b.right > box.right + 0.5 || b.left < box.left - 0.5;
        }
        const main = el.closest('main'), box = main.getBoundingClientRect(), style = getComputedStyle(main);
        return b.right > box.right - parseFloat(style.paddingRight) + 0.5
          || b.left < box.left + parseFloat(style.paddingLeft) - 0.5;
      })
      .slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '')
        + ' (' + Math.round(el.getBoundingClientRect().right) + 'px)'),
    // What reaches past the right edge, to say why a page scrolls sideways.
    culprits: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !scroller(el))
      .filter((el) => !el.parentElement
        || el.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
      .slice(0, 5)
      .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
        + ' (' + Math.round(el.getBoundingClientRect().right) + 'px)'),
  };
}"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    wanted = os.environ.get("SCREENSHOTS_DIR")
    if wanted:
        path = Path(wanted)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("layout")


def _desk(app, api, world):
    """Something on every page: tickets (one with a status link), a rule, a policy, a calendar."""
    from callcenter.actions import tickets
    from callcenter.actors import Actor

    with app.app_context():
        first = create_ticket(world, subject="October bill charged twice, and the refund has not arrived yet")
        create_ticket(world, category="network", kind="service_request", subject="宽带每天晚上八点以后断线，已经持续一周")
        web, _ = tickets.create_ticket(ticket_body(channel="web", subject="Internet keeps dropping every evening"),
                                       Actor.customer("王芳"), with_status_link=True)
        ids = {"ticket": first.id, "customer": first.customer_id, "token": web.status_token}
    api.post(f"/api/v1/tickets/{ids['ticket']}/messages", json={"body": "We are checking your October bill now."})
    rule = api.post("/api/v1/routing-rules", who="admin", json={
        "name": "VIP billing complaints", "match": {"kind": "complaint", "category": "billing"},
        "skills": {"billing": 2}, "priority": "P2"})
    calendar = api.post("/api/v1/sla-calendars", who="admin", json={
        "name": "Office hours", "tz": "Asia/Shanghai", "country": "CN",
        "weekly": {str(d): "09:00-12:00,13:00-18:00" for d in range(5)}})
    policy = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "Complaints", "match": {"kind": "complaint"}, "calendar": "Office hours",
        "targets": {"first_response_seconds": 1800, "resolution_seconds": 86400}})
    for response in (rule, calendar, policy):
        assert response.status_code == 201, response.get_data(as_text=True)
    ids.update(rule=rule.json["id"], calendar=calendar.json["id"], policy=policy.json["id"])
    return ids


def _pages(ids, world):
    return [
        ("desk", "/desk/"), ("desk-mine", "/desk/?mine=1"), ("ticket", f"/desk/tickets/{ids['ticket']}"),
        ("phone", "/desk/phone"), ("customer", f"/desk/customers/{ids['customer']}"), ("queue", "/desk/queue"),
        ("routing-rules", "/desk/routing-rules"), ("routing-rule", f"/desk/routing-rules/{ids['rule']}"),
        ("sla-policies", "/desk/sla-policies"), ("sla-policy", f"/desk/sla-policies/{ids['policy']}"),
        ("sla-calendar", f"/desk/sla-calendars/{ids['calendar']}"), ("tokens", "/desk/tokens"),
        ("outbox", "/desk/outbox"), ("wallboard", "/wallboard"), ("agents", "/desk/agents"), ("users", "/admin/users"),
        ("user-new", "/admin/users/new"), ("user", f"/admin/users/{world.id('anna')}"), ("teams", "/admin/teams"),
        ("skills", "/admin/skills"), ("categories", "/admin/categories"), ("setup-log", "/admin/setup-log"),
        ("wallboard-colours", "/admin/wallboard"),
    ]


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_the_screen(browser, live_server, app, api, world, shots, size, lang):
    ids = _desk(app, api, world)
    browser_locale, code = LOCALES[lang]
    html_lang = "zh-CN" if lang == "zh" else "en"
    context = browser.new_context(base_url=live_server.url, locale=browser_locale, viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []

    def check(name: str, path: str) -> None:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
        page.screenshot(path=str(shots / f"{name}-{size}-{lang}.png"), full_page=True)
        m = page.evaluate(MEASURE)
        if m["scrollWidth"] > m["innerWidth"]:
            problems.append(f"{path}: the page is {m['scrollWidth']}px wide in a {m['innerWidth']}px window"
                            f" ({', '.join(m['culprits']) or '?'})")
        if m["spill"]:
            problems.append(f"{path}: sticking out of their card (or the page margin): {', '.join(m['spill'])}")
        if m["wrapped"]:
            problems.append(f"{path}: header items on more than one line: {m['wrapped']}")
        if size == "1366" and m["rows"] > 1:
            problems.append(f"{path}: the nav takes {m['rows']} rows at 1366 px")
        if m["outside"]:
            problems.append(f"{path}: header items outside the window: {m['outside']}")

    try:
        page.goto("/submit")
        page.click(f"header.top a[data-lang={code}]")
        assert page.locator("html").get_attribute("lang") == html_lang
        check("submit", "/submit")
        check("status", f"/t/{ids['token']}")
        check("login", "/login")
        sign_in(page, "admin@test.cc")
        page.click(f"header.top a[data-lang={code}]")  # the admin's own choice, kept on the account
        assert page.locator("html").get_attribute("lang") == html_lang
        for name, path in _pages(ids, world):
            check(name, path)
        page.locator("header.top").screenshot(path=str(shots / f"header-{size}-{lang}.png"))
    finally:
        context.close()
    assert not problems, f"{size} px, {lang}:\n" + "\n".join(problems)

"""The follow-up pages in a real browser: a callback that becomes an agent's work shows its number
at once and joins their list without a reload; a redraw never takes what the agent is typing;
the pages fit a phone and a laptop in both languages."""
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from callcenter.actions import followup_routing, followups
from tests.e2e.staff import sign_in
from tests.e2e.test_layout import LOCALES, MEASURE, SIZES
from tests.factories import actor_of, set_presence, ticket_at

T0 = datetime(2030, 3, 4, 2, 0, tzinfo=timezone.utc)


def _callback_for(app, world, phone: str) -> int:
    """A callback booked at T0 that falls due now: the one available agent gets it."""
    with app.app_context():
        start = T0 + timedelta(hours=1)
        callback = followups.request_callback({"phone": phone, "name": "王芳", "window_start": start,
                                               "window_end": start + timedelta(hours=1)},
                                              actor_of(world, "boss"), now=T0)
        followup_id = callback.id
        followup_routing.due(followup_id, start)
        return followup_id


def _open_follow_ups(page, app, world, who="anna"):
    with app.app_context():
        set_presence(world.id(who), "available")
    sign_in(page, f"{who}@test.cc")
    page.goto("/desk/followups")
    expect(page.locator("body")).to_have_attribute("data-live", "on")


def test_a_callback_given_to_the_agent_shows_its_number_at_once_and_joins_their_list(page, app, world):
    _open_follow_ups(page, app, world)
    expect(page.locator("[data-none-mine]")).to_be_visible()
    followup_id = _callback_for(app, world, "+86 139 0000 1111")
    expect(page.locator("#callback-notice")).to_be_visible()
    expect(page.locator("#callback-notice [data-text]")).to_contain_text("+86 139 0000 1111")
    card = page.locator(f"article[data-followup-id='{followup_id}']")
    expect(card).to_be_visible()
    expect(card.locator("a[data-phone]")).to_have_attribute("href", "tel:+8613900001111")


def test_a_redraw_never_takes_what_the_agent_is_typing(page, app, world):
    with app.app_context():
        set_presence(world.id("anna"), "available")
    first = _callback_for(app, world, "+86 139 0000 1111")
    _open_follow_ups(page, app, world)
    note = page.locator(f"form[data-attempt-form='{first}'] textarea[name=note]")
    note.fill("她说下午三点以后再打")
    _callback_for(app, world, "+86 137 0000 2222")
    expect(page.locator("#callback-notice [data-text]")).to_contain_text("+86 137 0000 2222")
    expect(page.locator("#followups-stale")).to_be_visible()
    expect(note).to_have_value("她说下午三点以后再打")


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("size", SIZES)
def test_the_follow_up_pages_fit_the_screen(browser, live_server, app, world, size, lang):
    with app.app_context():
        ticket_id = ticket_at(world, T0).id
        set_presence(world.id("anna"), "available")
    _callback_for(app, world, "+86 139 0000 1111")  # anna's, on the supervisor's list of every open one
    browser_locale, code = LOCALES[lang]
    context = browser.new_context(base_url=live_server.url, locale=browser_locale, viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    try:
        for who, paths in (("boss", ["/desk/followups", f"/desk/tickets/{ticket_id}", "/admin/followups"]),
                           ("admin", ["/admin/followups"])):
            sign_in(page, f"{who}@test.cc")
            page.click(f"header.top a[data-lang={code}]")
            for path in paths:
                assert page.goto(path).ok, path
                m = page.evaluate(MEASURE)
                if m["scrollWidth"] > m["innerWidth"]:
                    problems.append(f"{who} {path}: {m['scrollWidth']}px wide ({', '.join(m['culprits'])})")
                if m["spill"]:
                    problems.append(f"{who} {path}: sticking out: {', '.join(m['spill'])}")
            page.context.clear_cookies()
    finally:
        context.close()
    assert not problems, f"{size} px, {lang}:\n" + "\n".join(problems)

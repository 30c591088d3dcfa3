"""Every page keeps the Content-Security-Policy in a real browser: no script, style or socket
is refused (the policy has no inline allowance), and what the inline handlers did still works."""
from playwright.sync_api import expect

from tests.e2e.staff import sign_in
from tests.factories import set_presence, ticket_body

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_no_page_breaks_the_policy_and_the_presence_switch_still_submits(page, app, api, world):
    with app.app_context():
        set_presence(world.id("boss"), "available")
    tid = api.post("/api/v1/tickets", json=ticket_body()).json["id"]
    page.add_init_script(RECORD_VIOLATIONS)
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto("/submit")
    assert page.evaluate("window.__csp") == []
    sign_in(page, "boss@test.cc")
    for path in ("/desk/", f"/desk/tickets/{tid}", "/desk/phone", "/desk/queue", "/wallboard", "/desk/routing-rules",
                 "/desk/sla-policies"):
        page.goto(path)
        expect(page.locator("body")).to_have_attribute("data-live", "on")  # the console socket connected
        assert page.evaluate("window.__csp") == [], path
    assert not [m for m in messages if "Content Security Policy" in m]
    page.goto("/desk/")
    page.select_option("select[name=state]", "away")  # submits by itself (app.js), no inline handler
    expect(page.locator("select[name=state]")).to_have_attribute("data-presence", "away")

"""The customer form /submit and the private status page /t/<token>."""
from sqlalchemy import func, select

from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.factories import csrf_from

GOOD = {"kind": "complaint", "name": "王芳", "phone": "139 1111 2222", "email": "", "category": "billing",
        "subject": "话费多扣了", "description": "十月份话费多扣了 50 元，请核实退还。"}


def _submit(client, headers=None, **overrides):
    token = csrf_from(client.get("/submit", headers=headers).get_data(as_text=True))
    return client.post("/submit", data={**GOOD, **overrides, "csrf_token": token}, headers=headers)


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Ticket.id)))


def test_form_lists_kinds_and_categories(client, world):
    html = client.get("/submit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'value="complaint"' in html and 'value="service_request"' in html and 'value="inquiry"' in html
    assert "账单" in html and 'name="csrf_token"' in html


def test_valid_submission_redirects_to_a_status_page_with_the_reference(app, client, world):
    r = _submit(client, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/t/")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.channel.value == "web" and ticket.customer.name == "王芳" and ticket.team.name == "Billing"
        assert ticket.language == "zh"  # the page was in Chinese
    assert ticket.reference in page and "话费多扣了" in page


def test_invalid_submission_shows_field_errors_and_keeps_what_was_typed(app, client, world):
    r = _submit(client, name="", phone="call me maybe", email="not-an-email", description="x")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    for field in ("name", "phone", "email", "description"):
        assert f'data-error-for="{field}"' in html, field
    assert 'value="not-an-email"' in html and "话费多扣了" in html  # kept
    assert _count(app) == 0


def test_a_phone_or_an_email_is_required(app, client, world):
    r = _submit(client, phone="", email="")
    assert r.status_code == 400 and 'data-error-for="email"' in r.get_data(as_text=True)
    assert _count(app) == 0


def test_unknown_kind_or_category_is_a_field_error(app, client, world):
    r = _submit(client, kind="rant", category="weather")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'data-error-for="kind"' in html and 'data-error-for="category"' in html


def test_post_without_csrf_token_is_refused(app, client, world):
    r = client.post("/submit", data=GOOD)
    assert r.status_code == 400
    assert _count(app) == 0


def test_customer_reply_on_the_status_page_resumes_a_pending_ticket(app, client, api, world):
    location = _submit(client).headers["Location"]
    with app.app_context():
        tid = db.session.scalar(select(Ticket.id))
    api.post(f"/api/v1/tickets/{tid}/messages", json={"body": "请提供账单截图"})
    api.post(f"/api/v1/tickets/{tid}/messages", json={"body": "internal: check ledger", "internal": True})
    api.post(f"/api/v1/tickets/{tid}/transitions", json={"to": "pending_customer"})
    page = client.get(location).get_data(as_text=True)
    assert "请提供账单截图" in page and "check ledger" not in page  # internal notes stay internal
    token = csrf_from(page)
    r = client.post(location + "/reply", data={"body": "截图已上传", "csrf_token": token})
    assert r.status_code == 302
    ticket = api.get(f"/api/v1/tickets/{tid}").json
    assert ticket["status"] == "in_progress"
    events = api.get(f"/api/v1/tickets/{tid}/events").json["items"]
    assert events[-1]["actor"]["kind"] == "customer"


def test_customer_reply_reopens_a_resolved_ticket(app, client, api, world):
    location = _submit(client).headers["Location"]
    with app.app_context():
        tid = db.session.scalar(select(Ticket.id))
    for to in ("in_progress", "resolved"):
        api.post(f"/api/v1/tickets/{tid}/transitions", json={"to": to})
    token = csrf_from(client.get(location).get_data(as_text=True))
    client.post(location + "/reply", data={"body": "还是没退", "csrf_token": token})
    assert api.get(f"/api/v1/tickets/{tid}").json["reopen_count"] == 1


def test_empty_reply_is_a_form_error(client, world):
    location = _submit(client).headers["Location"]
    token = csrf_from(client.get(location).get_data(as_text=True))
    r = client.post(location + "/reply", data={"body": "", "csrf_token": token})
    assert r.status_code == 400 and 'data-error-for="body"' in r.get_data(as_text=True)


def test_closed_ticket_takes_no_reply(app, client, api, world):
    location = _submit(client, kind="inquiry").headers["Location"]
    with app.app_context():
        tid = db.session.scalar(select(Ticket.id))
    for to in ("in_progress", "resolved", "closed"):
        api.post(f"/api/v1/tickets/{tid}/transitions", json={"to": to})
    page = client.get(location).get_data(as_text=True)
    assert 'name="body"' not in page
    token = csrf_from(client.get("/submit").get_data(as_text=True))  # the session's token
    r = client.post(location + "/reply", data={"body": "hello?", "csrf_token": token})
    assert r.status_code == 400 and 'data-error-for="body"' in r.get_data(as_text=True)


def test_unknown_status_token_is_a_404_page(client, world):
    r = client.get("/t/not-a-real-token")
    assert r.status_code == 404 and "<html" in r.get_data(as_text=True)


def test_a_ticket_written_on_the_english_page_is_in_english(app, client, world):
    _submit(client, headers={"Accept-Language": "en"})
    with app.app_context():
        assert db.session.scalar(select(Ticket.language)) == "en"


def test_an_expired_form_is_a_translated_page_not_a_stack(client, world):
    r = client.post("/submit", data=GOOD, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and "刷新" in r.get_data(as_text=True)

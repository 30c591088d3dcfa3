"""/desk/outbox: admins read every message to customers, newest first, a page at a time, with
the ticket each belongs to; nobody else reads it."""
from __future__ import annotations

import re

from sqlalchemy import event

from callcenter.extensions import db
from callcenter.notifications import delivery, views
from tests.factories import login, run_jobs, ticket_body


def _ticket(api, email: str) -> dict:
    r = api.post("/api/v1/tickets", json=ticket_body(language="en", customer={"name": "Sam", "email": email}))
    assert r.status_code == 201, r.json
    return r.json


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-message-id="\d+" data-status="(\w+)">', html)


def test_admins_read_the_outbox_newest_first_each_message_linked_to_its_ticket(app, api, client, world, monkeypatch):
    monkeypatch.setattr(delivery, "send", lambda *a: None)
    first = _ticket(api, "first@example.com")
    run_jobs(app)  # the first acknowledgement goes out; the second waits
    second = _ticket(api, "second@example.com")
    login(client, "admin@test.cc")
    r = client.get("/desk/outbox")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert _rows(html) == ["queued", "sent"]
    assert html.index("second@example.com") < html.index("first@example.com")
    for t in (first, second):
        assert f'<a href="/desk/tickets/{t["id"]}">{t["reference"]}</a>' in html
        assert f"We received your request {t['reference']}" in html
    # The stored text holds no working link, and the page does not pretend it does.
    assert "[status link]" in html and "[[status-link:" not in html and "/t/" not in html
    assert 'href="/desk/outbox"' in html  # the admin's navigation leads here


def test_supervisors_and_agents_are_refused_and_anonymous_visitors_sent_to_sign_in(app, client, world):
    assert client.get("/desk/outbox").headers["Location"].startswith("/login")
    for email in ("boss@test.cc", "anna@test.cc"):
        staff = app.test_client()
        login(staff, email)
        assert 'href="/desk/outbox"' not in staff.get("/desk/").get_data(as_text=True)
        assert staff.get("/desk/outbox").status_code == 403


def test_the_outbox_is_read_in_pages_in_the_same_queries_however_many_messages(app, api, client, world, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    login(client, "admin@test.cc")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def read(path: str) -> tuple[str, int]:
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                statements.clear()
                html = client.get(path).get_data(as_text=True)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        return html, len(statements)

    _ticket(api, "a@example.com")
    read("/desk/outbox")  # the session's first page loads more than the outbox: not counted
    _, one = read("/desk/outbox")
    for email in ("b@example.com", "c@example.com"):
        _ticket(api, email)
    page1, two = read("/desk/outbox")
    assert one == two, (one, two)  # no query per message
    assert len(_rows(page1)) == 2 and "c@example.com" in page1 and 'href="/desk/outbox?page=2"' in page1
    page2, _ = read("/desk/outbox?page=2")
    assert len(_rows(page2)) == 1 and "a@example.com" in page2 and 'href="/desk/outbox?page=1"' in page2
    assert _rows(read("/desk/outbox?page=99999999999999999999")[0]) == []  # far past the end: empty, no error


def test_the_outbox_reads_in_chinese(app, api, client, world):
    _ticket(api, "zh@example.com")
    login(client, "admin@test.cc")
    client.get("/lang/zh_CN")
    html = client.get("/desk/outbox").get_data(as_text=True)
    assert "发件箱" in html and "待发送" in html and "[状态链接]" in html and "收件人" in html

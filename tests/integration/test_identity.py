"""Who a ticket is from: suggestions staff decide, trusted links, search by phone, status links."""
import hashlib
import re
from datetime import timedelta

from sqlalchemy import select, text

from callcenter.customers.models import Customer, CustomerMatch
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.notifications.models import OutboundMessage
from callcenter.tickets.models import StatusLink, Ticket, TicketEvent
from tests.factories import csrf_from, login, logout, run_jobs, ticket_body


def _staff_ticket(api, customer, who="boss", **kw):
    r = api.post("/api/v1/tickets", json=ticket_body(customer=customer, **kw), who=who)
    assert r.status_code == 201, r.json
    return r.json


def _submit(client, **fields):
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    data = {"kind": "complaint", "category": "billing", "subject": "bill", "description": "charged twice in October",
            "email": "", "phone": "139 2222 3333", "name": "Someone", **fields, "csrf_token": token}
    r = client.post("/submit", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def _newest(app):
    with app.app_context():
        return db.session.scalar(select(Ticket.id).order_by(Ticket.id.desc()))


def _vip(api):
    vip = _staff_ticket(api, {"name": "刘洋", "phone": "13800138000", "email": "liu@example.cn"}, kind="inquiry")
    assert api.patch(f"/api/v1/customers/{vip['customer']['id']}", json={"tier": "VIP"}).status_code == 200
    return vip


# ---------------------------------------------------------------- suggestions staff decide

def test_confirming_a_suggestion_links_the_ticket_raises_it_for_a_vip_and_is_audited(app, api, client, world):
    vip = _vip(api)
    _submit(client, name="刘洋", phone="+86 138 0013 8000", kind="inquiry")
    tid = _newest(app)
    assert api.get(f"/api/v1/tickets/{tid}").json["priority"] == "P4"
    [match] = api.get(f"/api/v1/tickets/{tid}/customer-matches").json
    r = api.post(f"/api/v1/tickets/{tid}/customer-matches/{match['id']}", json={"decision": "confirm"})
    assert r.status_code == 200
    assert r.json["customer"]["id"] == vip["customer"]["id"] and r.json["customer_verified"]
    assert r.json["priority"] == "P3"  # a VIP's inquiry, one step up
    history = api.get(f"/api/v1/customers/{vip['customer']['id']}").json["tickets"]
    assert tid in [t["id"] for t in history]
    events = api.get(f"/api/v1/tickets/{tid}/events").json["items"]
    linked = [e for e in events if e["kind"] == "customer_linked"]
    assert len(linked) == 1 and linked[0]["actor"]["name"] == "Boss" and linked[0]["data"]["matched_on"] == ["phone"]
    assert api.post(f"/api/v1/tickets/{tid}/customer-matches/{match['id']}",
                    json={"decision": "reject"}).status_code == 409  # decided once


def test_rejecting_the_last_suggestion_records_the_contact_as_a_new_customer(app, api, client, world):
    vip = _vip(api)
    _submit(client, name="赵先生", phone="13800138000")
    tid = _newest(app)
    [match] = api.get(f"/api/v1/tickets/{tid}/customer-matches").json
    r = api.post(f"/api/v1/tickets/{tid}/customer-matches/{match['id']}", json={"decision": "reject"})
    assert r.status_code == 200
    assert r.json["customer"]["id"] not in (None, vip["customer"]["id"]) and r.json["customer"]["name"] == "赵先生"
    assert api.get(f"/api/v1/tickets/{tid}/customer-matches").json == []


def test_the_ticket_page_shows_what_matched_and_confirms_with_one_click(app, api, client, world):
    _vip(api)
    _submit(client, name="刘洋", phone="138-0013-8000", email="liu@example.cn", kind="inquiry")
    tid = _newest(app)
    login(client, "anna@test.cc")
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    assert 'id="customer-matches"' in html and "刘洋" in html and "VIP" in html
    assert re.search(r"same phone and email|电话和邮箱都相同", html)
    match_id = re.search(r'data-match-id="(\d+)"', html).group(1)
    r = client.post(f"/desk/tickets/{tid}/customer-matches/{match_id}/confirm", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302
    with app.app_context():
        t = db.session.get(Ticket, tid)
        assert t.customer.name == "刘洋" and t.customer_verified
        assert db.session.scalar(select(CustomerMatch.status).where(CustomerMatch.ticket_id == tid)).value == "confirmed"


def test_a_web_ticket_with_no_record_for_its_contact_gets_a_record_of_its_own(app, api, client, world):
    location = _submit(client, name="王芳", phone="139 1111 2222")
    tid = _newest(app)
    t = api.get(f"/api/v1/tickets/{tid}").json
    assert t["customer"]["name"] == "王芳" and t["customer"]["id"] and not t["customer_verified"]
    assert "王芳" in client.get(location).get_data(as_text=True)


def test_an_unlinked_web_ticket_still_waits_in_the_queue_and_is_routed(app, api, client, world):
    _vip(api)
    _submit(client, name="Someone", phone="13800138000")
    tid = _newest(app)
    queue = api.get("/api/v1/queue").json["items"]
    assert tid in [q["ticket_id"] for q in queue]
    assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "available"},
                   who="anna").status_code == 200
    run_jobs(app)
    assert api.get(f"/api/v1/tickets/{tid}").json["assignee"]["id"] == world.id("anna")


# ---------------------------------------------------------------- trusted sources

def test_an_integration_may_name_the_record_or_ask_for_a_new_one(app, api, world):
    vip = _vip(api)
    named = _staff_ticket(api, {"name": "Liu", "phone": "010-1234 5678", "id": vip["customer"]["id"]})
    assert named["customer"]["id"] == vip["customer"]["id"] and named["customer_verified"]
    fresh = _staff_ticket(api, {"name": "赵先生", "phone": "13800138000", "new": True})
    assert fresh["customer"]["id"] != vip["customer"]["id"] and fresh["customer"]["tier"] == "C"
    auto = _staff_ticket(api, {"name": "刘洋", "phone": "13800138000", "email": "liu@example.cn"})
    assert auto["customer"]["id"] == vip["customer"]["id"]  # matches both identifiers: hers, not the newer one
    r = api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x", "phone": "13800138000", "id": 99999}))
    assert r.status_code == 422 and "customer" in r.json["error"]["details"]["fields"]


def test_a_trusted_link_takes_the_records_email_for_the_acknowledgement(app, api, world):
    _vip(api)
    t = _staff_ticket(api, {"name": "刘洋", "phone": "138 0013 8000"})
    assert t["contact"]["email"] == "liu@example.cn"
    with app.app_context():
        assert db.session.scalars(select(OutboundMessage.recipient).where(
            OutboundMessage.ticket_id == t["id"])).all() == ["liu@example.cn"]


def test_a_public_submitter_cannot_name_a_record(app, api, client, world):
    """The form has no such field, and a forged one is ignored."""
    vip = _vip(api)
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    client.post("/submit", data={"csrf_token": token, "kind": "inquiry", "name": "x", "phone": "13900000000",
                                 "category": "billing", "subject": "s", "description": "a question",
                                 "customer-id": vip["customer"]["id"], "id": vip["customer"]["id"]})
    with app.app_context():
        assert db.session.get(Ticket, _newest(app)).customer_id != vip["customer"]["id"]


# ---------------------------------------------------------------- search

def test_staff_look_up_who_holds_a_number_before_saving(app, api, world):
    vip = _vip(api)
    _staff_ticket(api, {"name": "赵先生", "phone": "13800138000", "new": True})
    rows = api.get("/api/v1/customers/matches", query_string={"phone": "+86 138-0013-8000",
                                                              "email": "LIU@example.cn"}, who="anna").json
    assert [(r["customer"]["name"], r["matched_on"], r["tickets"]) for r in rows] == [
        ("刘洋", ["phone", "email"], 1), ("赵先生", ["phone"], 1)]
    assert rows[0]["customer"]["id"] == vip["customer"]["id"] and rows[0]["customer"]["tier"] == "VIP"
    assert api.get("/api/v1/customers/matches", query_string={"phone": "13900000000"}).json == []
    assert api.get("/api/v1/customers/matches", query_string={"phone": "1"}, who=None).status_code == 401



def test_phone_search_finds_the_same_tickets_and_customers_however_typed(app, api, client, world):
    staff = _staff_ticket(api, {"name": "刘洋", "phone": "13800138000"}, subject="staff logged")
    _submit(client, name="Someone", phone="１３８ ００１３ ８０００")  # full-width, unlinked
    web = _newest(app)
    _staff_ticket(api, {"name": "Other", "phone": "13900001111"}, subject="not this one")
    for q in ("13800138000", "+86 138 0013 8000", "138-0013-8000", "0013 8000"):
        ids = {t["id"] for t in api.get("/api/v1/tickets", query_string={"q": q}).json["items"]}
        assert ids == {staff["id"], web}, q
        customers = [c["id"] for c in api.get("/api/v1/customers", query_string={"q": q}).json["items"]]
        assert customers == [staff["customer"]["id"]], q


def test_full_width_digits_never_make_a_separate_customer(app, api, world):
    a = _staff_ticket(api, {"name": "孙丽", "phone": "139 1234 5678"})
    b = _staff_ticket(api, {"name": "孙丽", "phone": "１３９１２３４５６７８"})
    assert a["customer"]["id"] == b["customer"]["id"]
    r = api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x", "phone": "139½1234"}))
    assert r.status_code == 422


def test_percent_and_underscore_in_a_search_are_literal(app, api, world):
    hit = _staff_ticket(api, {"name": "A", "phone": "13700000001"}, subject="50% off_plan")
    _staff_ticket(api, {"name": "B", "phone": "13700000002"}, subject="500 offXplan")
    assert [t["id"] for t in api.get("/api/v1/tickets", query_string={"q": "50%"}).json["items"]] == [hit["id"]]
    assert [t["id"] for t in api.get("/api/v1/tickets", query_string={"q": "off_"}).json["items"]] == [hit["id"]]
    assert api.get("/api/v1/customers", query_string={"q": "%"}).json["total"] == 0


# ---------------------------------------------------------------- idempotent replays

def test_an_idempotent_replay_returns_the_ticket_to_its_creator_wherever_it_went(app, api, world):
    body = ticket_body(category="billing")
    key = {"Idempotency-Key": "anna-42"}
    first = api.post("/api/v1/tickets", json=body, who="anna", headers=key)
    assert first.status_code == 201
    assert api.post("/api/v1/tickets", json=body, who="anna", headers=key).json["id"] == first.json["id"]
    # The ticket moves to another team: anna logged it, so she follows it and may still read it.
    assert api.post(f"/api/v1/tickets/{first.json['id']}/assign",
                    json={"agent_id": world.id("nina"), "override": True}).status_code == 200
    assert api.get(f"/api/v1/tickets/{first.json['id']}", who="anna").status_code == 200
    replay = api.post("/api/v1/tickets", json=body, who="anna", headers=key)
    assert replay.status_code == 201 and replay.json["id"] == first.json["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Ticket.id))) == 1  # and nothing created


# ---------------------------------------------------------------- status links

def _all_text_in_database(app) -> str:
    with app.app_context():
        chunks = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()).all():
                chunks.extend(str(v) for v in row)
        return "\n".join(chunks)


def test_status_tokens_are_stored_only_as_hashes(app, api, client, world):
    location = _submit(client, name="王芳", phone="13911112222", email="wf@example.cn")
    token = location.rsplit("/", 1)[1]
    run_jobs(app)  # the acknowledgement goes out with a link of its own
    everything = _all_text_in_database(app)
    assert token not in everything and "/t/" not in everything
    with app.app_context():
        hashes = db.session.scalars(select(StatusLink.token_hash)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and len(hashes) == 2


def test_the_link_in_the_acknowledgement_opens_the_status_page(app, client, world, monkeypatch):
    from callcenter.notifications import delivery

    sent = []
    monkeypatch.setattr(delivery, "send", lambda config, to, subject, body: sent.append(body))
    _submit(client, name="王芳", phone="13911112222", email="wf@example.cn")
    run_jobs(app)
    link = re.search(r"http://[^/\s]+(/t/[\w-]+)", sent[0]).group(1)
    assert client.get(link).status_code == 200


def test_a_status_link_expires_some_time_after_the_ticket_closes(app, api, client, world):
    from callcenter.actions import tickets as ticket_actions
    from callcenter.actors import Actor
    from tests import factories

    app.config["DESK_CONTACT_PHONE"] = "400-800-1234"
    days = app.config["STATUS_LINK_DAYS_AFTER_CLOSE"]
    with app.app_context():
        for age, expect in ((days - 1, 200), (days, 410)):  # cancelled a day short of the limit, and at it
            when = utcnow() - timedelta(days=age, seconds=1)
            ticket, _ = ticket_actions.create_ticket(ticket_body(kind="inquiry", subject="bill"), Actor.customer("x"),
                                                     with_status_link=True, now=when)
            factories.moved(world, ticket.id, when, "cancelled")
            location = f"/t/{ticket.status_token}"
            assert client.get(location).status_code == expect, age
    r = client.get(location)
    page = r.get_data(as_text=True)
    assert r.status_code == 410 and "400-800-1234" in page and "bill" not in page
    assert r.headers["Cache-Control"] == "no-store"
    r = client.post(location + "/reply", data={"body": "hello?", "csrf_token": csrf_from(client.get("/submit").get_data(as_text=True))})
    assert r.status_code == 410


def test_status_pages_are_not_cached_and_leak_no_referrer(app, client, world):
    r = client.get(_submit(client))
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"


def test_a_revoked_link_no_longer_opens_the_page(app, api, client, world):
    location = _submit(client)
    tid = _newest(app)
    login(client, "anna@test.cc")
    page = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    new = client.post(f"/desk/tickets/{tid}/status-link", data={"csrf_token": csrf_from(page)}).get_data(as_text=True)
    fresh = re.search(r"<code>http://[^/]+(/t/[\w-]+)</code>", new).group(1)
    client.post(f"/desk/tickets/{tid}/status-link", data={"csrf_token": csrf_from(page), "revoke": "1"})
    logout(client)
    assert client.get(location).status_code == 404 and client.get(fresh).status_code == 404


def _ask_for_link(client, reference, contact):
    token = csrf_from(client.get("/t/lost").get_data(as_text=True))
    return client.post("/t/lost", data={"csrf_token": token, "reference": reference, "contact": contact})


def test_a_lost_link_is_sent_again_to_the_contact_on_the_ticket_only(app, api, client, world, monkeypatch):
    from callcenter.notifications import delivery

    mails, texts = [], []
    monkeypatch.setattr(delivery, "send", lambda config, to, subject, body: mails.append((to, body)))
    monkeypatch.setattr(delivery, "send_sms", lambda config, to, body: texts.append((to, body)))
    _submit(client, name="王芳", phone="139 1111 2222", email="wf@example.cn")
    tid = _newest(app)
    reference = api.get(f"/api/v1/tickets/{tid}").json["reference"]
    run_jobs(app)
    mails.clear()
    answers = [_ask_for_link(client, reference, c) for c in
               ("WF@example.cn", "+86 139-1111-2222", "someone@else.cn", "13900000000")]
    answers.append(_ask_for_link(client, "CC-2099-999999", "wf@example.cn"))
    assert {r.status_code for r in answers} == {302}  # the same answer whatever matched
    run_jobs(app)
    assert [to for to, _b in mails] == ["wf@example.cn"] and [to for to, _b in texts] == ["139 1111 2222"]
    for _to, body in mails + texts:
        link = re.search(r"(/t/[\w-]+)", body).group(1)
        assert client.get(link).status_code == 200


def test_asking_for_a_link_again_is_rate_limited_per_reference(app, client, world):
    from callcenter.extensions import limiter

    app.config["RATELIMIT_LINK_RESEND_PER_REFERENCE"] = "2 per hour"
    try:
        codes = [_ask_for_link(client, "CC-2026-000001", f"x{i}@example.cn").status_code for i in range(3)]
    finally:
        app.config["RATELIMIT_LINK_RESEND_PER_REFERENCE"] = "10000 per minute"
        limiter.reset()
    assert codes == [302, 302, 429]


def test_the_access_log_shows_the_route_not_the_token(app, client, world, caplog):
    """Through a real werkzeug server, whose request log is what `make run` prints."""
    import logging
    import threading

    import requests
    from werkzeug.serving import make_server

    location = _submit(client)
    token = location.rsplit("/", 1)[1]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        try:
            assert requests.get(f"http://127.0.0.1:{server.server_port}{location}", timeout=10).status_code == 200
        finally:
            server.shutdown()  # the line is logged after the response is written
            thread.join(10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/t/<token>" in line for line in lines), lines
    assert not any(token in line for line in lines)


def test_gunicorn_access_lines_are_redacted_too():
    import logging

    from callcenter.log_redaction import RedactPrivateLinks

    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s',
                               {"h": "127.0.0.1", "r": "GET /t/abcdefghijklmnop HTTP/1.1", "s": "200",
                                "U": "/t/abcdefghijklmnop"}, None)
    RedactPrivateLinks().filter(record)
    assert record.getMessage() == '127.0.0.1 "GET /t/<token> HTTP/1.1" 200' and record.args["U"] == "/t/<token>"


def test_no_table_holds_a_status_token_in_clear_after_upgrade(app):
    with app.app_context(), db.engine.connect() as conn:
        columns = [c["name"] for c in db.inspect(conn).get_columns("tickets")]
    assert "public_token" not in columns


def test_the_audit_trail_names_no_customer_details_for_a_suggestion(app, api, client, world):
    _vip(api)
    _submit(client, name="Someone", phone="13800138000")
    with app.app_context():
        suggested = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "customer_match_suggested"))
        blob = str(suggested.data)
        assert "13800138000" not in blob and "刘洋" not in blob and suggested.data["matches"][0]["matched_on"] == ["phone"]
        assert db.session.scalar(text("SELECT count(*) FROM customer_matches")) == 1
        assert db.session.get(Customer, suggested.data["matches"][0]["customer_id"]).name == "刘洋"

"""What a stranger can do with someone else's phone number or email on the public pages.

Each test is an attack seen on the running service: an anonymous visitor taking over a
customer's contact, or learning the name on record for a phone or email.
"""
from sqlalchemy import select

from callcenter.customers.models import Customer
from callcenter.extensions import db
from callcenter.notifications.models import OutboundMessage
from callcenter.tickets.models import Ticket
from tests.factories import csrf_from, login, ticket_body


def _staff_ticket(api, customer, **kw):
    r = api.post("/api/v1/tickets", json=ticket_body(customer=customer, kind="inquiry", **kw))
    assert r.status_code == 201, r.json
    return r.json


def _submit(client, **fields):
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    data = {"kind": "inquiry", "category": "billing", "subject": "hello", "description": "a question for you",
            "email": "", "phone": "", **fields, "csrf_token": token}
    r = client.post("/submit", data=data, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def _newest_ticket(app):
    with app.app_context():
        t = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        db.session.expunge(t)
        return t


def _customer(app, customer_id):
    with app.app_context():
        c = db.session.get(Customer, customer_id)
        db.session.expunge(c)
        return c


def _mail_to(app, ticket_id):
    with app.app_context():
        return [(m.recipient, m.body) for m in db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.ticket_id == ticket_id).order_by(OutboundMessage.id))]


def _make_vip(api, customer_id):
    assert api.patch(f"/api/v1/customers/{customer_id}", json={"tier": "VIP"}).status_code == 200


def test_a_stranger_cannot_add_their_email_to_a_phone_only_customer(app, api, client, world):
    real = _staff_ticket(api, {"name": "孙丽", "phone": "+86 139-1234-5678"})["customer"]["id"]
    _submit(client, name="Attacker", phone="139 1234 5678", email="attacker@evil.example")
    assert _customer(app, real).email is None
    attacker_ticket = _newest_ticket(app)
    assert not attacker_ticket.customer_verified
    # The next ticket an agent logs for the real customer mails nobody: she gave no email.
    later = _staff_ticket(api, {"name": "孙丽", "phone": "13912345678"})
    assert later["customer"]["id"] == real
    assert _mail_to(app, later["id"]) == []


def test_a_stranger_cannot_add_their_phone_to_an_email_only_customer(app, api, client, world):
    real = _staff_ticket(api, {"name": "Mark Davis", "email": "mark.davis@example.com"})["customer"]["id"]
    _submit(client, name="Attacker", phone="139 0000 6666", email="mark.davis@example.com")
    assert _customer(app, real).phone is None and _customer(app, real).phone_norm is None
    assert not _newest_ticket(app).customer_verified


def test_a_vips_phone_on_the_public_form_reveals_nothing_of_her_record(app, api, client, world):
    vip = _staff_ticket(api, {"name": "刘洋", "phone": "13800138000", "email": "liu.yang@example.cn"})
    _make_vip(api, vip["customer"]["id"])
    location = _submit(client, name="Someone", phone="13800138000", email="someone@example.com")
    page = client.get(location).get_data(as_text=True)
    assert "刘洋" not in page and "Someone" in page
    ticket = _newest_ticket(app)
    assert ticket.customer_id != vip["customer"]["id"]  # not filed under her record
    history = api.get(f"/api/v1/customers/{vip['customer']['id']}").json["tickets"]
    assert [t["id"] for t in history] == [vip["id"]]
    mail = _mail_to(app, ticket.id)
    assert [r for r, _b in mail] == ["someone@example.com"]
    assert all("刘洋" not in body for _r, body in mail) and "Someone" in mail[0][1]


def test_giving_both_the_phone_and_the_email_on_record_does_not_prove_who_you_are(app, api, client, world):
    vip = _staff_ticket(api, {"name": "刘洋", "phone": "13800138000", "email": "liu.yang@example.cn"})
    _make_vip(api, vip["customer"]["id"])
    _submit(client, name="刘洋", phone="138 0013 8000", email="LIU.YANG@example.cn")
    ticket = _newest_ticket(app)
    assert not ticket.customer_verified and ticket.priority.value == "P4"  # no VIP bump
    assert ticket.customer_id != vip["customer"]["id"]


def test_the_status_page_and_replies_speak_with_the_name_the_submitter_typed(app, api, client, world):
    vip = _staff_ticket(api, {"name": "刘洋", "phone": "13800138000"})
    location = _submit(client, name="赵先生", phone="13800138000")
    page = client.get(location).get_data(as_text=True)
    r = client.post(location + "/reply", data={"body": "还有一个问题", "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    ticket = _newest_ticket(app)
    messages = api.get(f"/api/v1/tickets/{ticket.id}/messages").json["items"]
    assert [m["author_name"] for m in messages] == ["赵先生"]
    events = api.get(f"/api/v1/tickets/{ticket.id}/events").json["items"]
    assert all(e["actor"]["name"] != "刘洋" for e in events)
    assert vip["customer"]["id"] != ticket.customer_id


def test_logging_a_call_shows_the_matching_record_before_anything_is_saved(app, api, client, world):
    vip = _staff_ticket(api, {"name": "刘洋", "phone": "13800138000", "email": "liu.yang@example.cn"})
    _make_vip(api, vip["customer"]["id"])
    login(client, "anna@test.cc")
    page = client.get("/desk/phone").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "kind": "complaint", "name": "赵先生", "phone": "138 0013 8000",
            "email": "", "category": "billing", "language": "zh", "priority": "", "severity": "",
            "subject": "话费问题", "description": "来电反映话费多扣"}
    before = _newest_ticket(app).id
    r = client.post("/desk/phone", data=form)
    html = r.get_data(as_text=True)
    assert _newest_ticket(app).id == before  # nothing saved yet
    assert "刘洋" in html and "VIP" in html and f'value="{vip["customer"]["id"]}"' in html
    # The agent says it is someone else: a new contact, and no mail to her address.
    r = client.post("/desk/phone", data={**form, "customer_choice": "new"})
    assert r.status_code == 302
    ticket = _newest_ticket(app)
    assert ticket.customer_id != vip["customer"]["id"]
    assert _customer(app, ticket.customer_id).name == "赵先生"
    assert _mail_to(app, ticket.id) == []

"""One record per person, found again by normalised phone or email, with a history."""
from tests.factories import ticket_body


def _create(api, customer, **kw):
    r = api.post("/api/v1/tickets", json=ticket_body(customer=customer, **kw))
    assert r.status_code == 201, r.json
    return r.json


def test_same_phone_in_another_format_finds_the_same_customer(api, world):
    a = _create(api, {"name": "刘洋", "phone": "+86 138-0013-8000"})
    b = _create(api, {"name": "刘洋", "phone": "13800138000"})
    assert a["customer"]["id"] == b["customer"]["id"]


def test_same_email_in_another_case_finds_the_same_customer(api, world):
    a = _create(api, {"name": "Sarah", "email": "Sarah.Chen@Example.com"})
    b = _create(api, {"name": "Sarah C", "email": "sarah.chen@example.com "[:-1]})
    assert a["customer"]["id"] == b["customer"]["id"]


def test_a_known_phone_with_a_new_email_adds_the_email(api, world):
    a = _create(api, {"name": "周强", "phone": "13700001111"})
    _create(api, {"name": "周强", "phone": "137 0000 1111", "email": "zq@example.cn"})
    c = _create(api, {"name": "周强", "email": "ZQ@example.cn"})
    assert c["customer"]["id"] == a["customer"]["id"]


def test_different_people_stay_different(api, world):
    a = _create(api, {"name": "A", "phone": "13700001111"})
    b = _create(api, {"name": "B", "phone": "13700002222"})
    assert a["customer"]["id"] != b["customer"]["id"]


def test_customer_history_lists_their_tickets(api, world):
    a = _create(api, {"name": "刘洋", "phone": "13800138000"}, subject="first")
    _create(api, {"name": "Other", "phone": "13900000000"}, subject="not theirs")
    b = _create(api, {"name": "刘洋", "phone": "13800138000"}, subject="second")
    r = api.get(f"/api/v1/customers/{a['customer']['id']}")
    assert r.status_code == 200
    assert [t["id"] for t in r.json["tickets"]] == [b["id"], a["id"]]


def test_agents_see_only_their_teams_tickets_in_a_history(api, world):
    a = _create(api, {"name": "刘洋", "phone": "13800138000"}, category="billing")
    _create(api, {"name": "刘洋", "phone": "13800138000"}, category="network")
    r = api.get(f"/api/v1/customers/{a['customer']['id']}", who="anna")
    assert [t["category"] for t in r.json["tickets"]] == ["billing"]


def test_search_by_phone_in_any_format(api, world):
    a = _create(api, {"name": "孙丽", "phone": "+86 139-1234-5678"})
    found = api.get("/api/v1/customers?q=139 1234 5678").json
    assert [c["id"] for c in found["items"]] == [a["customer"]["id"]]


def test_tier_is_set_by_supervisors_and_raises_priority(api, world):
    a = _create(api, {"name": "VIP", "phone": "13800000001"}, kind="inquiry")
    assert a["priority"] == "P4"
    cid = a["customer"]["id"]
    r = api.patch(f"/api/v1/customers/{cid}", json={"tier": "VIP"}, who="anna")
    assert r.status_code == 403
    assert api.patch(f"/api/v1/customers/{cid}", json={"tier": "VIP"}).json["tier"] == "VIP"
    assert api.patch(f"/api/v1/customers/{cid}", json={"tier": "gold"}).status_code == 422
    b = _create(api, {"name": "VIP", "phone": "13800000001"}, kind="inquiry")
    assert b["customer"]["tier"] == "VIP" and b["priority"] == "P3"


def test_unknown_customer_is_404(api, world):
    assert api.get("/api/v1/customers/9999").status_code == 404


def test_categories_speak_the_callers_language(api, world):
    zh = api.get("/api/v1/categories", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json["items"]
    en = api.get("/api/v1/categories", headers={"Accept-Language": "en-GB"}).json["items"]
    assert zh[0] == {"code": "billing", "name": "账单", "team": "Billing", "skill": "billing",
                     "required_skills": {"billing": 1}, "default_priority": None}
    assert en[0]["name"] == "Billing"


def test_a_vip_phone_typed_on_the_public_form_is_a_suggestion_not_a_link(app, api, client, world):
    from sqlalchemy import select

    from callcenter.extensions import db
    from callcenter.notifications.models import OutboundMessage
    from tests.factories import csrf_from

    vip = _create(api, {"name": "刘洋", "phone": "13800138000", "email": "liu@example.cn"}, kind="inquiry")
    api.patch(f"/api/v1/customers/{vip['customer']['id']}", json={"tier": "VIP"})
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    client.post("/submit", data={"csrf_token": token, "kind": "inquiry", "name": "Someone", "phone": "13800138000",
                                 "email": "someone.else@example.com", "category": "billing",
                                 "subject": "hello", "description": "a question"})
    with app.app_context():
        from callcenter.tickets.models import Ticket

        t = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert t.customer_id is None and not t.customer_verified and t.priority.value == "P4"  # no VIP bump
        recipients = db.session.scalars(select(OutboundMessage.recipient).where(OutboundMessage.ticket_id == t.id)).all()
        assert recipients == ["someone.else@example.com"]  # mail goes to who wrote, not to the VIP
    matches = api.get(f"/api/v1/tickets/{t.id}/customer-matches").json
    assert [(m["customer"]["id"], m["matched_on"]) for m in matches] == [(vip["customer"]["id"], ["phone"])]
    shown = api.get(f"/api/v1/tickets/{t.id}").json
    assert shown["customer"] == {"id": None, "name": "Someone", "tier": "C"}
    assert shown["contact"] == {"name": "Someone", "phone": "13800138000", "email": "someone.else@example.com"}


def test_agents_cannot_look_up_customers_of_other_teams(api, world):
    c = _create(api, {"name": "网络客户", "phone": "13311112222"}, category="network")["customer"]["id"]
    assert api.get(f"/api/v1/customers/{c}", who="anna").status_code == 403
    assert api.get(f"/api/v1/customers/{c}", who="nina").status_code == 200
    assert api.get("/api/v1/customers?q=13311112222", who="anna").json["total"] == 0
    assert api.get("/api/v1/customers?q=13311112222", who="nina").json["total"] == 1


def test_too_many_phone_digits_is_422(api, world):
    r = api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x", "phone": "1" * 25}))
    assert r.status_code == 422 and "phone" in r.json["error"]["details"]["fields"]["customer"]

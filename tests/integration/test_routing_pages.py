"""Supervisor pages for the queue and the routing rules; the presence switch in the header."""
from sqlalchemy import select

from callcenter.auth.models import User
from callcenter.extensions import db
from callcenter.routing.models import RoutingRule
from tests.factories import create_ticket, csrf_from, login, logout


def test_supervisors_see_the_queue_with_reasons_and_agents_do_not(app, client, world):
    with app.app_context():
        t = create_ticket(world)
    login(client, "boss@test.cc")
    html = client.get("/desk/queue").get_data(as_text=True)
    assert t.reference in html and 'data-reason="no_agent_online"' in html
    logout(client)
    login(client, "anna@test.cc")
    assert client.get("/desk/queue").status_code == 403


def test_an_admin_writes_a_rule_on_the_page_and_it_routes_new_tickets(app, client, api, world):
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/routing-rules/new").get_data(as_text=True))
    r = client.post("/desk/routing-rules/new", data={
        "csrf_token": token, "name": "Refund claims", "kind": "complaint", "channel": "", "tier": "", "language": "",
        "category": "billing, network", "keywords": "refund, 退款", "skills": "billing:4", "team": "Billing",
        "priority": "P2", "position": "5", "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        rule = db.session.scalar(select(RoutingRule))
        assert rule.match == {"kind": "complaint", "category": ["billing", "network"], "keywords": ["refund", "退款"]}
        assert rule.skills == {"billing": 4} and rule.priority == "P2"
    t = api.post("/api/v1/tickets", json={"kind": "complaint", "subject": "请退款", "description": "要求退款",
                                          "category": "billing", "customer": {"name": "x", "phone": "13800000000"}}).json
    assert t["required_skills"] == {"billing": 4} and t["priority"] == "P2"
    page = client.get(f"/desk/routing-rules/{rule.id}").get_data(as_text=True)
    assert 'value="refund, 退款"' in page  # the form shows the rule back


def test_a_bad_rule_form_shows_errors_and_keeps_input(client, world):
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/routing-rules/new").get_data(as_text=True))
    r = client.post("/desk/routing-rules/new", data={"csrf_token": token, "name": "", "skills": "billing:9",
                                                     "keywords": "lawyer", "position": "5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'data-error-for="name"' in html and 'data-error-for="skills"' in html
    assert 'value="lawyer"' in html


def test_supervisors_read_rules_but_only_admins_write_them(client, world):
    login(client, "boss@test.cc")
    assert client.get("/desk/routing-rules").status_code == 200
    assert client.get("/desk/routing-rules/new").status_code == 403  # no form whose save would be refused
    token = csrf_from(client.get("/desk/routing-rules").get_data(as_text=True))
    r = client.post("/desk/routing-rules/new", data={"csrf_token": token, "name": "x", "position": "1"})
    assert r.status_code == 403


def test_the_header_switch_sets_presence(app, client, world):
    login(client, "anna@test.cc")
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    r = client.post("/desk/presence", data={"csrf_token": token, "state": "available"},
                    headers={"Referer": "http://localhost/desk/queue"})
    assert r.status_code == 302 and r.headers["Location"] == "/desk/queue"
    with app.app_context():
        assert db.session.get(User, world.id("anna")).presence.value == "available"

"""Whoever logs a call (the ticket's creator) or makes a promise on a ticket follows it: they
may read it, list it and hear its updates wherever it is routed, but following alone lets
nobody change it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from callcenter.actions import assignment, tickets
from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.capture import capture
from tests.factories import actor_of, csrf_from, login, ticket_body


def _log_call_for_another_team(client) -> None:
    login(client, "anna@test.cc")  # Billing
    token = csrf_from(client.get("/desk/phone").get_data(as_text=True))
    r = client.post("/desk/phone", data={
        "csrf_token": token, "kind": "service_request", "name": "赵先生", "phone": "13600001234", "email": "",
        "category": "network", "subject": "宽带断线", "description": "家里宽带从昨晚起断线", "priority": "",
        "language": "zh", "severity": "", "promise": "今晚八点前回电", "promise_due": "2030-01-02T20:00"})
    assert r.status_code == 302, r.get_data(as_text=True)


def test_an_agent_who_logs_a_call_routed_to_another_team_opens_it(app, client, world):
    _log_call_for_another_team(client)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.team_id == world.teams["Network"]
        tid = ticket.id
    page = client.get(f"/desk/tickets/{tid}")
    assert page.status_code == 200 and "宽带断线" in page.get_data(as_text=True)
    assert "宽带断线" in client.get("/desk/").get_data(as_text=True)


def test_the_creator_of_a_ticket_reads_and_lists_it_through_the_api(app, api, world):
    t = api.post("/api/v1/tickets", json=ticket_body(category="network"), who="anna")
    assert t.status_code == 201, t.json
    tid = t.json["id"]
    assert api.get(f"/api/v1/tickets/{tid}", who="anna").status_code == 200
    assert api.get(f"/api/v1/tickets/{tid}/events", who="anna").status_code == 200
    assert tid in [x["id"] for x in api.get("/api/v1/tickets", who="anna").json["items"]]
    assert api.get(f"/api/v1/tickets/{tid}", who="bert").status_code == 403  # Billing too, but not a follower
    assert tid not in [x["id"] for x in api.get("/api/v1/tickets", who="bert").json["items"]]


def test_whoever_made_a_promise_follows_the_ticket_after_it_moves_to_another_team(app, api, world):
    t = api.post("/api/v1/tickets", json=ticket_body()).json  # Billing
    due = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    assert api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "回电", "due_at": due},
                    who="anna").status_code == 201
    moved = api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("nina")})
    assert moved.status_code == 200 and moved.json["team"] == "Network"
    assert api.get(f"/api/v1/tickets/{t['id']}", who="anna").status_code == 200
    assert t["id"] in [x["id"] for x in api.get("/api/v1/tickets", who="anna").json["items"]]
    assert api.get(f"/api/v1/tickets/{t['id']}", who="bert").status_code == 403


def test_following_a_ticket_does_not_let_an_agent_change_it(app, api, client, world):
    t = api.post("/api/v1/tickets", json=ticket_body(category="network"), who="anna").json
    due = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    for r in (api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "hi"}, who="anna"),
              api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress"}, who="anna"),
              api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")}, who="anna"),
              api.patch(f"/api/v1/tickets/{t['id']}", json={"priority": "P1"}, who="anna"),
              api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "x", "due_at": due}, who="anna")):
        assert r.status_code == 403, r.json
    login(client, "anna@test.cc")
    html = client.get(f"/desk/tickets/{t['id']}").get_data(as_text=True)
    assert "/messages" not in html and "/transition" not in html and "/assign" not in html


def test_a_follower_hears_the_updates_of_the_ticket(app, world, ctx):
    ticket, _created = tickets.create_ticket(ticket_body(category="network"), actor_of(world, "anna"))
    with capture() as seen:
        assignment.assign(ticket.id, world.id("nina"), actor_of(world, "boss"))
    assert seen.emits and all(f"user:{world.id('anna')}" in rooms for _name, _payload, rooms in seen.emits)

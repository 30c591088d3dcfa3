"""A person's assignment is theirs to undo: the hand-back on presence (an agent away or
offline, and the sweep that catches up with it) takes back routed, untouched work only."""
from __future__ import annotations

import re

from callcenter.actions import routing
from tests.factories import create_ticket, csrf_from, login, set_presence, ticket_body


def _events(api, tid, kind):
    return [e for e in api.get(f"/api/v1/tickets/{tid}/events").json["items"] if e["kind"] == kind]


def test_a_manual_assignment_to_an_away_agent_is_kept_by_the_sweep(app, api, world):
    with app.app_context():
        set_presence(world.id("anna"), "away")
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    r = api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")})
    assert r.status_code == 200 and r.json["assignee"]["id"] == world.id("anna")
    with app.app_context():
        assert routing.sweep()["handed_back"] == 0
    after = api.get(f"/api/v1/tickets/{t['id']}").json
    assert after["status"] == "assigned" and after["assignee"]["id"] == world.id("anna")
    assert not _events(api, t["id"], "handed_back")


def test_a_manual_assignment_is_kept_when_the_agent_goes_away(app, api, world):
    given = api.post("/api/v1/tickets", json=ticket_body()).json  # nobody online: it waits
    assert api.post(f"/api/v1/tickets/{given['id']}/assign", json={"agent_id": world.id("anna")}).status_code == 200
    with app.app_context():
        set_presence(world.id("anna"), "available")
    routed = api.post("/api/v1/tickets", json=ticket_body(subject="routed")).json
    assert routed["assignee"]["id"] == world.id("anna")
    assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "away"}, who="anna").status_code == 200
    assert api.get(f"/api/v1/tickets/{given['id']}").json["assignee"]["id"] == world.id("anna")
    back = api.get(f"/api/v1/tickets/{routed['id']}").json  # routed and untouched: back to the queue
    assert back["status"] == "new" and back["assignee"] is None


def test_an_agent_who_takes_a_ticket_keeps_it_when_away(app, api, world):
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "available"},
                   who="anna").status_code == 200
    assert api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")}, who="anna").status_code == 200
    assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "offline"},
                   who="anna").status_code == 200  # the presence change's own hand-back leaves it
    with app.app_context():
        routing.sweep()
    assert api.get(f"/api/v1/tickets/{t['id']}").json["assignee"]["id"] == world.id("anna")


def test_the_assign_list_shows_each_agents_presence_and_load(app, api, client, world):
    with app.app_context():
        set_presence(world.id("anna"), "away")
        tid = create_ticket(world, category="other").id
        held = create_ticket(world, category="other", subject="held").id
        set_presence(world.id("bert"), "available")
    api.post(f"/api/v1/tickets/{held}/assign", json={"agent_id": world.id("anna")})
    login(client, "boss@test.cc")
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    options = dict(re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', html))
    assert "Away" in options[str(world.id("anna"))] and "1/5" in options[str(world.id("anna"))]
    assert "Available" in options[str(world.id("bert"))] and "0/5" in options[str(world.id("bert"))]
    token = csrf_from(html)
    r = client.post(f"/desk/tickets/{tid}/assign", data={"csrf_token": token, "agent_id": world.id("anna")})
    assert r.status_code == 302
    with app.app_context():
        routing.sweep()
    assert api.get(f"/api/v1/tickets/{tid}").json["assignee"]["id"] == world.id("anna")

"""POST /api/v1/calls: the telephony system puts a call through and the agent's console pops
the caller's record at once; another team's tickets are never named to them."""
from __future__ import annotations

from tests.factories import create_ticket, ticket_body


def _pop(events):
    pops = [d for e, d in events if e == "call.screen_pop"]
    assert len(pops) == 1, [e for e, _ in events]
    return pops[0]


def test_a_known_caller_pops_on_the_agents_console_with_their_open_tickets(api, world, listen, app):
    first = api.post("/api/v1/tickets", json=ticket_body(category="billing", subject="发票")).json
    second = api.post("/api/v1/tickets", json=ticket_body(category="billing", subject="退款")).json
    anna, bert = listen("anna@test.cc"), listen("bert@test.cc")
    anna.collect(0.3), bert.collect(0.1)
    r = api.post("/api/v1/calls", who="admin", json={"caller": "138-0013-8000", "agent_id": world.id("anna"),
                                                     "called": "95588"})
    assert r.status_code == 201, r.json
    [match] = r.json["matches"]
    with app.app_context():
        from callcenter.customers.models import Customer
        from callcenter.extensions import db
        liu = db.session.get(Customer, match["customer"]["id"])
        assert match["customer"] == {"id": liu.id, "name": "刘洋", "tier": liu.tier.value}
    assert [t["reference"] for t in match["open_tickets"]] == [second["reference"], first["reference"]]
    pop = _pop(anna.collect(1.0))
    assert pop["call_id"] == r.json["id"] and pop["matches"] == r.json["matches"]
    assert [e for e, _ in bert.collect(0.3) if e == "call.screen_pop"] == [], "only the agent taking the call"


def test_an_unknown_caller_pops_with_no_match(api, world, listen):
    anna = listen("anna@test.cc")
    anna.collect(0.3)
    r = api.post("/api/v1/calls", who="admin", json={"caller": "+86 139 9999 0000", "agent_id": world.id("anna")})
    assert r.status_code == 201 and r.json["matches"] == []
    assert _pop(anna.collect(1.0))["matches"] == []


def test_the_pop_names_no_ticket_of_another_team(api, world, app):
    with app.app_context():
        create_ticket(world, category="network")  # the same caller (factories' 刘洋), Nina's team
    r = api.post("/api/v1/calls", who="admin", json={"caller": "13800138000", "agent_id": world.id("anna")})
    [match] = r.json["matches"]
    assert match["open_tickets"] == [] and match["other_open_tickets"] == 1  # counted, not named
    r = api.post("/api/v1/calls", who="admin", json={"caller": "13800138000", "agent_id": world.id("nina")})
    assert len(r.json["matches"][0]["open_tickets"]) == 1 and r.json["matches"][0]["other_open_tickets"] == 0


def test_an_agent_puts_calls_through_to_themself_only(api, world):
    assert api.post("/api/v1/calls", who="anna", json={"caller": "13800138000"}).json["agent_id"] == world.id("anna")
    r = api.post("/api/v1/calls", who="anna", json={"caller": "13800138000", "agent_id": world.id("bert")})
    assert r.status_code == 403


def test_bad_calls_get_clear_errors(api, world):
    assert api.post("/api/v1/calls", who="admin", json={"caller": "not a number!"}).status_code == 422
    assert api.post("/api/v1/calls", who="admin", json={}).status_code == 422
    r = api.post("/api/v1/calls", who="admin", json={"caller": "13800138000", "agent_id": 999999})
    assert r.status_code == 404 and r.json["error"]["details"] == {"agent_id": 999999}


def test_a_callers_calls_are_exported_and_erased_with_them(api, world, app):
    ticket = api.post("/api/v1/tickets", json=ticket_body(category="billing")).json
    api.post("/api/v1/calls", who="admin", json={"caller": "+86 138 0013 8000", "agent_id": world.id("anna")})
    api.post("/api/v1/calls", who="admin", json={"caller": "+86 139 5555 0000", "agent_id": world.id("anna")})
    customer_id = api.get(f"/api/v1/tickets/{ticket['id']}").json["customer"]["id"]
    exported = api.get(f"/api/v1/customers/{customer_id}/export", who="admin").json
    assert [c["caller"] for c in exported["calls"]] == ["+86 138 0013 8000"]
    assert api.post(f"/api/v1/customers/{customer_id}/erase", who="admin").status_code == 200
    with app.app_context():
        from sqlalchemy import select

        from callcenter.calls.models import Call
        from callcenter.extensions import db
        assert db.session.scalars(select(Call.caller)).all() == ["+86 139 5555 0000"]

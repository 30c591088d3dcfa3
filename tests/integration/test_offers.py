"""Offer and accept: offered to the best agent, accepted, rejected, or timed out (agent set away)."""
from __future__ import annotations

from datetime import timedelta

import redis as redis_lib
from rq.registry import ScheduledJobRegistry

from callcenter.actions.routing import expire_offer
from callcenter.extensions import db
from callcenter.routing.models import Offer
from callcenter.tickets.models import Ticket
from tests.factories import run_jobs, set_presence, ticket_body


def _offer_mode(api, world, timeout=30):
    r = api.patch(f"/api/v1/teams/{world.teams['Billing']}", json={"offer_mode": True, "offer_timeout_seconds": timeout},
                  who="admin")
    assert r.status_code == 200 and r.json["offer_mode"] is True


def _online(app, world, *names):
    with app.app_context():
        for n in names:
            set_presence(world.id(n), "available")


def _open_offer(api, who):
    items = api.get("/api/v1/offers", who=who).json["items"]
    return items[0] if items else None


def test_only_admins_switch_a_team_to_offer_mode(api, world):
    assert api.patch(f"/api/v1/teams/{world.teams['Billing']}", json={"offer_mode": True}, who="boss").status_code == 403
    assert api.patch(f"/api/v1/teams/{world.teams['Billing']}", json={"offer_timeout_seconds": 1},
                     who="admin").status_code == 422


def test_an_offered_ticket_becomes_the_agents_when_accepted(app, api, world):
    _offer_mode(api, world)
    _online(app, world, "anna")
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    assert t["status"] == "new" and t["assignee"] is None
    offer = _open_offer(api, "anna")
    assert offer["ticket_id"] == t["id"]
    assert api.post(f"/api/v1/offers/{offer['id']}/accept", who="bert").status_code == 403
    r = api.post(f"/api/v1/offers/{offer['id']}/accept", who="anna")
    assert r.status_code == 200 and r.json["assignee"]["id"] == world.id("anna") and r.json["status"] == "assigned"
    kinds = [e["kind"] for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]]
    assert kinds.index("offered") < kinds.index("offer_accepted") < kinds.index("assigned")
    assert api.post(f"/api/v1/offers/{offer['id']}/accept", who="anna").status_code == 409


def test_a_rejected_offer_goes_to_the_next_agent_and_keeps_the_queue_place(app, api, world):
    _offer_mode(api, world)
    _online(app, world, "anna", "bert")
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    with app.app_context():
        waiting_since = db.session.get(Ticket, t["id"]).waiting_since
    first = _open_offer(api, "boss")
    first_agent = first["agent_id"]
    other = "bert" if first_agent == world.id("anna") else "anna"
    who = "anna" if other == "bert" else "bert"
    assert api.post(f"/api/v1/offers/{first['id']}/reject", who=who).json["status"] == "rejected"
    run_jobs(app)
    second = _open_offer(api, other)
    assert second and second["ticket_id"] == t["id"] and second["agent_id"] == world.id(other)
    with app.app_context():
        assert db.session.get(Ticket, t["id"]).waiting_since == waiting_since
    agents = {a["id"]: a for a in api.get("/api/v1/agents").json["items"]}
    assert agents[first_agent]["offers"] == {"rejected": 1}


def test_a_timed_out_offer_sets_the_agent_away_and_goes_to_the_next(app, api, world):
    _offer_mode(api, world, timeout=30)
    _online(app, world, "anna", "bert")
    api.post("/api/v1/tickets", json=ticket_body())
    offer = _open_offer(api, "boss")
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    registry = ScheduledJobRegistry("high", connection=conn)
    due = registry.get_scheduled_time(f"offer-expire-{offer['id']}")
    with app.app_context():
        row = db.session.get(Offer, offer["id"])
        assert abs((due - row.expires_at).total_seconds()) < 1  # the expiry job waits for the deadline
        assert expire_offer(offer["id"], now=row.offered_at + timedelta(seconds=10)) == "not-yet"
        assert expire_offer(offer["id"], now=row.expires_at + timedelta(seconds=1)) == "expired"
    agents = {a["id"]: a for a in api.get("/api/v1/agents").json["items"]}
    assert agents[offer["agent_id"]]["presence"] == "away"  # not responding
    assert agents[offer["agent_id"]]["offers"] == {"expired": 1}
    nxt = _open_offer(api, "boss")
    assert nxt["agent_id"] != offer["agent_id"] and nxt["ticket_id"] == offer["ticket_id"]


def test_an_open_offer_holds_a_seat(app, api, world):
    _offer_mode(api, world)
    with app.app_context():
        from callcenter.auth.models import User

        db.session.get(User, world.id("anna")).capacity = 1
        db.session.commit()
    _online(app, world, "anna")
    api.post("/api/v1/tickets", json=ticket_body())
    second = api.post("/api/v1/tickets", json=ticket_body(subject="second")).json
    assert len(api.get("/api/v1/offers", who="anna").json["items"]) == 1
    assert api.get("/api/v1/queue").json["items"][0]["ticket_id"] == second["id"]


def test_a_pinned_ticket_stays_when_its_agent_goes_away(app, api, world):
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    assert api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna"), "pin": True},
                    who="anna").status_code == 403
    r = api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna"), "pin": True})
    assert r.json["pinned"] is True
    _online(app, world, "anna")
    api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "away"}, who="anna")
    assert api.get(f"/api/v1/tickets/{t['id']}").json["assignee"]["id"] == world.id("anna")


def test_an_agent_answers_an_offer_on_the_desk(app, api, client, world):
    from tests.factories import csrf_from, login

    _offer_mode(api, world)
    _online(app, world, "anna")
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    login(client, "anna@test.cc")
    html = client.get("/desk/").get_data(as_text=True)
    offer = _open_offer(api, "anna")
    assert f'data-offer-id="{offer["id"]}"' in html
    r = client.post(f"/desk/offers/{offer['id']}/accept", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/desk/tickets/{t['id']}")
    assert api.get(f"/api/v1/tickets/{t['id']}").json["assignee"]["id"] == world.id("anna")


def test_an_offer_lapses_when_the_ticket_is_cancelled_or_assigned_by_hand(app, api, world):
    _offer_mode(api, world)
    _online(app, world, "anna")
    cancelled = api.post("/api/v1/tickets", json=ticket_body()).json
    offer = _open_offer(api, "anna")
    api.post(f"/api/v1/tickets/{cancelled['id']}/transitions", json={"to": "cancelled"})
    r = api.post(f"/api/v1/offers/{offer['id']}/accept", who="anna")
    assert r.status_code == 409
    assert api.get(f"/api/v1/tickets/{cancelled['id']}").json["status"] == "cancelled"

    manual = api.post("/api/v1/tickets", json=ticket_body(subject="manual")).json
    offer = _open_offer(api, "anna")
    assert offer["ticket_id"] == manual["id"]
    api.post(f"/api/v1/tickets/{manual['id']}/assign", json={"agent_id": world.id("bert")})
    assert api.post(f"/api/v1/offers/{offer['id']}/accept", who="anna").status_code == 409
    assert api.get(f"/api/v1/tickets/{manual['id']}").json["assignee"]["id"] == world.id("bert")
    assert _open_offer(api, "boss") is None


def test_an_offer_whose_expiry_job_was_lost_is_expired_by_the_sweep(app, api, world, redis):
    from callcenter.actions import routing

    _offer_mode(api, world)
    _online(app, world, "anna", "bert")
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    offer = _open_offer(api, "boss")
    redis.flushdb()  # the expiry job is gone
    with app.app_context():
        row = db.session.get(Offer, offer["id"])
        result = routing.sweep(now=row.expires_at + timedelta(seconds=5))
        assert result["offers_expired"] == 1
        assert db.session.get(Offer, offer["id"]).status.value == "expired"
    nxt = _open_offer(api, "boss")
    assert nxt["ticket_id"] == t["id"] and nxt["agent_id"] != offer["agent_id"]


def test_going_offline_withdraws_open_offers_and_an_expiry_never_wakes_an_offline_agent(app, api, world):
    _offer_mode(api, world)
    _online(app, world, "anna")
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    offer = _open_offer(api, "anna")
    api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "offline"}, who="anna")
    assert _open_offer(api, "anna") is None
    with app.app_context():
        row = db.session.get(Offer, offer["id"])
        assert row.status.value == "withdrawn"
        assert expire_offer(offer["id"], now=row.expires_at + timedelta(seconds=1)) == "withdrawn"
    agents = {a["id"]: a for a in api.get("/api/v1/agents").json["items"]}
    assert agents[world.id("anna")]["presence"] == "offline"
    assert api.get(f"/api/v1/tickets/{t['id']}").json["status"] == "new"


def test_a_manual_assignment_counts_open_offers_as_seats(app, api, world):
    _offer_mode(api, world)
    with app.app_context():
        from callcenter.auth.models import User

        db.session.get(User, world.id("anna")).capacity = 1
        db.session.commit()
    _online(app, world, "anna")
    api.post("/api/v1/tickets", json=ticket_body())  # offered to anna: her one seat
    other = api.post("/api/v1/tickets", json=ticket_body(category="other")).json
    r = api.post(f"/api/v1/tickets/{other['id']}/assign", json={"agent_id": world.id("anna")})
    assert r.status_code == 409 and r.json["error"]["details"]["load"] == 1

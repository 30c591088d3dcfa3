"""Routing against the real database and Redis, with real RQ workers for the triggers."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from callcenter.actions import routing
from callcenter.auth.models import User
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.factories import run_jobs, set_presence, ticket_body


def _online(app, world, *names, capacity=None, skills=None):
    with app.app_context():
        for name in names:
            set_presence(world.id(name), "available")
            user = db.session.get(User, world.id(name))
            if capacity is not None:
                user.capacity = capacity
            if skills is not None:
                from callcenter.auth.models import AgentSkill

                user.skills.clear()
                db.session.flush()  # old rows go first: (user, skill) is unique
                user.skills = [AgentSkill(skill=k, level=v) for k, v in skills.items()]
        db.session.commit()


def _create(api, **kw):
    r = api.post("/api/v1/tickets", json=ticket_body(**kw))
    assert r.status_code == 201, r.json
    return r.json


def _events(api, tid, kind=None):
    items = api.get(f"/api/v1/tickets/{tid}/events").json["items"]
    return [e for e in items if kind is None or e["kind"] == kind]


def test_a_new_ticket_goes_at_once_to_the_best_fit_and_says_why(app, api, world):
    _online(app, world, "anna")
    _online(app, world, "bert", skills={"billing": 5})
    t = _create(api)
    assert t["status"] == "assigned" and t["assignee"]["id"] == world.id("bert")
    why = _events(api, t["id"], "assigned")[0]["data"]
    assert why["rule"] == "best_fit" and why["considered"] >= 2
    assert why["candidates"][0]["agent_id"] == world.id("bert") and why["candidates"][0]["fit"] == 5


def test_a_ticket_waits_with_a_reason_and_goes_to_the_first_agent_to_come_online(app, api, world):
    t = _create(api)
    assert t["status"] == "new"
    queue = api.get("/api/v1/queue").json
    assert queue["items"][0]["ticket_id"] == t["id"] and queue["items"][0]["waiting_reason"] == "no_agent_online"
    assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "available"}, who="anna").status_code == 200
    run_jobs(app)
    assert api.get(f"/api/v1/tickets/{t['id']}").json["assignee"]["id"] == world.id("anna")


def test_no_agent_goes_over_capacity_and_a_freed_seat_takes_the_next(app, api, world):
    _online(app, world, "anna", capacity=1)
    first, second = _create(api), _create(api, subject="second")
    assert first["assignee"]["id"] == world.id("anna") and second["status"] == "new"
    api.post(f"/api/v1/tickets/{first['id']}/transitions", json={"to": "in_progress"}, who="anna")
    api.post(f"/api/v1/tickets/{first['id']}/transitions", json={"to": "resolved"}, who="anna")
    run_jobs(app)
    assert api.get(f"/api/v1/tickets/{second['id']}").json["assignee"]["id"] == world.id("anna")


def test_waiting_on_the_customer_frees_the_seat(app, api, world):
    _online(app, world, "anna", capacity=1)
    first, second = _create(api), _create(api, subject="second")
    api.post(f"/api/v1/tickets/{first['id']}/messages", json={"body": "Please send the invoice"}, who="anna")
    api.post(f"/api/v1/tickets/{first['id']}/transitions", json={"to": "pending_customer"}, who="anna")
    run_jobs(app)
    assert api.get(f"/api/v1/tickets/{second['id']}").json["assignee"]["id"] == world.id("anna")


def test_going_away_hands_back_untouched_tickets_to_the_front_and_keeps_worked_ones(app, api, world):
    _online(app, world, "anna")
    worked, untouched = _create(api, subject="worked"), _create(api, subject="untouched")
    api.post(f"/api/v1/tickets/{worked['id']}/messages", json={"body": "On it"}, who="anna")
    api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "away"}, who="anna")
    assert api.get(f"/api/v1/tickets/{worked['id']}").json["assignee"]["id"] == world.id("anna")
    back = api.get(f"/api/v1/tickets/{untouched['id']}").json
    assert back["status"] == "new" and back["assignee"] is None
    assert _events(api, untouched["id"], "handed_back")
    fresh = _create(api, subject="fresh P1", priority="P1")
    assert [r["ticket_id"] for r in api.get("/api/v1/queue").json["items"]] == [untouched["id"], fresh["id"]]
    api.put(f"/api/v1/agents/{world.id('bert')}/presence", json={"state": "available"}, who="bert")
    run_jobs(app)  # bert coming online takes the queue in order: the handed-back ticket first
    assert api.get(f"/api/v1/tickets/{untouched['id']}").json["assignee"]["id"] == world.id("bert")
    assert api.get(f"/api/v1/tickets/{fresh['id']}").json["assignee"]["id"] == world.id("bert")
    first = min(e["id"] for e in _events(api, untouched["id"], "assigned") if e["after"]["id"] == world.id("bert"))
    second = min(e["id"] for e in _events(api, fresh["id"], "assigned"))
    assert first < second


def test_routing_rules_set_skills_team_and_priority(app, api, world):
    rule = {"name": "Legal threats", "match": {"keywords": ["lawyer", "律师"]}, "skills": {"legal": 2},
            "team": "Network", "priority": "P1", "position": 1}
    assert api.post("/api/v1/routing-rules", json=rule, who="boss").status_code == 403
    assert api.post("/api/v1/routing-rules", json=rule, who="admin").status_code == 422  # no such skill yet
    assert api.post("/api/v1/skills", json={"code": "legal", "name_zh": "法务", "name_en": "Legal"},
                    who="admin").status_code == 201
    r = api.post("/api/v1/routing-rules", json=rule, who="admin")
    assert r.status_code == 201 and r.json["team"] == "Network"
    t = _create(api, description="My lawyer will call you", priority=None)
    assert t["required_skills"] == {"legal": 2} and t["team"] == "Network" and t["priority"] == "P1"
    assert _events(api, t["id"], "routing_rule_applied")[0]["data"]["rule"] == "Legal threats"
    other = _create(api, description="Just a question")
    assert other["team"] == "Billing" and other["required_skills"] == {"billing": 1}
    listed = api.get("/api/v1/routing-rules", who="admin").json
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Legal threats"


def test_routing_rule_validation(api, world):
    bad = api.post("/api/v1/routing-rules", json={"name": "", "match": {"kind": "rant", "colour": "red"},
                                                  "skills": {"billing": 9}}, who="admin")
    assert bad.status_code == 422
    fields = bad.json["error"]["details"]["fields"]
    assert {"name", "match", "skills"} <= set(fields)


def test_widening_steps_open_the_ticket_to_less_skilled_then_other_teams_then_anyone(app, api, world):
    _online(app, world, "nina")  # network team, no billing skill
    t = _create(api, required_skills={"billing": 5})
    assert t["status"] == "new"
    created = utcnow()
    with app.app_context():
        for minutes, expected_widening in ((1, 0), (3, 1), (6, 2)):
            routing.sweep(now=created + timedelta(minutes=minutes))
            ticket = db.session.get(Ticket, t["id"])
            assert (ticket.routing_widening, ticket.assignee_id) == (expected_widening, None), minutes
        routing.sweep(now=created + timedelta(minutes=11))
        assert db.session.get(Ticket, t["id"]).assignee_id == world.id("nina")
    widened = [(e["before"], e["after"]) for e in _events(api, t["id"], "routing_widened")]
    assert widened == [(0, 1), (1, 2), (2, 3)]


def test_manual_assignment_respects_capacity_unless_a_supervisor_overrides(app, api, world):
    _online(app, world, "anna", capacity=1)
    _create(api)
    extra = _create(api, subject="extra")
    r = api.post(f"/api/v1/tickets/{extra['id']}/assign", json={"agent_id": world.id("anna")})
    assert r.status_code == 409 and r.json["error"]["code"] == "agent_at_capacity"
    assert api.post(f"/api/v1/tickets/{extra['id']}/assign", json={"agent_id": world.id("anna"), "override": True},
                    who="anna").status_code == 403
    r = api.post(f"/api/v1/tickets/{extra['id']}/assign", json={"agent_id": world.id("anna"), "override": True})
    assert r.status_code == 200 and _events(api, extra["id"], "assigned")[-1]["data"]["override"] is True


def test_the_queue_is_for_supervisors_in_serving_order(app, api, world):
    low = _create(api, priority="P4", subject="low")
    high = _create(api, priority="P1", subject="high")
    assert api.get("/api/v1/queue", who="anna").status_code == 403
    items = api.get("/api/v1/queue").json["items"]
    assert [i["ticket_id"] for i in items] == [high["id"], low["id"]]
    assert items[0]["score"] > items[1]["score"] and items[0]["waiting_reason_text"]


def test_routing_twice_assigns_once(app, api, world):
    t = _create(api)
    _online(app, world, "anna", "bert")
    with app.app_context():
        first = routing.route_ticket(t["id"])
        second = routing.route_ticket(t["id"])
        assert first in (world.id("anna"), world.id("bert")) and second is None
        assert len(db.session.scalars(select(Ticket).where(Ticket.assignee_id.is_not(None))).all()) == 1
    assert len(_events(api, t["id"], "assigned")) == 1


def test_an_available_agent_at_capacity_shows_as_busy(app, api, world):
    _online(app, world, "anna", capacity=1)
    _create(api)
    anna = next(a for a in api.get("/api/v1/agents").json["items"] if a["id"] == world.id("anna"))
    assert (anna["presence"], anna["state"], anna["load"]) == ("available", "busy", 1)


def test_a_handed_back_ticket_starts_its_widening_again(app, api, world):
    from tests import factories

    _online(app, world, "anna")
    with app.app_context():  # created 11 minutes ago: it has waited long enough to widen fully
        t = {"id": factories.ticket_at(world, utcnow() - timedelta(minutes=11)).id}
        assert db.session.get(Ticket, t["id"]).assignee_id == world.id("anna")
    api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "away"}, who="anna")
    _online(app, world, "nina")  # another team, no billing skill: eligible only at "any agent"
    with app.app_context():
        routing.sweep()
        ticket = db.session.get(Ticket, t["id"])
        assert ticket.assignee_id is None and ticket.routing_widening == 0


def test_a_ticket_is_safe_and_routed_later_when_routing_fails_in_its_request(app, api, world, monkeypatch):
    def broken(ticket, now, fx):  # a statement fails midway: the creation's transaction is spoilt
        db.session.execute(text("SELECT no_such_column FROM tickets"))

    _online(app, world, "anna")
    monkeypatch.setattr(routing, "route_new", broken)
    r = api.post("/api/v1/tickets", json=ticket_body(), headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201 and r.json["status"] == "new"
    monkeypatch.undo()
    run_jobs(app)
    assert api.get(f"/api/v1/tickets/{r.json['id']}").json["assignee"]["id"] == world.id("anna")
    with app.app_context():  # made once: the failed try left nothing behind
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_explanation_always_names_the_chosen_agent_first(app, api, world):
    _online(app, world, "anna", "bert")
    t = _create(api)
    why = _events(api, t["id"], "assigned")[0]["data"]
    assert why["candidates"][0]["agent_id"] == t["assignee"]["id"]


def test_a_new_ticket_that_waits_is_routed_again_once_its_commit_makes_it_visible(app, api, world):
    # An agent freed while the ticket was being made looked for waiting tickets before this one
    # could be seen; the job queued with the commit finds the seat (set_presence here triggers
    # no routing of its own, as that agent's search came too early).
    from callcenter.routing.job_names import ROUTE_TICKET_JOB
    from tests.capture import capture

    with capture() as seen:
        t = api.post("/api/v1/tickets", json=ticket_body()).json
    assert t["assignee"] is None and (ROUTE_TICKET_JOB, (t["id"],)) in seen.jobs
    _online(app, world, "anna")
    run_jobs(app)
    assert api.get(f"/api/v1/tickets/{t['id']}").json["assignee"]["id"] == world.id("anna")

"""The actions layer: what commits, what is published after, and the paths every change takes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter.actions import assignment, presence, unit_of_work
from callcenter.actions import routing as routing_actions
from callcenter.actions import sla as sla_actions
from callcenter.actors import SYSTEM
from callcenter.auth.models import User
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.routing import engine
from callcenter.routing import service as routing
from callcenter.sla.models import SlaClock
from callcenter.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.capture import capture


def test_a_rolled_back_action_publishes_and_enqueues_nothing(app, world):
    """An assignment composed into a unit of work that then fails: nothing reaches a socket or
    a queue, and nothing is written."""
    with app.app_context():
        ticket = factories.ticket_at(world, utcnow())
        with capture(emits=0, jobs=0):
            with pytest.raises(RuntimeError):
                with unit_of_work():
                    assignment.assign(ticket.id, world.id("anna"), factories.actor_of(world, "boss"))
                    raise RuntimeError("the outer use case fails after the assignment")
        assert db.session.get(Ticket, ticket.id, populate_existing=True).assignee_id is None


def test_an_action_publishes_exactly_its_events_once_committed(app, world):
    with app.app_context():
        ticket = factories.ticket_at(world, utcnow(), category="billing")
        with capture(emits=2) as seen:  # the status change and the assignment
            assignment.assign(ticket.id, world.id("anna"), factories.actor_of(world, "boss"))
    assert seen.names() == ["ticket.updated", "ticket.assigned"]
    updated = seen.emits[0][1]
    assert updated["status"] == "assigned" and updated["change"] == "status"
    assert "team:%d" % world.teams["Billing"] in seen.emits[1][2] and "user:%d" % world.id("anna") in seen.emits[1][2]


def test_a_hand_back_goes_through_the_state_machine_and_emits_ticket_updated(app, world):
    with app.app_context():
        factories.set_presence(world.id("anna"), "available")
        ticket = factories.ticket_at(world, utcnow(), category="billing")
        routing_actions.route_ticket(ticket.id)
        assert db.session.get(Ticket, ticket.id, populate_existing=True).assignee_id == world.id("anna")
        with capture() as seen:
            presence.set_presence(world.id("anna"), "away", factories.actor_of(world, "anna"))
        ticket = db.session.get(Ticket, ticket.id, populate_existing=True)
        assert ticket.status.value == "new" and ticket.assignee_id is None and ticket.handed_back
        moves = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.kind == "status_changed")
                                   .order_by(TicketEvent.id)).all()
        assert (moves[-1].before, moves[-1].after, moves[-1].data["reason"]) == ("assigned", "new", "handed_back")
    updates = [payload for name, payload, _rooms in seen.emits if name == "ticket.updated"]
    assert [u["status"] for u in updates if u["change"] == "status"] == ["new"]
    assert "presence.changed" in seen.names()


def test_an_escalation_that_raises_the_priority_retargets_the_clocks(app, world):
    """As a person's change of priority does: the policy for the new priority sets the targets."""
    with app.app_context():
        factories.policy("P2 fast", first=600, resolution=3600, match={"priority": "P2"}, position=1)
        factories.policy("the rest", first=1200, resolution=86400, position=5, warn_at=(), escalation=[
            {"level": 2, "after_seconds": 60, "notify": "supervisors", "raise_priority": True}])
        start = utcnow() - timedelta(hours=1)
        ticket = factories.ticket_at(world, start, priority="P3")
        clock = db.session.scalar(select(SlaClock).where(SlaClock.ticket_id == ticket.id,
                                                         SlaClock.name == "resolution"))
        assert clock.target_seconds == 86400
        first = db.session.scalar(select(SlaClock).where(SlaClock.ticket_id == ticket.id,
                                                         SlaClock.name == "first_response"))
        fired = sla_actions.check(first.id, now=first.due_at + timedelta(seconds=61))
        assert fired == ["breach", "escalation:2"]
        ticket = db.session.get(Ticket, ticket.id, populate_existing=True)
        clock = db.session.get(SlaClock, clock.id, populate_existing=True)
        assert ticket.priority.value == "P2" and clock.target_seconds == 3600
        assert db.session.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.kind == "sla_retargeted")) is not None


def test_an_agent_with_an_open_offer_is_busy_in_the_agents_list_exactly_when_routing_thinks_so(app, api, world):
    with app.app_context():
        factories.set_presence(world.id("anna"), "available")
        user = db.session.get(User, world.id("anna"))
        user.capacity = 1
        db.session.commit()
        ticket = factories.ticket_at(world, utcnow(), category="network")  # another team's: not routed to anna
        factories.offer(ticket.id, world.id("anna"), utcnow())
        state = next(s for s in routing.agent_states() if s.id == world.id("anna"))
        facts = routing.waiting_facts()
        routing_says_full = not state.has_room
    row = next(a for a in api.get("/api/v1/agents").json["items"] if a["id"] == world.id("anna"))
    assert routing_says_full and row["load"] == 1 and row["state"] == "busy"
    assert all(engine.why_not(state, f, 3) is not None for f in facts)


def test_the_system_moves_a_ticket_only_along_the_state_machine(app, world):
    from callcenter.actions.status import change_status
    from callcenter.effects import Effects

    with app.app_context():
        ticket = factories.ticket_at(world, utcnow())
        with pytest.raises(ValueError):
            change_status(db.session.get(Ticket, ticket.id), "closed", SYSTEM, utcnow(), Effects())
        db.session.rollback()

"""Giving a ticket to an agent (by hand, by routing, by an SLA escalation) and handing tickets
back to the queue: one path each, whoever does it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from ..actors import SYSTEM, Actor
from ..auth.models import Role, User
from ..console.rooms import rooms_for, ticket_summary
from ..db_types import utcnow
from ..effects import Effects
from ..errors import Conflict, Forbidden, ValidationFailed
from ..extensions import db
from ..followups import service as followups
from ..routing import offers
from ..routing import service as routing
from ..tickets import access, audit, changes, labels, lifecycle, permissions
from ..tickets.models import Ticket
from . import unit_of_work
from .status import change_status


def give(ticket: Ticket, agent: User, actor: Actor, now: datetime, fx: Effects, **why: Any) -> None:
    """Set the assignee, with its audit, status and events. The caller holds the locks of the
    ticket and of both agents (routing.lock_agents)."""
    before = {"id": ticket.assignee.id, "name": ticket.assignee.name} if ticket.assignee else None
    previous_id = ticket.assignee_id
    offers.withdraw_for_ticket(ticket, actor, now, fx)
    previous_rooms = rooms_for(ticket)
    ticket.assignee, ticket.assignee_id, ticket.assigned_at = agent, agent.id, now
    changes.record_answer(ticket, now)
    if ticket.team_id not in agent.team_ids and agent.teams:
        audit.set_field(ticket, "team_id", agent.teams[0].id, actor)
        ticket.team = agent.teams[0]  # the relationship too: a new ticket's answer reads it unexpired
    audit.record(ticket, "assigned", actor, field="assignee", before=before,
                 after={"id": agent.id, "name": agent.name}, **why)
    new_status = lifecycle.status_after_assignment(ticket.status.value)
    if new_status != ticket.status.value:
        change_status(ticket, new_status, actor, now, fx, reason="assigned")
    if previous_id and previous_id != agent.id and ticket.status.value in lifecycle.LOAD_STATUSES:
        fx.enqueue(routing.ROUTE_FOR_AGENT_JOB, previous_id, queue="high")  # a transfer frees a seat
    payload = ticket_summary(ticket, "assigned", now)
    payload["assignee_name"] = agent.name
    fx.emit("ticket.assigned", payload, previous_rooms + rooms_for(ticket))


def assign(ticket_id: int, agent_id: int, actor: Actor, *, override: bool = False, pin: bool = False,
           now: datetime | None = None) -> Ticket:
    """Give a ticket to an agent (supervisors), or take it (an agent, for themselves).
    Nobody goes over capacity, except when a supervisor explicitly overrides."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        if not permissions.can_assign(actor, agent_id, ticket.assignee_id):
            raise Forbidden(_("Agents may only take unassigned tickets, for themselves."))
        routing.lock_agents([ticket.assignee_id, agent_id])  # ticket first, then agents: capacity under lock
        agent = db.session.get(User, agent_id, populate_existing=True)
        if agent is None or not agent.active or agent.role not in (Role.agent, Role.supervisor):
            raise ValidationFailed(_("No active agent with id %(id)s.", id=agent_id),
                                   {"fields": {"agent_id": ["unknown or inactive agent"]}})
        if ticket.status.value not in lifecycle.ASSIGNABLE:
            raise Conflict(_("A ticket in status %(status)s cannot be assigned.",
                             status=labels.staff_status(ticket.status.value)),
                           {"status": ticket.status.value}, code="not_assignable")
        if (override or pin) and not actor.is_supervisor:
            raise Forbidden(_("Only supervisors may pin a ticket or assign over capacity."))
        if ticket.assignee_id != agent.id:
            load = routing.seat_load(agent.id)  # tickets held and offers open
            if load >= agent.capacity and not override:
                raise Conflict(_("%(name)s is at capacity (%(load)s of %(capacity)s).", name=agent.name, load=load,
                                 capacity=agent.capacity),
                               {"load": load, "capacity": agent.capacity}, code="agent_at_capacity")
            give(ticket, agent, actor, now, fx, rule="manual", load_before=load, capacity=agent.capacity,
                 override=bool(override and load >= agent.capacity))
            agent.last_assigned_at = now  # manual work counts for fairness too
        if ticket.pinned != pin:
            audit.set_field(ticket, "pinned", pin, actor)
    return ticket


def hand_back_untouched(agent: User, now: datetime, fx: Effects) -> list[int]:
    """An agent went away or offline: tickets they never answered go back to the front of the
    queue, through the state machine like any other status change.

    Inside the caller's transaction, which holds the agent's row. Tickets being worked stay.
    Ticket rows another transaction holds are skipped (waiting would invert the ticket-then-
    agent lock order); the routing sweep hands those back."""
    tickets = routing.untouched_tickets(agent)
    for ticket in tickets:
        previous_rooms = rooms_for(ticket)

        changes.mark_handed_back(ticket, agent, now)
        change_status(ticket, lifecycle.NEW, SYSTEM, now, fx, reason="handed_back")
        fx.emit("ticket.updated", ticket_summary(ticket, "handed_back", now), previous_rooms)
    if tickets:
        routing.request_sweep(fx)
    followups.hand_back_held(agent, f"agent_{agent.presence.value}", now, fx)
    return [t.id for t in tickets]

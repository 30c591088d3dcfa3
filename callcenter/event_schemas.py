"""The contract of every socket event: one schema each (marshmallow). events.py refuses a name with
no schema, and tests check every payload against its schema."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

NAMESPACE = "/console"  # the Socket.IO namespace every event goes to


class _Event(Schema):
    class Meta:
        unknown = INCLUDE  # extra explanatory fields are allowed; the listed ones are promised

    seq = fields.Integer(required=True)


class TicketSummary(_Event):
    ticket_id = fields.Integer(required=True)
    reference = fields.String(required=True)
    change = fields.String(required=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    assignee_id = fields.Integer(allow_none=True, required=True)
    team_id = fields.Integer(allow_none=True, required=True)
    subject = fields.String(required=True)
    updated_at = fields.String(required=True)


class TicketAssigned(TicketSummary):
    assignee_name = fields.String(required=True)


class TicketMessage(_Event):
    ticket_id = fields.Integer(required=True)
    message_id = fields.Integer(required=True)
    author_kind = fields.String(required=True)
    author_name = fields.String(required=True)
    internal = fields.Boolean(required=True)
    body = fields.String(required=True)
    created_at = fields.String(required=True)


class TicketOffered(_Event):
    ticket_id = fields.Integer(required=True)
    offer_id = fields.Integer(required=True)
    agent_id = fields.Integer(required=True)
    reference = fields.String(required=True)
    subject = fields.String(required=True)
    expires_at = fields.String(required=True)


class PresenceChanged(_Event):
    agent_id = fields.Integer(required=True)
    name = fields.String(required=True)
    before = fields.String(required=True)
    presence = fields.String(required=True)


class QueueStats(_Event):
    ticket_id = fields.Integer(allow_none=True)
    waiting = fields.Integer(required=True)
    oldest_wait_seconds = fields.Integer(required=True)


class SlaEvent(_Event):
    ticket_id = fields.Integer(required=True)
    reference = fields.String(required=True)
    clock = fields.String(required=True)
    level = fields.String(required=True)
    due_at = fields.String(allow_none=True, required=True)
    percent_used = fields.Float(required=True)
    assignee_id = fields.Integer(allow_none=True, required=True)


class FollowUpEvent(_Event):
    """A callback or revisit that became someone's work, changed, or nears its window's end."""
    followup_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    ticket_id = fields.Integer(allow_none=True, required=True)
    reference = fields.String(allow_none=True, required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True)
    assignee_id = fields.Integer(allow_none=True, required=True)
    attempts_made = fields.Integer(required=True)
    window_start = fields.String(required=True)
    window_end = fields.String(required=True)
    next_attempt_at = fields.String(allow_none=True, required=True)


class Viewer(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    typing = fields.Boolean(required=True)


class TicketViewers(_Event):
    """Who has the ticket open now (collision detection), one entry per person."""
    ticket_id = fields.Integer(required=True)
    viewers = fields.List(fields.Nested(Viewer), required=True)


class PopCustomer(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    tier = fields.String(required=True)


class PopTicket(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    subject = fields.String(required=True)
    status = fields.String(required=True)


class PopMatch(Schema):
    customer = fields.Nested(PopCustomer, required=True)
    open_tickets = fields.List(fields.Nested(PopTicket), required=True)
    other_open_tickets = fields.Integer(required=True, metadata={"description": "open tickets held by teams the agent is not in"})


class CallScreenPop(_Event):
    """A call ringing at this agent: who may be calling (POST /api/v1/calls)."""
    call_id = fields.Integer(required=True)
    caller = fields.String(required=True)
    called = fields.String(allow_none=True, required=True)
    agent_id = fields.Integer(required=True)
    matches = fields.List(fields.Nested(PopMatch), required=True)


class RecoveryStarted(_Event):
    ticket_id = fields.Integer(required=True)
    reference = fields.String(required=True)
    source = fields.String(required=True)
    number = fields.Integer(required=True)
    reason = fields.Dict(required=True)
    priority = fields.String(required=True)


EVENTS: dict[str, type[Schema]] = {
    "call.screen_pop": CallScreenPop,
    "callback.due": FollowUpEvent,
    "followup.updated": FollowUpEvent,
    "followup.warning": FollowUpEvent,
    "recovery.started": RecoveryStarted,
    "sla.warning": SlaEvent,
    "sla.breached": SlaEvent,
    "ticket.updated": TicketSummary,
    "ticket.assigned": TicketAssigned,
    "ticket.message": TicketMessage,
    "ticket.offered": TicketOffered,
    "presence.changed": PresenceChanged,
    "queue.stats": QueueStats,
    "ticket.viewers": TicketViewers,
}


def errors(name: str, payload: dict) -> dict:
    """Validation errors of a payload against its event's schema ({} when it conforms)."""
    return EVENTS[name]().validate(payload)

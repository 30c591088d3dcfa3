"""/api/v1/tickets: thin handlers that parse, call one service and serialise."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actions import assignment
from ..actions import tickets as actions
from ..auth.api_auth import current_actor
from ..errors import ValidationFailed
from ..extensions import db
from ..schemas_common import LongPageArgs, page_schema, paginate
from . import access
from .models import Ticket, TicketEvent, TicketMessage
from .queries import apply_filters, visible_tickets
from .schemas import (
    AssignIn,
    CustomerMatchOut,
    EventOut,
    MatchDecisionIn,
    MessageIn,
    MessageOut,
    PromiseIn,
    PromiseOut,
    PromiseSettleIn,
    ResolutionIn,
    TicketCreate,
    TicketListArgs,
    TicketOut,
    TicketPatch,
    TransitionIn,
    preload_sla,
)

blp = Blueprint("tickets_api", __name__, url_prefix="/api/v1/tickets",
                description="Complaints, service requests and inquiries.")

IDEMPOTENCY_HEADER = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "A retried POST with the same key returns the first ticket instead of creating another.",
}


@blp.route("")
@blp.arguments(TicketListArgs, location="query")
@blp.response(200, page_schema(TicketOut, "TicketPage"))
def list_tickets(args):
    """List the tickets you may see, newest first, with filters."""
    stmt = apply_filters(visible_tickets(current_actor()), args)
    stmt = stmt.options(selectinload(Ticket.customer), selectinload(Ticket.assignee), selectinload(Ticket.team),
                        selectinload(Ticket.promises)).order_by(Ticket.id.desc())
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    preload_sla(page["items"])
    return page


@blp.route("", methods=["POST"])
@blp.arguments(TicketCreate)
@blp.response(201, TicketOut)
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
def create_ticket(data):
    """Create a ticket. The customer is found again by phone or email, or recorded."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 255:
        raise ValidationFailed(_("The Idempotency-Key header takes 1 to 255 characters."),
                               {"fields": {"Idempotency-Key": ["1 to 255 characters"]}})
    ticket, created = actions.create_ticket(data, current_actor(), idempotency_key=key)
    headers = {"Location": f"/api/v1/tickets/{ticket.id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return ticket, 201, headers


@blp.route("/<int(max=2147483647):ticket_id>")
@blp.response(200, TicketOut)
def get_ticket(ticket_id):
    """One ticket."""
    return access.get_visible(ticket_id, current_actor())


@blp.route("/<int(max=2147483647):ticket_id>", methods=["PATCH"])
@blp.arguments(TicketPatch)
@blp.response(200, TicketOut)
def patch_ticket(changes, ticket_id):
    """Change fields (priority, severity, category, resolution ...); each change is audited."""
    return actions.update_fields(ticket_id, changes, current_actor())


@blp.route("/<int(max=2147483647):ticket_id>/transitions", methods=["POST"])
@blp.arguments(TransitionIn)
@blp.response(200, TicketOut)
def transition(data, ticket_id):
    """Move a ticket to another status; 409 lists the allowed ones when the move is not."""
    resolution = ResolutionIn().as_fields(data["resolution"]) if data.get("resolution") else None
    return actions.transition(ticket_id, data["to"], current_actor(), reason=data.get("reason"),
                               resolution=resolution)


@blp.route("/<int(max=2147483647):ticket_id>/messages", methods=["POST"])
@blp.arguments(MessageIn)
@blp.response(201, MessageOut)
def post_message(data, ticket_id):
    """A public reply (the first one is the first response) or an internal note."""
    return actions.add_message(ticket_id, data["body"], data["internal"], current_actor(),
                               seen_event_id=data["seen_event_id"])


@blp.route("/<int(max=2147483647):ticket_id>/messages")
@blp.arguments(LongPageArgs, location="query")
@blp.response(200, page_schema(MessageOut, "MessagePage"))
def list_messages(args, ticket_id):
    """The conversation, oldest first, internal notes included."""
    access.get_visible(ticket_id, current_actor())
    stmt = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/<int(max=2147483647):ticket_id>/assign", methods=["POST"])
@blp.arguments(AssignIn)
@blp.response(200, TicketOut)
def assign(data, ticket_id):
    """Assign to an agent (supervisors), or take it yourself (agents)."""
    return assignment.assign(ticket_id, data["agent_id"], current_actor(), override=data["override"], pin=data["pin"])


@blp.route("/<int(max=2147483647):ticket_id>/events")
@blp.arguments(LongPageArgs, location="query")
@blp.response(200, page_schema(EventOut, "EventPage"))
def events(args, ticket_id):
    """The audit trail, oldest first."""
    access.get_visible(ticket_id, current_actor())
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/<int(max=2147483647):ticket_id>/promises", methods=["POST"])
@blp.arguments(PromiseIn)
@blp.response(201, PromiseOut)
def add_promise(data, ticket_id):
    """Record a commitment made to the customer, with its due time."""
    return actions.add_promise(ticket_id, data["description"], data["due_at"], current_actor())


@blp.route("/<int(max=2147483647):ticket_id>/promises/<int(max=2147483647):promise_id>", methods=["POST"])
@blp.arguments(PromiseSettleIn)
@blp.response(200, PromiseOut)
def settle_promise(data, ticket_id, promise_id):
    """Mark a promise kept or cancelled."""
    return actions.settle_promise(ticket_id, promise_id, data["outcome"], current_actor())


@blp.route("/<int(max=2147483647):ticket_id>/customer-matches")
@blp.response(200, CustomerMatchOut(many=True))
def customer_matches(ticket_id):
    """Customer records holding the phone or email of a ticket from an unverified source, undecided."""
    access.get_visible(ticket_id, current_actor())
    return access.pending_matches(ticket_id)


@blp.route("/<int(max=2147483647):ticket_id>/customer-matches/<int(max=2147483647):match_id>", methods=["POST"])
@blp.arguments(MatchDecisionIn)
@blp.response(200, TicketOut)
def decide_customer_match(data, ticket_id, match_id):
    """Confirm (the ticket joins that customer's record, tier and history) or reject a suggestion; audited."""
    if data["decision"] == "confirm":
        return actions.confirm_match(ticket_id, match_id, current_actor())
    return actions.reject_match(ticket_id, match_id, current_actor())


__all__ = ["blp"]

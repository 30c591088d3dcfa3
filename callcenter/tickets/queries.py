"""Which tickets a person may list, as SQL. The single-ticket rule is permissions.can_view."""
from __future__ import annotations

from sqlalchemy import false, or_, select

from ..actors import Actor
from ..auth.models import Team
from ..customers.models import Customer
from .models import Ticket


def visible_tickets(actor: Actor):
    """Tickets this actor may see (the same rule as permissions.can_view), for lists to refine."""
    stmt = select(Ticket)
    if actor.is_supervisor or actor.kind == "system":
        return stmt
    if not actor.is_staff:
        return stmt.where(false())
    return stmt.where(or_(Ticket.team_id.in_(actor.team_ids or {-1}), Ticket.assignee_id == actor.user_id))


def apply_filters(stmt, args: dict):
    if args.get("status"):
        stmt = stmt.where(Ticket.status.in_([s for s in args["status"].split(",") if s]))
    if "assignee_id" in args:
        stmt = stmt.where(Ticket.assignee_id == args["assignee_id"])
    if args.get("priority"):
        stmt = stmt.where(Ticket.priority == args["priority"])
    if args.get("kind"):
        stmt = stmt.where(Ticket.kind == args["kind"])
    if "customer_id" in args:
        stmt = stmt.where(Ticket.customer_id == args["customer_id"])
    if args.get("team"):
        stmt = stmt.join(Team, Team.id == Ticket.team_id).where(Team.name == args["team"])
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.join(Customer, Customer.id == Ticket.customer_id).where(or_(
            Ticket.reference.ilike(like), Ticket.subject.ilike(like), Ticket.description.ilike(like),
            Customer.name.ilike(like), Customer.phone.ilike(like), Customer.email.ilike(like)))
    return stmt

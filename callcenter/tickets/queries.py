"""Which tickets a person may list, as SQL. The single-ticket rule is permissions.can_view."""
from __future__ import annotations

from sqlalchemy import and_, case, false, or_, select
from sqlalchemy.orm import joinedload

from ..actors import Actor
from ..auth.models import Team
from ..customers.models import Customer
from ..customers.normalise import LIKE_ESCAPE, like_contains, phone_query
from .models import Promise, Ticket


def answer_parts() -> tuple:
    """What a ticket's API answer reads (tickets/schemas.TicketOut), loaded with it: the customer,
    assignee, team and promises in the ticket's own statement."""
    return (joinedload(Ticket.customer), joinedload(Ticket.assignee), joinedload(Ticket.team),
            joinedload(Ticket.promises))


def visible_tickets(actor: Actor):
    """Tickets this actor may see (the same rule as permissions.can_view, followed tickets
    included), for lists to refine."""
    stmt = select(Ticket)
    if actor.is_supervisor or actor.kind == "system":
        return stmt
    if not actor.is_staff:
        return stmt.where(false())
    promised = select(Promise.ticket_id).where(Promise.created_by_id == actor.user_id)  # followers, as access.py
    return stmt.where(or_(Ticket.team_id.in_(actor.team_ids or {-1}), Ticket.assignee_id == actor.user_id,
                          Ticket.created_by_id == actor.user_id, Ticket.id.in_(promised)))


def apply_filters(stmt, args: dict):
    if args.get("status"):
        stmt = stmt.where(Ticket.status.in_([s for s in args["status"].split(",") if s]))
    if "assignee_id" in args:
        stmt = stmt.where(Ticket.assignee_id == args["assignee_id"])
    if args.get("priority"):
        stmt = stmt.where(Ticket.priority == args["priority"])
    if args.get("kind"):
        stmt = stmt.where(Ticket.kind == args["kind"])
    if args.get("channel"):
        stmt = stmt.where(Ticket.channel == args["channel"])
    if args.get("category"):
        stmt = stmt.where(Ticket.category_code == args["category"])
    if "customer_id" in args:
        stmt = stmt.where(Ticket.customer_id == args["customer_id"])
    if args.get("team"):
        stmt = stmt.join(Team, Team.id == Ticket.team_id).where(Team.name == args["team"])
    if args.get("q"):
        stmt = stmt.where(text_matches(args["q"]))
    return stmt


def text_matches(q: str):
    """The search box: reference, subject, description, the contact given and the linked record.

    A phone number is searched by its digits however it was typed ('+86 138 0013 8000',
    '138-0013-8000'), on the ticket's contact and on the record; '%' and '_' are literal.
    """
    q = q.strip()
    like = like_contains(q)
    linked = select(Customer.id).where(or_(Customer.name.ilike(like, escape=LIKE_ESCAPE),
                                           Customer.email_norm.like(like_contains(q.lower()), escape=LIKE_ESCAPE)))
    conditions = [Ticket.reference.ilike(like, escape=LIKE_ESCAPE), Ticket.subject.ilike(like, escape=LIKE_ESCAPE),
                  Ticket.description.ilike(like, escape=LIKE_ESCAPE), Ticket.contact_name.ilike(like, escape=LIKE_ESCAPE),
                  Ticket.contact_email_norm.like(like_contains(q.lower()), escape=LIKE_ESCAPE)]
    digits = phone_query(q)
    if digits:
        conditions.append(Ticket.contact_phone_norm.like(like_contains(digits), escape=LIKE_ESCAPE))
        linked = linked.union(select(Customer.id).where(Customer.phone_norm.like(like_contains(digits),
                                                                                 escape=LIKE_ESCAPE)))
    conditions.append(Ticket.customer_id.in_(linked))
    return or_(*conditions)


def sla_due():
    """When the ticket's next SLA clock runs out: the first response while none was given (if it
    comes first), else the resolution. For 'most urgent first'."""
    first = case((and_(Ticket.first_response_at.is_(None), Ticket.first_response_due_at.is_not(None),
                       or_(Ticket.resolution_due_at.is_(None),
                           Ticket.first_response_due_at < Ticket.resolution_due_at)),
                  Ticket.first_response_due_at), else_=Ticket.resolution_due_at)
    return first


SORTS = ("sla", "priority", "age", "newest")


def ordered(stmt, sort: str):
    """sla: breached first, then least time left (none last), then priority; priority: P1 first, oldest first
    within; age: oldest first; newest: newest first."""
    if sort == "sla":
        breached = case((Ticket.sla_state == "breached", 0), else_=1)
        due = sla_due()
        return stmt.order_by(breached, case((due.is_(None), 1), else_=0), due, Ticket.priority, Ticket.id)
    if sort == "priority":
        return stmt.order_by(Ticket.priority, Ticket.id)
    if sort == "age":
        return stmt.order_by(Ticket.id)
    return stmt.order_by(Ticket.id.desc())

"""Reading customer records: lookups, the search box, who may see whom. Read only."""
from __future__ import annotations

import functools

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, or_, select

from ..actors import Actor
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..tickets.models import Ticket
from ..tickets.queries import visible_tickets
from .models import Customer
from .normalise import LIKE_ESCAPE, like_contains, matched_on, phone_query

MAX_SUGGESTIONS = 5


def candidates(phone_norm: str | None, email_norm: str | None,
               limit: int = MAX_SUGGESTIONS) -> list[tuple[Customer, tuple[str, ...]]]:
    """Records holding this phone or email (erased ones never), best match first."""
    if not phone_norm and not email_norm:
        return []
    rows = db.session.scalars(_candidates_statement(bool(phone_norm), bool(email_norm), limit * 4),
                              {"phone_norm": phone_norm, "email_norm": email_norm}).all()
    found = [(c, matched_on(c.phone_norm, c.email_norm, phone_norm, email_norm)) for c in rows]
    found.sort(key=lambda pair: (-len(pair[1]), pair[0].id))
    return found[:limit]


@functools.cache
def _candidates_statement(by_phone: bool, by_email: bool, limit: int) -> Select:
    """Built once a shape (every new ticket looks its caller up): its cache key is kept with it."""
    conditions = ([Customer.phone_norm == bindparam("phone_norm")] if by_phone else []) + \
                 ([Customer.email_norm == bindparam("email_norm")] if by_email else [])
    return (select(Customer).where(or_(*conditions), Customer.erased_at.is_(None))
            .order_by(Customer.id).limit(limit))


def ticket_counts(customer_ids: list[int]) -> dict[int, int]:
    if not customer_ids:
        return {}
    return dict(db.session.execute(select(Ticket.customer_id, func.count(Ticket.id))
                                   .where(Ticket.customer_id.in_(customer_ids)).group_by(Ticket.customer_id)).all())


def text_matches(q: str):
    """The customer search box: name, email, or a phone number however it is typed; '%' and '_' literal."""
    q = q.strip()
    conditions = [Customer.name.ilike(like_contains(q), escape=LIKE_ESCAPE),
                  Customer.email_norm.like(like_contains(q.lower()), escape=LIKE_ESCAPE)]
    digits = phone_query(q)
    if digits:
        conditions.append(Customer.phone_norm.like(like_contains(digits), escape=LIKE_ESCAPE))
    return or_(*conditions)


def get(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def visible_customers(actor: Actor):
    """Customers a person may look up: supervisors all; an agent those with a ticket they may see."""
    stmt = select(Customer)
    if actor.is_supervisor:
        return stmt
    return stmt.where(Customer.id.in_(visible_tickets(actor).with_only_columns(Ticket.customer_id)))


def get_visible(customer_id: int, actor: Actor) -> Customer:
    customer = get(customer_id)
    if not db.session.scalar(visible_customers(actor).where(Customer.id == customer_id).with_only_columns(Customer.id)):
        raise Forbidden(_("This customer has no tickets you may see."))
    return customer

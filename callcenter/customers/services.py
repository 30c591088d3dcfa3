"""Finding a person again, or recording a new one. Callers own the transaction."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..actors import Actor
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from .models import Customer, Tier
from .normalise import normalise_email, normalise_phone


def _lookup(phone_norm: str | None, email_norm: str | None) -> Customer | None:
    """Phone first (the desk's usual key), then email."""
    conditions = []
    if phone_norm:
        conditions.append(Customer.phone_norm == phone_norm)
    if email_norm:
        conditions.append(Customer.email_norm == email_norm)
    if not conditions:
        return None
    found = db.session.scalars(select(Customer).where(or_(*conditions))).all()
    by_phone = [c for c in found if phone_norm and c.phone_norm == phone_norm]
    return (by_phone or found or [None])[0]


def find_or_create(name: str, phone: str | None, email: str | None, language: str | None = None) -> Customer:
    """The customer with this phone or email, filling in what they did not have; else a new one.

    Runs inside the caller's transaction. Two requests racing to create the same person
    meet the unique index; the loser re-reads the winner's row.
    """
    phone_norm, email_norm = normalise_phone(phone), normalise_email(email)
    if not phone_norm and not email_norm:
        raise ValidationFailed(_("A phone number or an email is needed."),
                               {"fields": {"customer": ["phone or email required"]}})
    for _attempt in range(3):
        customer = _lookup(phone_norm, email_norm)
        if customer is not None:
            _fill_missing(customer, phone, phone_norm, email, email_norm)
            return customer
        customer = Customer(name=name.strip(), phone=phone, phone_norm=phone_norm, email=email,
                            email_norm=email_norm, language=language)
        try:
            with db.session.begin_nested():
                db.session.add(customer)
        except IntegrityError:
            continue
        return customer
    raise RuntimeError("could not create or find the customer")  # pragma: no cover


def _fill_missing(customer: Customer, phone, phone_norm, email, email_norm) -> None:
    """Add a phone or email the record lacked, unless it already belongs to someone else."""
    if phone_norm and not customer.phone_norm:
        if not db.session.scalar(select(Customer.id).where(Customer.phone_norm == phone_norm)):
            customer.phone, customer.phone_norm = phone, phone_norm
    if email_norm and not customer.email_norm:
        if not db.session.scalar(select(Customer.id).where(Customer.email_norm == email_norm)):
            customer.email, customer.email_norm = email, email_norm


def get(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def visible_customers(actor: Actor):
    """Customers a person may look up: supervisors all; an agent those with a ticket they may see."""
    from ..tickets.models import Ticket
    from ..tickets.queries import visible_tickets

    stmt = select(Customer)
    if actor.is_supervisor:
        return stmt
    return stmt.where(Customer.id.in_(visible_tickets(actor).with_only_columns(Ticket.customer_id)))


def get_visible(customer_id: int, actor: Actor) -> Customer:
    customer = get(customer_id)
    if not db.session.scalar(visible_customers(actor).where(Customer.id == customer_id).with_only_columns(Customer.id)):
        raise Forbidden(_("This customer has no tickets you may see."))
    return customer


def set_tier(customer_id: int, tier: str, actor: Actor) -> Customer:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins change a customer's tier."))
    try:
        new_tier = Tier(tier)
    except ValueError:
        raise ValidationFailed(_("Unknown tier."), {"fields": {"tier": [f"one of {[t.value for t in Tier]}"]}}) from None
    customer = get(customer_id)
    customer.tier = new_tier
    db.session.commit()
    return customer

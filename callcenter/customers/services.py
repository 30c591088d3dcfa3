"""Finding the record a ticket belongs to, or recording a new one. Callers own the transaction.

Who says who is writing decides what may happen (docs/PRIVACY.md):
- a trusted source (staff, an integration's token) links to a record by phone or email, may
  choose the record, and fills in what the record lacks;
- an unverified source (the public form) never writes onto a record and is never linked to
  one that exists: a record that holds the phone or email becomes a suggestion for staff.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..actors import Actor
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from .identity import Candidate, best_candidate
from .models import Customer, Tier
from .normalise import LIKE_ESCAPE, like_contains, matched_on, normalise_email, normalise_phone, phone_query

MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Contact:
    """Who a ticket says it is from, as given."""

    name: str
    phone: str | None = None
    email: str | None = None

    @property
    def phone_norm(self) -> str | None:
        return normalise_phone(self.phone)

    @property
    def email_norm(self) -> str | None:
        return normalise_email(self.email)

    @classmethod
    def of(cls, person: dict) -> "Contact":
        return cls(name=(person.get("name") or "").strip(), phone=(person.get("phone") or "").strip() or None,
                   email=(person.get("email") or "").strip() or None)


@dataclass
class Resolution:
    """The record a new ticket is linked to (None: not yet), and the records it may belong to."""

    customer: Customer | None
    verified: bool
    suggestions: list[tuple[Customer, tuple[str, ...]]] = field(default_factory=list)


def candidates(phone_norm: str | None, email_norm: str | None,
               limit: int = MAX_SUGGESTIONS) -> list[tuple[Customer, tuple[str, ...]]]:
    """Records holding this phone or email (erased ones never), best match first."""
    conditions = []
    if phone_norm:
        conditions.append(Customer.phone_norm == phone_norm)
    if email_norm:
        conditions.append(Customer.email_norm == email_norm)
    if not conditions:
        return []
    rows = db.session.scalars(select(Customer).where(or_(*conditions), Customer.erased_at.is_(None))
                              .order_by(Customer.id).limit(limit * 4)).all()
    found = [(c, matched_on(c.phone_norm, c.email_norm, phone_norm, email_norm)) for c in rows]
    found.sort(key=lambda pair: (-len(pair[1]), pair[0].id))
    return found[:limit]


def ticket_counts(customer_ids: list[int]) -> dict[int, int]:
    from ..tickets.models import Ticket

    if not customer_ids:
        return {}
    return dict(db.session.execute(select(Ticket.customer_id, func.count(Ticket.id))
                                   .where(Ticket.customer_id.in_(customer_ids)).group_by(Ticket.customer_id)).all())


def resolve(contact: Contact, *, trusted: bool, choice: int | str | None = None,
            language: str | None = None) -> Resolution:
    """The record for a new ticket.

    choice (trusted sources only): a customer id to link, "new" for a new record, None to
    link the best record holding the phone or email (or record a new one).
    """
    if not contact.phone_norm and not contact.email_norm:
        raise ValidationFailed(_("A phone number or an email is needed."),
                               {"fields": {"customer": ["phone or email required"]}})
    _lock_identifiers(contact)
    if not trusted:
        found = candidates(contact.phone_norm, contact.email_norm)
        if found:
            return Resolution(None, False, found)
        return Resolution(create(contact, language), False)
    if choice == "new":
        return Resolution(create(contact, language), True)
    if choice is not None:
        customer = db.session.get(Customer, choice)
        if customer is None or customer.erased_at is not None:
            raise ValidationFailed(_("No such customer."), {"fields": {"customer": {"id": ["unknown customer"]}}})
        fill_missing(customer, contact)
        return Resolution(customer, True)
    found = candidates(contact.phone_norm, contact.email_norm)
    best = best_candidate([Candidate(c.id, on) for c, on in found])
    if best is None:
        return Resolution(create(contact, language), True)
    customer = next(c for c, _on in found if c.id == best.customer_id)
    fill_missing(customer, contact)
    return Resolution(customer, True)


def _lock_identifiers(contact: Contact) -> None:
    """Two requests for the same new caller must not both record them: neither phone nor email is
    unique any more, so on PostgreSQL each identifier takes a transaction-scoped advisory lock
    (in a fixed order) before the lookup. SQLite's writers already queue (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(f"{kind}:{value}") for kind, value in (("phone", contact.phone_norm),
                                                                     ("email", contact.email_norm)) if value})
    for key in keys:
        db.session.execute(select(func.pg_advisory_xact_lock(key)))


def _lock_key(text: str) -> int:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def create(contact: Contact, language: str | None = None) -> Customer:
    customer = Customer(name=contact.name, phone=contact.phone, phone_norm=contact.phone_norm,
                        email=contact.email, email_norm=contact.email_norm, language=language)
    db.session.add(customer)
    db.session.flush()
    return customer


def fill_missing(customer: Customer, contact: Contact) -> None:
    """A trusted source adds a phone or email the record lacked, unless another record holds it."""
    phone_norm, email_norm = contact.phone_norm, contact.email_norm
    if phone_norm and not customer.phone_norm and not _held_elsewhere(Customer.phone_norm, phone_norm, customer.id):
        customer.phone, customer.phone_norm = contact.phone, phone_norm
    if email_norm and not customer.email_norm and not _held_elsewhere(Customer.email_norm, email_norm, customer.id):
        customer.email, customer.email_norm = contact.email, email_norm


def _held_elsewhere(column, value: str, customer_id: int) -> bool:
    return db.session.scalar(select(Customer.id).where(column == value, Customer.id != customer_id).limit(1)) is not None


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

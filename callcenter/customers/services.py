"""Finding the record a ticket belongs to, or recording a new one. Callers own the transaction.

Who says who is writing decides what may happen (docs/PRIVACY.md):
- a trusted source (staff, an integration's token) links to a record by phone or email, may
  choose the record, and fills in what the record lacks;
- an unverified source (the public form) never writes onto a record and is never linked to
  one that exists: a record that holds the phone or email becomes a suggestion for staff.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import BigInteger, bindparam, func, select

from ..actors import Actor
from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from .identity import Candidate, best_candidate
from .models import Customer, Tier
from .normalise import normalise_email, normalise_phone
from .queries import candidates, get


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
    if keys:  # one statement; its select list is evaluated left to right, so in that order
        db.session.execute(_lock_statement(len(keys)), {f"key{i}": key for i, key in enumerate(keys)})


@functools.cache
def _lock_statement(keys: int):
    """Built once a number of keys: its cache key is kept with it."""
    return select(*[func.pg_advisory_xact_lock(bindparam(f"key{i}", type_=BigInteger)) for i in range(keys)])


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


def set_tier(customer_id: int, tier: str, actor: Actor) -> Customer:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins change a customer's tier."))
    try:
        new_tier = Tier(tier)
    except ValueError:
        raise ValidationFailed(_("Unknown tier."), {"fields": {"tier": [f"one of {[t.value for t in Tier]}"]}}) from None
    customer = get(customer_id)
    customer.tier = new_tier
    return customer

"""Customer records, the suggestions that a ticket may be theirs, and the privacy log.

A phone number or an email identifies a contact, not a person: several records may share
one (a household's landline), so neither is unique.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class Tier(str, enum.Enum):
    VIP = "VIP"
    A = "A"
    B = "B"
    C = "C"


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    phone_norm: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_norm: Mapped[str | None] = mapped_column(String(254), index=True)
    tier: Mapped[Tier] = mapped_column(Enum(Tier, native_enum=False, length=8), default=Tier.C)
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Follow-ups: hours in which nobody calls them ('21:00-09:00', the desk's zone), a number
    # a call found wrong, and a customer whose second service recovery failed too.
    do_not_call: Mapped[str | None] = mapped_column(String(60))
    phone_suspect_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the person was erased: the row stays (ticket statistics keep their customer),
    # with nothing left that identifies anyone.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MatchStatus(str, enum.Enum):
    pending = "pending"
    confirmed = "confirmed"
    rejected = "rejected"


class CustomerMatch(db.Model):
    """A ticket from an unverified source whose phone or email a customer record holds.

    Staff confirm it (the ticket is linked to the record, with its tier and history) or
    reject it; until then the ticket speaks only for the contact given with it.
    """

    __tablename__ = "customer_matches"
    __table_args__ = (UniqueConstraint("ticket_id", "customer_id"),
                      Index("ix_customer_matches_customer_status", "customer_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    matched_on: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["phone"], ["email"] or both
    status: Mapped[MatchStatus] = mapped_column(Enum(MatchStatus, native_enum=False, length=12),
                                                default=MatchStatus.pending)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship()


class PrivacyLog(db.Model):
    """Every export, erasure and retention run: who, when, how much. Holds no personal data."""

    __tablename__ = "privacy_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(20))  # export | erase | retention
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

"""Tickets, their messages, promises and the audit trail."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Team, User
from ..customers.identity import effective_tier
from ..customers.models import Customer
from ..db_types import UTCDateTime, utcnow
from ..extensions import db
from .lifecycle import OPEN_STATUSES


def _enum(cls: type[enum.Enum], length: int = 24) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Kind(str, enum.Enum):
    complaint = "complaint"
    service_request = "service_request"
    inquiry = "inquiry"


class Channel(str, enum.Enum):
    web = "web"
    phone = "phone"
    email = "email"
    api = "api"


class Status(str, enum.Enum):
    new = "new"
    assigned = "assigned"
    in_progress = "in_progress"
    pending_customer = "pending_customer"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"


class Priority(str, enum.Enum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Severity(str, enum.Enum):
    ordinary = "ordinary"
    serious = "serious"
    critical = "critical"


class Category(db.Model):
    """A category customers pick; it names the team and skills that usually handle it."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    # What a ticket in this category needs, unless a routing rule says otherwise: {"billing": 3}.
    required_skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    default_priority: Mapped[str | None] = mapped_column(String(4))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    team: Mapped[Team | None] = relationship()

    def label(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


# The columns the figures count, carried by the index each kind of count reads (migration 0017).
RESOLVED_FIGURES = ["handle_seconds", "reopen_count", "agent_replies", "team_id", "assignee_id"]
CREATED_FIGURES = ["resolved_at", "reopen_count", "team_id", "assignee_id"]
ANSWERED_FIGURES = ["queue_wait_seconds", "cancelled_at", "team_id", "assignee_id"]
ABANDONED_FIGURES = ["queue_wait_seconds", "answered_at", "team_id", "assignee_id"]
COMPLAINT_FIGURES = ["root_cause", "responsible_department", "team_id", "assignee_id"]


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_priority", "status", "priority"),
        # Status alone, and the wallboard's open tickets by SLA state from the index alone and its
        # ones at risk without reading the others (migration 0016).
        Index("ix_tickets_status_sla_state", "status", "sla_state"),
        Index("ix_tickets_team_status", "team_id", "status"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        # The follow-up sweep closes tickets resolved auto_close_days ago, oldest first.
        # On PostgreSQL the indexes the figures read carry (INCLUDE) the columns they count
        # (migration 0017): a period's counts are then index-only scans, not reads of its rows.
        Index("ix_tickets_status_resolved", "status", "resolved_at", postgresql_include=RESOLVED_FIGURES),
        Index("ix_tickets_created_at", "created_at", postgresql_include=CREATED_FIGURES),
        Index("ix_tickets_answered_at", "answered_at", postgresql_include=ANSWERED_FIGURES),
        # The complaints resolved in a period by root cause and department (the reports page).
        Index("ix_tickets_complaints_resolved", "status", "resolved_at", sqlite_where=text("kind = 'complaint'"),
              postgresql_where=text("kind = 'complaint'"), postgresql_include=COMPLAINT_FIGURES),
        # The figures (kpi/summary.py, migration 0012): a period's abandons (cancelled, never
        # answered), and a ticket's team from the index alone for the joins that narrow SLA
        # clocks, surveys and firings to a team.
        Index("ix_tickets_abandoned", "cancelled_at", sqlite_where=text("answered_at IS NULL"),
              postgresql_where=text("answered_at IS NULL"), postgresql_include=ABANDONED_FIGURES),
        Index("ix_tickets_id_team_id", "id", "team_id", postgresql_include=["assignee_id"]),
        # A team's answers and resolutions of a period (its wallboard and its report rows);
        # partial, so a ticket's insert touches neither.
        Index("ix_tickets_team_answered", "team_id", "answered_at", sqlite_where=text("answered_at IS NOT NULL"),
              postgresql_where=text("answered_at IS NOT NULL"),
              postgresql_include=[c for c in ANSWERED_FIGURES if c != "team_id"]),
        Index("ix_tickets_team_resolved", "team_id", "resolved_at", sqlite_where=text("resolved_at IS NOT NULL"),
              postgresql_where=text("resolved_at IS NOT NULL"),
              postgresql_include=["status", *(c for c in RESOLVED_FIGURES if c != "team_id")]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[Kind] = mapped_column(_enum(Kind))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.new)
    priority: Mapped[Priority] = mapped_column(_enum(Priority, 4), default=Priority.P3)
    severity: Mapped[Severity | None] = mapped_column(_enum(Severity, 12))
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10), default="zh")
    required_skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The customer record, once a trusted source linked it or staff confirmed a suggestion;
    # None while a ticket from the public form waits for that (see CustomerMatch).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    # The contact given with this ticket: what the status page, every message to the customer
    # and the acknowledgement use, whatever record it is linked to.
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_phone_norm: Mapped[str | None] = mapped_column(String(32), index=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_email_norm: Mapped[str | None] = mapped_column(String(254), index=True)
    # Linked by staff or a trusted integration (so the record's tier counts), not merely
    # claimed by whoever typed a phone number.
    customer_verified: Mapped[bool] = mapped_column(default=True, server_default=true())
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_summary: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    responsible_department: Mapped[str | None] = mapped_column(String(120))
    reopen_count: Mapped[int] = mapped_column(default=0)
    # Routing: when the ticket joined the queue (kept when re-offered or handed back), how far
    # its requirements have widened, whether an agent handed it back, and why it still waits.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # this stay in the queue: widening counts from it
    routing_widening: Mapped[int] = mapped_column(default=0, server_default="0")
    handed_back: Mapped[bool] = mapped_column(default=False, server_default=false())
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id", ondelete="SET NULL"))
    waiting_reason: Mapped[str | None] = mapped_column(String(60))
    # Pinned by a supervisor: routing never moves it (no hand-back when the agent leaves).
    pinned: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The figures' raw facts, kept as they happen (docs/KPIS.md defines what each counts):
    # when an agent first took the ticket (its answer), the seconds it waited in the queue for
    # that answer (or, cancelled before any answer, until it was abandoned), the seconds from
    # the answer to its resolution, and how many public replies agents sent.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queue_wait_seconds: Mapped[int | None] = mapped_column()
    handle_seconds: Mapped[int | None] = mapped_column()
    agent_replies: Mapped[int] = mapped_column(default=0, server_default="0")
    # Filled by the SLA engine when a policy applies; indexed for the sweeper.
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    sla_state: Mapped[str | None] = mapped_column(String(12))  # the worst of its clocks
    # Personal data removed (erasure or retention); the statistics stay.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    customer: Mapped[Customer | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    team: Mapped[Team | None] = relationship()
    category: Mapped[Category | None] = relationship()
    promises: Mapped[list["Promise"]] = relationship(back_populates="ticket", order_by="Promise.due_at")

    @property
    def is_open(self) -> bool:
        return self.status.value in OPEN_STATUSES

    @property
    def effective_tier(self) -> str:
        """The tier routing, SLA and priority use: the record's, only once it is truly theirs."""
        return effective_tier(self.customer.tier.value if self.customer else None, self.customer_verified)

    @property
    def ended_at(self) -> datetime | None:
        """When the ticket was closed or cancelled (a resolved ticket can still reopen)."""
        if self.status not in (Status.closed, Status.cancelled):
            return None
        return self.closed_at or self.cancelled_at


class AuthorKind(str, enum.Enum):
    agent = "agent"
    customer = "customer"
    system = "system"


class TicketMessage(db.Model):
    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket_created", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_kind: Mapped[AuthorKind] = mapped_column(_enum(AuthorKind, 12))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketEvent(db.Model):
    """The audit trail: who, when, what, before and after. Never updated or deleted."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_kind: Mapped[AuthorKind] = mapped_column(_enum(AuthorKind, 12))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120))
    field: Mapped[str | None] = mapped_column(String(60))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PromiseStatus(str, enum.Enum):
    open = "open"
    kept = "kept"
    broken = "broken"
    cancelled = "cancelled"


class Promise(db.Model):
    """A commitment made to the customer ("we will call you back by Friday")."""

    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[PromiseStatus] = mapped_column(_enum(PromiseStatus, 12), default=PromiseStatus.open)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ticket: Mapped[Ticket] = relationship(back_populates="promises")


class StatusLink(db.Model):
    """A customer's private link to their ticket's status page. Only the token's SHA-256 is
    stored, as for API tokens: a copy of the database opens no status page."""

    __tablename__ = "status_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdempotencyKey(db.Model):
    """A retried POST with the same key returns the ticket the first one created."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

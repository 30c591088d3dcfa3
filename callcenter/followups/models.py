"""Follow-up work: callbacks customers ask for and revisits (回访) after resolution, each try
at reaching the customer, the surveys customers answer, service recoveries, and the policy
that sets them all (one row, edited on an admin page and through the API)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import db


def _enum(cls: type[enum.Enum], length: int = 16) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class FollowUpKind(str, enum.Enum):
    callback = "callback"
    revisit = "revisit"


class FollowUpStatus(str, enum.Enum):
    scheduled = "scheduled"  # waiting for its time (the window's start, the next try)
    due = "due"  # its time came: waiting for an agent
    assigned = "assigned"  # an agent holds it (a seat of their capacity)
    completed = "completed"
    unreachable = "unreachable"
    cancelled = "cancelled"


OPEN_FOLLOWUP = (FollowUpStatus.scheduled, FollowUpStatus.due, FollowUpStatus.assigned)


class Outcome(str, enum.Enum):
    reached = "reached"
    no_answer = "no_answer"
    busy = "busy"
    wrong_number = "wrong_number"


class FollowUp(db.Model):
    """One piece of scheduled follow-up work. The row is the truth: its timer job and the
    sweep only read next_attempt_at."""

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_status_next", "status", "next_attempt_at"),
        Index("ix_followups_assignee_status", "assignee_id", "status"),
        # One revisit per round of a ticket (a ticket may have many callbacks).
        Index("uq_followups_revisit_round", "ticket_id", "round", unique=True,
              sqlite_where=text("kind = 'revisit'"), postgresql_where=text("kind = 'revisit'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FollowUpKind] = mapped_column(_enum(FollowUpKind, 12))
    status: Mapped[FollowUpStatus] = mapped_column(_enum(FollowUpStatus), default=FollowUpStatus.scheduled)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    phone_norm: Mapped[str | None] = mapped_column(String(32), index=True)
    language: Mapped[str] = mapped_column(String(10), default="zh")
    note: Mapped[str | None] = mapped_column(Text)
    # Callbacks: the window the customer chose. Revisits: from when it may be made to due_at.
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts_made: Mapped[int] = mapped_column(default=0)
    # Routing, as for tickets: what it needs, its place in the queue, who declined it.
    priority: Mapped[str] = mapped_column(String(4), default="P2")
    tier: Mapped[str] = mapped_column(String(8), default="C")
    required_skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    preferred_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    avoid_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declined_by: Mapped[list[int]] = mapped_column(JSON, default=list)
    waiting_reason: Mapped[str | None] = mapped_column(String(60))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    round: Mapped[int] = mapped_column(default=1)  # a revisit after a service recovery is round 2
    outcome: Mapped[str | None] = mapped_column(String(20))
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(String(12), default="agent")  # customer | agent | api | system
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)  # the callbacks that ended in a period

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    attempts: Mapped[list["FollowUpAttempt"]] = relationship(
        back_populates="followup", order_by="FollowUpAttempt.number", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FOLLOWUP


class FollowUpAttempt(db.Model):
    """One try at reaching the customer. Its number is unique per follow-up, so recording the
    same try twice (a double click, a retried request) records it once."""

    __tablename__ = "followup_attempts"
    __table_args__ = (UniqueConstraint("followup_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    note: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    agent_name: Mapped[str] = mapped_column(String(120), default="")
    # Revisits, when the customer was reached:
    solved: Mapped[bool | None] = mapped_column()
    score: Mapped[int | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    may_contact_again: Mapped[bool | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    followup: Mapped[FollowUp] = relationship(back_populates="attempts")


class Survey(db.Model):
    """The satisfaction survey of one resolved ticket: one answer per ticket."""

    __tablename__ = "surveys"
    __table_args__ = (
        # The sweep's reminders read only surveys neither answered nor reminded: a few days'
        # worth, however many were ever sent (many are never answered).
        Index("ix_surveys_to_remind", "created_at", sqlite_where=text("answered_at IS NULL AND reminded_at IS NULL"),
              postgresql_where=text("answered_at IS NULL AND reminded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    nonce: Mapped[str] = mapped_column(String(32))  # in the signed link: a new survey row, a new link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    csat: Mapped[int | None] = mapped_column()
    nps: Mapped[int | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)


class Recovery(db.Model):
    """A service recovery set off by a bad revisit or survey answer: recorded once per cause."""

    __tablename__ = "service_recoveries"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(12))  # revisit | survey
    source_id: Mapped[int] = mapped_column()  # the attempt's or the survey's id
    reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    number: Mapped[int] = mapped_column(default=1)  # the ticket's first, second ... recovery
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


DEFAULT_REVISIT_RULES: list[dict[str, Any]] = [
    {"match": {"kind": "complaint"}, "after_seconds": 24 * 3600, "sample": 1.0},
    {"match": {"tier": "VIP"}, "after_seconds": 8 * 3600, "sample": 1.0},
    {"match": {}, "after_seconds": 24 * 3600, "sample": 0.1},
]


class FollowUpPolicy(db.Model):
    """The desk's follow-up settings, one row (id 1). Times in business time of `calendar`."""

    __tablename__ = "followup_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar: Mapped[str] = mapped_column(String(80), default="24x7")
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")  # of do-not-call hours and slots
    quiet_hours: Mapped[str] = mapped_column(String(60), default="")  # nobody is called then ('21:00-08:00')
    retry_schedule: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["15m", "1h", "next_morning"])
    max_attempts: Mapped[int] = mapped_column(default=3)
    callback_skill: Mapped[str | None] = mapped_column(String(50))
    slot_minutes: Mapped[int] = mapped_column(default=60)
    warn_before_seconds: Mapped[int] = mapped_column(default=600)
    revisit_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=lambda: list(DEFAULT_REVISIT_RULES))
    revisit_window_seconds: Mapped[int] = mapped_column(default=16 * 3600)  # business time to make it in
    survey_expiry_days: Mapped[int] = mapped_column(default=14)
    survey_reminder_days: Mapped[int] = mapped_column(default=3)
    survey_per_customer_days: Mapped[int] = mapped_column(default=7)
    auto_close_days: Mapped[int] = mapped_column(default=7)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

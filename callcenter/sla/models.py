"""SLA policies, business calendars, the clocks on tickets and what they have fired."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import db

# Level 1 is the breach itself (the assignee is told). Levels 2 and 3 follow in business time.
DEFAULT_ESCALATION = (
    {"level": 2, "after_seconds": 1800, "notify": "supervisors", "raise_priority": True},
    {"level": 3, "after_seconds": 3600, "notify": "supervisors", "reassign_to": "supervisor"},
)


class SlaCalendar(db.Model):
    """Opening hours by weekday ('09:00-12:00,13:00-18:00'), a country's holidays, custom dates."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    weekly: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # {"0": "09:00-18:00", ...} Monday = 0
    country: Mapped[str | None] = mapped_column(String(8))
    extra_closed: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    extra_open: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # ISO date -> hours


class SlaPolicy(db.Model):
    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    match: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    calendar: Mapped[str] = mapped_column(String(80), default="24x7")
    targets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    warn_at: Mapped[list[float]] = mapped_column(JSON, default=lambda: [0.75, 0.9])
    pause_statuses: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["pending_customer"])
    # After a breach: [{"level": 2, "after_seconds": 1800, "notify": "supervisors", "raise_priority": true},
    #                  {"level": 3, "after_seconds": 3600, "reassign_to": "user:boss@x.cn" | "team:Seniors"}]
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=lambda: list(DEFAULT_ESCALATION))
    position: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaClock(db.Model):
    """One clock of one ticket; its history (start/pause/resume/stop) is the truth, the rest a cache."""

    __tablename__ = "sla_clocks"
    __table_args__ = (UniqueConstraint("ticket_id", "name"), Index("ix_sla_clocks_next_check_at", "next_check_at"),
                      # The clocks decided in a period, with their state, kind and ticket, from the index alone.
                      Index("ix_sla_clocks_decided", "decided_at", "state", "name", "ticket_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))  # first_response | resolution
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    calendar: Mapped[str] = mapped_column(String(80), default="24x7")
    target_seconds: Mapped[int] = mapped_column()
    warn_at: Mapped[list[float]] = mapped_column(JSON, default=list)
    history: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [[iso instant, kind], ...]
    state: Mapped[str] = mapped_column(String(12), default="running")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # met or breached then (clock.decided_at)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the sweeper's index
    cycle: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SlaFired(db.Model):
    """A warning, breach or escalation that happened: the unique key makes a duplicate job harmless."""

    __tablename__ = "sla_fired"
    __table_args__ = (UniqueConstraint("clock_id", "level", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("sla_clocks.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(20))  # warning:0.75 | warning:0.9 | breach | escalation:N
    cycle: Mapped[int] = mapped_column()
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # when the desk acted
    # When the level fell due: a sweep catching up after a stopped worker fires late, but a
    # weekend's breaches still belong to the weekend.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Copied into a reopened clock's new cycle so it is not fired again: not a new event.
    carried_over: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

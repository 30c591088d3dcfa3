"""Report subscriptions (a supervisor's report by email, daily or weekly) and the wallboard's saved colours."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Team, User
from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class Frequency(str, enum.Enum):
    daily = "daily"
    weekly = "weekly"


class ReportSubscription(db.Model):
    __tablename__ = "report_subscriptions"
    __table_args__ = (Index("ix_report_subscriptions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    frequency: Mapped[Frequency] = mapped_column(Enum(Frequency, native_enum=False, length=8))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The end of the last period mailed: a period is sent once, whoever runs the job.
    last_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    team: Mapped[Team | None] = relationship()


class WallboardSettings(db.Model):
    """The wallboard's colours as the desk set them on the settings page, one row (id 1): per
    tile, {"warn_above": x, "bad_above": y} or the _below pair (formulas.TILE_RULES says which)."""

    __tablename__ = "wallboard_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    tile_thresholds: Mapped[dict[str, dict[str, float]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

"""The set-up log and one-time password links."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class SetupLogEntry(db.Model):
    """Who changed the desk's set-up, what and when: users, teams, skills, categories, rules, policies."""

    __tablename__ = "setup_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))  # "user.created", "team.renamed", ...
    subject: Mapped[str] = mapped_column(String(200))  # what it was done to, readable: "anna@desk.cn"
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class PasswordLink(db.Model):
    """A one-time link to set a password. Only the token's SHA-256 is stored."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The mail that carried this link, if one did: a retried mail replaces its own earlier link.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship()

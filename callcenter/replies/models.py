"""Canned responses: site-wide (made by admins), a team's, or one agent's own (private).

A response's scope is kept twice on purpose: as its columns (team_id, owner_id) and as one
string, scope_key ("site", "team:3", "user:7"), which a unique constraint pairs with the
shortcut, so a shortcut is unique within its scope on every backend (NULLs never compare equal,
so team_id/owner_id alone could not say so for the site-wide ones)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Team, User
from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class Scope(str, enum.Enum):
    site = "site"
    team = "team"
    personal = "personal"


def scope_key(scope: Scope, team_id: int | None, owner_id: int | None) -> str:
    if scope is Scope.team:
        return f"team:{team_id}"
    if scope is Scope.personal:
        return f"user:{owner_id}"
    return "site"


class CannedResponse(db.Model):
    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("scope_key", "shortcut"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[Scope] = mapped_column(Enum(Scope, native_enum=False, length=12, validate_strings=True))
    scope_key: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    shortcut: Mapped[str] = mapped_column(String(32))  # one word, stored lower-case
    language: Mapped[str] = mapped_column(String(5))  # "zh" or "en"
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    team: Mapped[Team | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

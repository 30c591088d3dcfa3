"""Staff users, their teams and skills, and API tokens."""
from __future__ import annotations

import enum
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Column,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class Role(str, enum.Enum):
    admin = "admin"
    supervisor = "supervisor"
    agent = "agent"


class Presence(str, enum.Enum):
    available = "available"
    away = "away"
    offline = "offline"


user_teams = Table(
    "user_teams",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    # Offer and accept: a routed ticket is offered and must be accepted within the timeout.
    offer_mode: Mapped[bool] = mapped_column(default=False, server_default=false())
    offer_timeout_seconds: Mapped[int] = mapped_column(default=30, server_default="30")

    members: Mapped[list["User"]] = relationship(secondary=user_teams, back_populates="teams")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(default=5)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str | None] = mapped_column(String(10))
    presence: Mapped[Presence] = mapped_column(
        Enum(Presence, native_enum=False, length=20), default=Presence.offline
    )
    presence_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Signed-in sessions carry the version they began with; signing out (or a password
    # change) moves it on, so a copy of an old session cookie no longer signs anyone in.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    teams: Mapped[list[Team]] = relationship(secondary=user_teams, back_populates="members", order_by=Team.name)
    skills: Mapped[list["AgentSkill"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="AgentSkill.skill"
    )

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.supervisor, Role.admin)

    @property
    def team_ids(self) -> set[int]:
        return {t.id for t in self.teams}

    @property
    def skill_levels(self) -> dict[str, int]:
        return {s.skill: s.level for s in self.skills}


class Skill(db.Model):
    """The catalogue of skills: routing rules, categories and agents name skills from it."""

    __tablename__ = "skills"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    def label(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


class AgentSkill(db.Model):
    __tablename__ = "agent_skills"
    __table_args__ = (UniqueConstraint("user_id", "skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str] = mapped_column(String(50))
    level: Mapped[int] = mapped_column()

    user: Mapped[User] = relationship(back_populates="skills")


class ApiToken(db.Model):
    """Only the SHA-256 of a token is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

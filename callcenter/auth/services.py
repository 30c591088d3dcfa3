"""Creating users and tokens, and checking credentials."""
from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..db_types import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from .models import AgentSkill, ApiToken, Presence, Role, Team, User

TOKEN_PREFIX = "cc_"
MIN_PASSWORD = 8


def parse_skills(text: str | None) -> dict[str, int]:
    """'billing:4,network:2' -> {'billing': 4, 'network': 2}; levels 1..5."""
    skills: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _sep, level = part.partition(":")
        try:
            value = int(level or "1")
        except ValueError:
            raise ValidationFailed(_("Skill level must be a number: %(part)s", part=part)) from None
        if not name.strip() or not 1 <= value <= 5:
            raise ValidationFailed(_("Skills look like billing:4 with a level from 1 to 5: %(part)s", part=part))
        skills[name.strip().lower()] = value
    return skills


def team_named(name: str) -> Team:
    team = db.session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))
    if team is None:
        team = Team(name=name.strip())
        db.session.add(team)
        db.session.flush()
    return team


def create_user(email: str, password: str, role: str, *, name: str | None = None, teams: list[str] = (),
                skills: dict[str, int] | None = None, capacity: int = 5, languages: list[str] = ("zh",)) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed(_("That is not an email address."))
    if role not in Role.__members__:
        raise ValidationFailed(_("Role must be admin, supervisor or agent."))
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(_("The password needs at least %(n)s characters.", n=MIN_PASSWORD))
    if capacity < 1:
        raise ValidationFailed(_("Capacity must be at least 1."))
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise ValidationFailed(_("A user with this email exists already."))
    user = User(email=email, name=name or email.split("@")[0], role=Role(role), capacity=capacity,
                languages=list(languages), presence=Presence.offline)
    user.set_password(password)
    user.teams = [team_named(t) for t in teams if t.strip()]
    user.skills = [AgentSkill(skill=k, level=v) for k, v in (skills or {}).items()]
    db.session.add(user)
    db.session.commit()
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, label: str = "") -> str:
    """A new API token for the user; only its hash is kept, so show it now or never."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                   ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    return row.user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


def mark_token_used(user_id: int) -> None:
    """Best effort; not worth a write on every request, so callers may skip it."""
    db.session.execute(
        ApiToken.__table__.update().where(ApiToken.user_id == user_id).values(last_used_at=utcnow()))

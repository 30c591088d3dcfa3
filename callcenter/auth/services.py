"""Users, tokens and credentials. Inside the caller's transaction (callcenter/actions/accounts.py
commits)."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..db_types import utcnow
from ..directory.lookups import known_skills, teams_by_name
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from .models import AgentSkill, ApiToken, Presence, Role, User

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
    chosen_teams = teams_by_name(teams)  # every team and skill named must exist: a typo creates nothing
    levels = known_skills(skills or {})
    user = User(email=email, name=name or email.split("@")[0], role=Role(role), capacity=capacity,
                languages=list(languages), presence=Presence.offline)
    user.set_password(password)
    user.teams = chosen_teams
    user.skills = [AgentSkill(skill=k, level=v) for k, v in levels.items()]
    db.session.add(user)
    db.session.flush()
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, label: str = "", expires_days: int | None = None) -> str:
    """A new API token for the user; only its hash is kept, so show it now or never."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label, expires_at=expires))
    db.session.flush()
    return token


@functools.cache
def _token_statement():
    """Built once (every API request runs it): its cache key is kept with it."""
    return (select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
            .options(joinedload(ApiToken.user).joinedload(User.teams)))


def token_for(token: str) -> ApiToken | None:
    """The live token row: not revoked, not expired, its user active."""
    # with its user and the user's teams (the caller's Actor) in the same statement
    row = db.session.scalars(_token_statement(), {"token_hash": hash_token(token)}).unique().first()
    if row is None or not row.user.active or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return row


def user_for_token(token: str) -> User | None:
    row = token_for(token)
    return row.user if row else None


def tokens(user_id: int | None = None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return list(db.session.scalars(stmt))


def revoke_token(token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


# The hash an unknown email is checked against, so that it costs what a known one does.
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")  # the same work as for a real account
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def end_sessions(user: User) -> None:
    """Every session of the user stops working (signing out ends them all)."""
    user.session_version = (user.session_version or 1) + 1


def set_locale(user_id: int, locale: str) -> None:
    db.session.execute(User.__table__.update().where(User.id == user_id).values(locale=locale))


TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def token_use_due(row: ApiToken) -> bool:
    """When a token was last used is kept to the minute: not worth a write on every request."""
    return row.last_used_at is None or utcnow() - row.last_used_at >= TOKEN_USE_RESOLUTION


def mark_token_used(token_id: int) -> None:
    db.session.execute(ApiToken.__table__.update().where(ApiToken.id == token_id).values(last_used_at=utcnow()))

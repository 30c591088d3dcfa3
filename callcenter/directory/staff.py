"""Staff accounts as an admin keeps them: create, edit, one-time password links, deactivate.
Inside the caller's transaction (callcenter/actions/directory.py commits)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy import update as sql_update

from ..actors import Actor
from ..auth import services as auth
from ..auth.models import AgentSkill, ApiToken, Presence, Role, User
from ..auth.services import hash_token
from ..errors import NotFound
from ..extensions import db
from .lookups import checked_name, known_skills, refused, teams_by_name, whole_number
from .models import PasswordLink

LINK_LIFETIME = timedelta(days=3)
LANGUAGES = ("zh", "en")


def staff() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.role, User.name)))


def get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def create(data: dict) -> User:
    """A new account with no usable password: its owner sets one through a one-time link."""
    return auth.create_user(data.get("email") or "", secrets.token_urlsafe(32), data.get("role") or "",
                            name=checked_name(data.get("name")), teams=list(data.get("teams") or []),
                            skills=dict(data.get("skills") or {}), capacity=_capacity(data.get("capacity") or 5),
                            languages=_languages(data.get("languages")))


def _capacity(value) -> int:
    capacity = whole_number(value, "capacity")
    if not 1 <= capacity <= 50:
        raise refused("capacity", _("Capacity is 1 to 50 tickets."))
    return capacity


def _languages(values) -> list[str]:
    chosen = [v for v in (values or ["zh"]) if v]
    unknown = [v for v in chosen if v not in LANGUAGES]
    if unknown or not chosen:
        raise refused("languages", _("Languages are chosen from zh and en."))
    return chosen


def update(user: User, data: dict, actor: Actor) -> dict:
    """Name, role, teams, skills, languages, capacity: what changed, as {field: [before, after]}."""
    before = snapshot(user)
    if "name" in data:
        user.name = checked_name(data["name"])
    if "role" in data:
        if data["role"] not in Role.__members__:
            raise refused("role", _("Role must be admin, supervisor or agent."))
        if user.id == actor.user_id and data["role"] != Role.admin.value:
            raise refused("role", _("You cannot take away your own admin role."))
        user.role = Role(data["role"])
    if "teams" in data:
        user.teams = teams_by_name(data["teams"])
    if "skills" in data:
        _set_skills(user, known_skills(dict(data["skills"] or {})))
    if "languages" in data:
        user.languages = _languages(data["languages"])
    if "capacity" in data:
        user.capacity = _capacity(data["capacity"])
    db.session.flush()
    after = snapshot(user)
    return {k: [before[k], after[k]] for k in after if before[k] != after[k]}


def _set_skills(user: User, levels: dict[str, int]) -> None:
    """Rows changed in place: replacing them would insert the new (user, skill) before deleting the old."""
    held = {s.skill: s for s in user.skills}
    for code, row in held.items():
        if code in levels:
            row.level = levels[code]
        else:
            user.skills.remove(row)
    user.skills.extend(AgentSkill(skill=k, level=v) for k, v in sorted(levels.items()) if k not in held)


def snapshot(user: User) -> dict:
    return {"name": user.name, "role": user.role.value, "teams": [t.name for t in user.teams],
            "skills": dict(sorted(user.skill_levels.items())), "languages": list(user.languages or []),
            "capacity": user.capacity}


def issue_link(user: User, now: datetime, *, replace: bool = True, message_id: int | None = None) -> str:
    """A one-time link token to set the password. replace: earlier unused links stop working
    (a mailed copy of a link just shown does not replace it, only the mail's own earlier
    copy). Using any one ends them all."""
    if replace:
        _end_links(user, now)
    elif message_id is not None:
        _end_links(user, now, PasswordLink.message_id == message_id)
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordLink(user_id=user.id, token_hash=hash_token(token), created_at=now,
                                expires_at=now + LINK_LIFETIME, message_id=message_id))
    db.session.flush()
    return token


def superseded(user: User, since: datetime) -> bool:
    """An admin issued a new link (a reset) after `since`: a mail queued before it is stale."""
    return db.session.scalar(select(PasswordLink.id).where(
        PasswordLink.user_id == user.id, PasswordLink.message_id.is_(None), PasswordLink.created_at > since)
        .limit(1)) is not None


def _end_links(user: User, now: datetime, *only) -> None:
    db.session.execute(sql_update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
                                                      *only).values(used_at=now))


def active_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower(), User.active))


def live_link(token: str, now: datetime, *, lock: bool = False) -> PasswordLink | None:
    stmt = select(PasswordLink).where(PasswordLink.token_hash == hash_token(token or ""))
    # Locked and read afresh: a second use waiting on the lock sees the first one's used_at.
    link = db.session.scalar(stmt.with_for_update().execution_options(populate_existing=True) if lock else stmt)
    if link is None or link.used_at is not None or link.expires_at <= now or not link.user.active:
        return None
    return link


def redeem_link(token: str, password: str, now: datetime) -> User:
    link = live_link(token, now, lock=True)
    if link is None:
        raise NotFound(_("This link has been used or has expired. Ask an admin for a new one."))
    if len(password) < auth.MIN_PASSWORD:
        raise refused("password", _("The password needs at least %(n)s characters.", n=auth.MIN_PASSWORD))
    _end_links(link.user, now)
    link.user.set_password(password)
    auth.end_sessions(link.user)  # any session from before the new password ends
    return link.user


def deactivate(user: User, actor: Actor, now: datetime) -> None:
    """The account stops working at once: no sign-in, no token, no session, no new work."""
    if user.id == actor.user_id:
        raise refused("user", _("You cannot deactivate your own account."))
    user.active = False
    _end_links(user, now)  # reactivating later brings no old link back
    user.presence = Presence.offline
    user.presence_changed_at = now
    auth.end_sessions(user)
    db.session.execute(sql_update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))

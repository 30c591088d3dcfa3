"""Teams, the skills catalogue and categories (admins). Inside the caller's transaction
(callcenter/actions/directory.py commits); every change goes to the set-up log."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..actors import Actor
from ..auth.models import Skill, Team
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..tickets.models import Category
from ..tickets.triage import PRIORITIES
from . import log
from .lookups import checked_name, known_skills, refused, team_by_name, whole_number


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only admins change the desk's set-up."))


# ---------------------------------------------------------------- teams

def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def save_team(data: dict, actor: Actor, now: datetime, team_id: int | None = None) -> Team:
    require_admin(actor)
    team = Team() if team_id is None else db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("No such team."))
    name = checked_name(data.get("name"))
    clash = db.session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower(), Team.id != (team_id or 0)))
    if clash:
        raise refused("name", _("A team with that name exists already."))
    timeout = whole_number(data.get("offer_timeout_seconds") or 30, "offer_timeout_seconds")
    if not 5 <= timeout <= 3600:
        raise refused("offer_timeout_seconds", _("The offer timeout is 5 to 3600 seconds."))
    before = {"name": team.name, "offer_mode": team.offer_mode, "offer_timeout_seconds": team.offer_timeout_seconds}
    team.name, team.offer_mode, team.offer_timeout_seconds = name, bool(data.get("offer_mode")), timeout
    team.description = (data.get("description") or "").strip()[:255]
    db.session.add(team)
    db.session.flush()
    log.record(actor, "team.created" if team_id is None else "team.changed", team.name, now,
               before=None if team_id is None else before,
               after={"name": name, "offer_mode": team.offer_mode, "offer_timeout_seconds": timeout})
    return team


def ensure_team(name: str) -> tuple[Team, bool]:
    """The team, created if missing: only for an operator's explicit act (the CLI, the demo)."""
    name = checked_name(name)
    team = db.session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if team is not None:
        return team, False
    team = Team(name=name)
    db.session.add(team)
    db.session.flush()
    return team, True


# ---------------------------------------------------------------- skills and categories: rows keyed by a code

def _row(model, data: dict, code: str | None, taken: str, missing: str):
    """The row to edit (code given), or a new one under data["code"], which must be new and plain."""
    if code is not None:
        row = db.session.get(model, code)
        if row is None:
            raise NotFound(missing)
        return row
    code = (data.get("code") or "").strip().lower()
    if not code or len(code) > 50 or not all(c.isalnum() or c in "_-" for c in code):
        raise refused("code", _("A code is 1 to 50 letters, digits, - or _ (e.g. billing)."))
    if db.session.get(model, code) is not None:
        raise refused("code", taken)
    return model(code=code)


def skills() -> list[Skill]:
    return list(db.session.scalars(select(Skill).order_by(Skill.code)))


def save_skill(data: dict, actor: Actor, now: datetime, code: str | None = None) -> Skill:
    require_admin(actor)
    skill = _row(Skill, data, code, _("That skill is in the catalogue already."), _("No such skill."))
    skill.name_zh = checked_name(data.get("name_zh"), "name_zh")
    skill.name_en = checked_name(data.get("name_en"), "name_en")
    skill.active = bool(data.get("active", True))
    db.session.add(skill)
    db.session.flush()
    log.record(actor, "skill.saved", skill.code, now, name_zh=skill.name_zh, name_en=skill.name_en, active=skill.active)
    return skill


def ensure_skills(codes: list[str]) -> list[str]:
    """Codes added to the catalogue under their own name if missing (the CLI, the demo); the new ones."""
    added = []
    for code in codes:
        code = code.strip().lower()
        if code and db.session.get(Skill, code) is None:
            db.session.add(Skill(code=code, name_zh=code, name_en=code))
            added.append(code)
    db.session.flush()
    return added



def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.code)))


def save_category(data: dict, actor: Actor, now: datetime, code: str | None = None) -> Category:
    require_admin(actor)
    category = _row(Category, data, code, _("A category with that code exists already."), _("No such category."))
    category.name_zh = checked_name(data.get("name_zh"), "name_zh")
    category.name_en = checked_name(data.get("name_en"), "name_en")
    category.team = team_by_name(data["team"]) if (data.get("team") or "").strip() else None
    category.required_skills = known_skills(dict(data.get("required_skills") or {}), "required_skills")
    priority = data.get("default_priority") or None
    if priority is not None and priority not in PRIORITIES:
        raise refused("default_priority", _("Priority is one of P1, P2, P3, P4."))
    category.default_priority = priority
    category.active = bool(data.get("active", True))
    category.position = whole_number(data.get("position") or 0, "position")
    db.session.add(category)
    db.session.flush()
    log.record(actor, "category.saved", category.code, now, team=category.team.name if category.team else None,
               required_skills=category.required_skills, default_priority=priority, active=category.active)
    return category

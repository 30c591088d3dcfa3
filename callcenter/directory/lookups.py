"""The desk's references looked up by what people type: a team's name, skill codes, category
codes, a colleague's email. An unknown one is refused with the field it came from; nothing is
ever created on the way (a typo must not become a team). Reads only."""
from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.models import Skill, Team, User
from ..errors import ValidationFailed
from ..extensions import db
from ..tickets.models import Category

# Letters, digits, spaces and the punctuation names carry; no control characters.
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")


def refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {"fields": {field: [message]}})


def checked_name(value: str | None, field: str = "name") -> str:
    name = (value or "").strip()
    if not name or not _NAME.match(name):
        raise refused(field, _("A name has 1 to 80 characters and no control characters."))
    return name


def team_by_name(name: str, field: str = "team") -> Team:
    team = db.session.scalar(select(Team).where(func.lower(Team.name) == (name or "").strip().lower()))
    if team is None:
        raise refused(field, _("There is no team called “%(name)s”. Create it under Teams first.", name=name.strip()))
    return team


def teams_by_name(names: Iterable[str], field: str = "teams") -> list[Team]:
    """Every team named (case aside), in one query; a name that matches none is refused."""
    wanted = {n.strip().lower(): n.strip() for n in names if n.strip()}
    teams = list(db.session.scalars(select(Team).where(func.lower(Team.name).in_(list(wanted))))) if wanted else []
    unknown = sorted(set(wanted) - {t.name.lower() for t in teams})
    if unknown:
        raise ValidationFailed(_("No team named %(names)s.", names=", ".join(wanted[u] for u in unknown)),
                               {"fields": {field: [f"unknown: {wanted[u]}" for u in unknown]}})
    return sorted(teams, key=lambda t: t.name)


def whole_number(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise refused(field, _("Give a whole number.")) from None


def known_skills(levels: dict[str, int], field: str = "skills") -> dict[str, int]:
    """The same map, once every code is in the skills catalogue (in use or not: a skill taken
    out of use stays valid where it is held) and every level is 1 to 5."""
    if any(not isinstance(v, int) or not 1 <= v <= 5 for v in levels.values()):
        raise refused(field, _("Skill levels are 1 to 5."))
    codes = {code.strip().lower() for code in levels}
    found = set(db.session.scalars(select(Skill.code).where(Skill.code.in_(codes)))) if codes else set()
    unknown = sorted(codes - found)
    if unknown:
        raise refused(field, _("Unknown skill: %(codes)s. Add it to the skills catalogue first.",
                               codes=", ".join(unknown)))
    return {code.strip().lower(): level for code, level in levels.items()}


def known_categories(codes: Iterable[str], field: str = "category") -> list[str]:
    wanted = [c.strip() for c in codes if c and c.strip()]
    found = set(db.session.scalars(select(Category.code).where(Category.code.in_(wanted)))) if wanted else set()
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise refused(field, _("Unknown category: %(codes)s.", codes=", ".join(unknown)))
    return wanted


def active_user(email: str, field: str = "user") -> User:
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower(), User.active))
    if user is None:
        raise refused(field, _("No active colleague with the email %(email)s.", email=email.strip()))
    return user


def skill_labels(locale: str) -> dict[str, str]:
    """code -> the skill's name in this language, for showing skills in words."""
    return {s.code: s.label(locale) for s in db.session.scalars(select(Skill))}


def category_labels(locale: str) -> dict[str, str]:
    """code -> the category's name in this language, for showing conditions in words."""
    return {c.code: c.label(locale) for c in db.session.scalars(select(Category))}


def staff_names() -> dict[str, str]:
    """email -> name of every staff account, for showing `user:EMAIL` targets as the person."""
    return dict(db.session.execute(select(User.email, User.name)).tuples().all())


def active_staff() -> list[tuple[str, str]]:
    """(email, name) of every active staff account by name: the people a page lets you pick."""
    return list(db.session.execute(select(User.email, User.name).where(User.active).order_by(User.name)).tuples())


def team_names() -> list[str]:
    return list(db.session.scalars(select(Team.name).order_by(Team.name)))

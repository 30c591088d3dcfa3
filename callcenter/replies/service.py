"""Canned responses against the database: who may use and who may manage which, and what a
valid one is. Inside the caller's transaction; nothing here commits (callcenter/actions/replies.py
does).

Who uses them: a site-wide one, every staff member; a team's, its members (and, on one of that
team's tickets, the supervisors and admins who work it); a personal one, its owner only (it is
private: nobody else sees it, admins included).
Who manages them: site-wide ones, admins; a team's, admins and that team's supervisors; a
personal one, its owner.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..actors import Actor
from ..auth.models import Team
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from . import placeholders
from .models import CannedResponse, Scope, scope_key

LANGUAGES = ("zh", "en")
SHORTCUT = re.compile(r"^[^\W_][\w-]*$")  # one word: letters (any script), digits, "-" and "_" inside
SHORTCUT_MAX, TITLE_MAX, BODY_MAX = 32, 120, 4000


# ---------------------------------------------------------------- who may

def may_use(actor: Actor, row: CannedResponse, ticket_team_id: int | None = None) -> bool:
    if not actor.is_staff:
        return False
    if row.scope is Scope.site:
        return True
    if row.scope is Scope.personal:
        return row.owner_id == actor.user_id
    return row.team_id in actor.team_ids or (actor.is_supervisor and ticket_team_id is not None
                                             and row.team_id == ticket_team_id)


def may_see(actor: Actor, row: CannedResponse) -> bool:
    """On the management page: what one may use, and what one may manage."""
    return may_use(actor, row) or may_manage(actor, row.scope, row.team_id, row.owner_id)


def may_manage(actor: Actor, scope: Scope, team_id: int | None, owner_id: int | None) -> bool:
    if not actor.is_staff:
        return False
    if scope is Scope.personal:
        return owner_id is not None and owner_id == actor.user_id
    if scope is Scope.site:
        return actor.is_admin
    return actor.is_admin or (actor.is_supervisor and team_id is not None and team_id in actor.team_ids)


def manageable_teams(actor: Actor) -> list[Team]:
    """The teams whose responses this person may manage (admins: every team)."""
    if actor.is_admin:
        return list(db.session.scalars(select(Team).order_by(Team.name)))
    if not actor.is_supervisor or not actor.team_ids:
        return []
    return list(db.session.scalars(select(Team).where(Team.id.in_(actor.team_ids)).order_by(Team.name)))


def get_visible(response_id: int, actor: Actor) -> CannedResponse:
    """The response, if this person may see it. Someone else's personal one does not exist for
    anyone else (404, not 403: it is private)."""
    row = db.session.get(CannedResponse, response_id)
    if row is None or not may_see(actor, row):
        raise NotFound(_("No canned response with id %(id)s.", id=response_id))
    return row


def get_manageable(response_id: int, actor: Actor) -> CannedResponse:
    row = get_visible(response_id, actor)
    if not may_manage(actor, row.scope, row.team_id, row.owner_id):
        raise Forbidden(_("You may use this canned response, not change it."))
    return row


# ---------------------------------------------------------------- what a valid one is

def _refuse(fields: dict[str, str]) -> None:
    if fields:
        raise ValidationFailed(next(iter(fields.values())), details={"fields": fields})


def clean(data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """The values to store, or ValidationFailed naming each refused field. A scope the person
    may not manage is a refusal (Forbidden), not a field's message."""
    fields: dict[str, str] = {}
    title = " ".join(str(data.get("title") or "").split())
    shortcut = str(data.get("shortcut") or "").strip().lstrip("/").casefold()
    language = str(data.get("language") or "")
    body = str(data.get("body") or "").replace("\r\n", "\n").strip()
    if not title:
        fields["title"] = _("Give it a title.")
    elif len(title) > TITLE_MAX:
        fields["title"] = _("At most %(max)s characters.", max=TITLE_MAX)
    if not shortcut:
        fields["shortcut"] = _("Give it a shortcut word.")
    elif len(shortcut) > SHORTCUT_MAX:
        fields["shortcut"] = _("At most %(max)s characters.", max=SHORTCUT_MAX)
    elif not SHORTCUT.match(shortcut):
        fields["shortcut"] = _("One word: letters and digits, with no spaces (\"-\" and \"_\" may join its parts).")
    if language not in LANGUAGES:
        fields["language"] = _("Choose Chinese or English.")
    if not body:
        fields["body"] = _("Write the text of the response.")
    elif len(body) > BODY_MAX:
        fields["body"] = _("At most %(max)s characters.", max=BODY_MAX)
    else:
        wrong = placeholders.unknown(body)
        if wrong:
            fields["body"] = _("Unknown placeholder: %(names)s. Use %(known)s.",
                               names=", ".join("{%s}" % n for n in wrong),
                               known=", ".join("{%s}" % n for n in placeholders.KNOWN))
    try:
        scope = Scope(str(data.get("scope") or ""))
    except ValueError:
        fields["scope"] = _("Choose who may use it.")
        scope = None
    team_id = data.get("team_id") if scope is Scope.team else None
    if scope is Scope.team and (team_id is None or db.session.get(Team, team_id) is None):
        fields["scope"] = _("Choose one of the teams.")
    _refuse(fields)
    owner_id = actor.user_id if scope is Scope.personal else None
    if not may_manage(actor, scope, team_id, owner_id):
        raise Forbidden(_("You may not manage canned responses there."))
    return {"title": title, "shortcut": shortcut, "language": language, "body": body, "scope": scope,
            "team_id": team_id, "owner_id": owner_id, "scope_key": scope_key(scope, team_id, owner_id)}


def _taken(values: dict[str, Any], except_id: int | None) -> bool:
    stmt = select(CannedResponse.id).where(CannedResponse.scope_key == values["scope_key"],
                                           CannedResponse.shortcut == values["shortcut"])
    if except_id is not None:
        stmt = stmt.where(CannedResponse.id != except_id)
    return db.session.scalar(stmt) is not None


def _store(row: CannedResponse, values: dict[str, Any]) -> None:
    if _taken(values, row.id):
        _refuse({"shortcut": _("“%(shortcut)s” is already a shortcut there: choose another word.",
                               shortcut=values["shortcut"])})
    for name, value in values.items():
        setattr(row, name, value)
    try:
        with db.session.begin_nested():  # two saving the same shortcut at once: the constraint decides
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        _refuse({"shortcut": _("“%(shortcut)s” is already a shortcut there: choose another word.",
                               shortcut=values["shortcut"])})


# ---------------------------------------------------------------- changes

def create(data: dict[str, Any], actor: Actor, now: datetime) -> CannedResponse:
    values = clean(data, actor)
    row = CannedResponse(created_by_id=actor.user_id, created_at=now, updated_at=now)
    _store(row, values)
    return row


def update(response_id: int, data: dict[str, Any], actor: Actor, now: datetime) -> CannedResponse:
    row = get_manageable(response_id, actor)
    values = clean(data, actor)
    _store(row, {**values, "updated_at": now})
    return row


def delete(response_id: int, actor: Actor) -> None:
    row = get_manageable(response_id, actor)
    db.session.delete(row)
    db.session.flush()


# ---------------------------------------------------------------- for a ticket

def placeholder_values(ticket, agent_name: str, promise_due: str | None) -> dict[str, str | None]:
    return {"customer_name": ticket.contact_name or None, "reference": ticket.reference,
            "agent_name": agent_name or None, "promise_due": promise_due}


def rendered(row: CannedResponse, values: dict[str, str | None]) -> dict[str, Any]:
    out = placeholders.render(row.body, values)
    return {"id": row.id, "title": row.title, "shortcut": row.shortcut, "language": row.language,
            "scope": row.scope.value, "body": out.text, "missing": list(out.missing)}


def matches(row: CannedResponse, q: str) -> bool:
    """A search in the picker: the shortcut's start, or a word of the title or text."""
    q = q.strip().lstrip("/").casefold()
    return not q or row.shortcut.startswith(q) or q in row.title.casefold() or q in row.body.casefold()

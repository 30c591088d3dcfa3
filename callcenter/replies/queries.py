"""What the pages read about canned responses: the management list, the ones usable on a
ticket (the ticket's language first), and the due time a ticket's {promise_due} shows. Reads only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..actors import Actor
from ..extensions import db
from ..tickets.models import Promise, PromiseStatus, Ticket
from . import service
from .models import CannedResponse, Scope

SCOPE_ORDER = {Scope.personal: 0, Scope.team: 1, Scope.site: 2}
PICKER_LIMIT = 50


def _of(actor: Actor, team_ids: set[int], all_teams: bool = False):
    wanted = [CannedResponse.scope == Scope.site,
              (CannedResponse.scope == Scope.personal) & (CannedResponse.owner_id == actor.user_id)]
    if all_teams:
        wanted.append(CannedResponse.scope == Scope.team)
    elif team_ids:
        wanted.append((CannedResponse.scope == Scope.team) & CannedResponse.team_id.in_(team_ids))
    return (select(CannedResponse).where(or_(*wanted)).options(selectinload(CannedResponse.team)))


def _ordered(rows, language: str | None = None) -> list[CannedResponse]:
    return sorted(rows, key=lambda r: (r.language != language if language else False, SCOPE_ORDER[r.scope],
                                       r.team.name if r.team else "", r.shortcut, r.id))


def for_page(actor: Actor) -> list[CannedResponse]:
    """The management page: what this person may use, and what they may manage (admins: every
    team's). Other people's personal ones never."""
    if not actor.is_staff:
        return []
    rows = db.session.scalars(_of(actor, set(actor.team_ids), all_teams=actor.is_admin))
    return _ordered(r for r in rows if service.may_see(actor, r))


def for_ticket(actor: Actor, ticket: Ticket, q: str = "") -> list[CannedResponse]:
    """What this person may insert on this ticket: site-wide, their own, their teams' (and the
    ticket's team's for a supervisor working it), the ticket's language first."""
    if not actor.is_staff:
        return []
    teams = set(actor.team_ids)
    if actor.is_supervisor and ticket.team_id is not None:
        teams.add(ticket.team_id)
    rows = [r for r in db.session.scalars(_of(actor, teams))
            if service.may_use(actor, r, ticket.team_id) and service.matches(r, q)]
    return _ordered(rows, ticket.language if ticket.language in service.LANGUAGES else None)[:PICKER_LIMIT]


def earliest_open_promise(ticket_id: int) -> datetime | None:
    return db.session.scalar(select(Promise.due_at).where(Promise.ticket_id == ticket_id,
                                                          Promise.status == PromiseStatus.open)
                             .order_by(Promise.due_at, Promise.id).limit(1))

"""What the console lists and counts, as SQL: the saved views, the sorts and the counters. Read
only; desk/views.py turns a request into these and renders them."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from ..actors import Actor
from ..extensions import db
from ..followups.models import FollowUp, FollowUpStatus
from ..tickets import lifecycle
from ..tickets import queries as ticket_queries
from ..tickets.models import Ticket

VIEWS = ("mine", "unassigned", "overdue", "team")  # the saved views above the list
DUE_SOON = timedelta(minutes=30)


def _open():
    return Ticket.status.in_(lifecycle.OPEN_STATUSES)


def in_view(stmt, view: str, actor: Actor):
    """Narrow a ticket list to a saved view: the person's open work, open work nobody holds,
    open work whose SLA is breached, or their teams' tickets ('' or unknown: as it is)."""
    if view == "mine":
        return stmt.where(Ticket.assignee_id == actor.user_id, _open())
    if view == "unassigned":
        return stmt.where(Ticket.assignee_id.is_(None), _open())
    if view == "overdue":
        return stmt.where(Ticket.sla_state == "breached", _open())
    if view == "team":
        return stmt.where(Ticket.team_id.in_(actor.team_ids or {-1}))
    return stmt


def home_view(actor: Actor) -> str:
    """The saved view a person's console opens on (after sign-in): an agent's own open work; a
    supervisor's teams, the work they look after; an admin, or a supervisor in no team, the
    whole list ('')."""
    if actor.role == "agent":
        return "mine"
    if actor.role == "supervisor" and actor.team_ids:
        return "team"
    return ""


def default_sort(view: str) -> str:
    """Work to do is read most urgent first; a browsing list newest first."""
    return "sla" if view in ("mine", "overdue") else "newest"


def counters(actor: Actor, now: datetime) -> dict[str, int]:
    """The console's counters, in one statement: the person's open work, what waits unheld in
    their teams, their work whose SLA runs out within DUE_SOON (or already has), and the
    follow-ups they hold."""
    mine = and_(Ticket.assignee_id == actor.user_id, _open())
    row = db.session.execute(select(
        func.count().filter(mine),
        func.count().filter(Ticket.assignee_id.is_(None), _open(), Ticket.team_id.in_(actor.team_ids or {-1})),
        func.count().filter(mine, or_(Ticket.sla_state == "breached", ticket_queries.sla_due() <= now + DUE_SOON)),
        select(func.count()).select_from(FollowUp).where(FollowUp.assignee_id == actor.user_id,
                                                         FollowUp.status == FollowUpStatus.assigned)
        .scalar_subquery(),
    ).select_from(Ticket).where(or_(mine, Ticket.assignee_id.is_(None)))).one()
    return dict(zip(("mine", "waiting", "due_soon", "followups"), row, strict=True))


def most_urgent(actor: Actor) -> int | None:
    """The person's open ticket whose SLA runs out first (breached first), for "Next ticket"."""
    stmt = ticket_queries.ordered(select(Ticket.id).where(Ticket.assignee_id == actor.user_id, _open()), "sla")
    return db.session.scalar(stmt.limit(1))

"""Who may read a follow-up, and the lists the API and pages read."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..actors import Actor
from ..errors import Forbidden
from ..extensions import db
from ..tickets.access import may_view
from ..tickets.models import Ticket
from . import service
from .models import FollowUp, FollowUpKind, FollowUpStatus


def may_read(followup: FollowUp, actor: Actor) -> bool:
    """Supervisors, the agent who holds it, and whoever may read its ticket; a callback with no
    ticket is the desk's (any staff)."""
    if not actor.is_staff:
        return False
    if actor.is_supervisor or followup.assignee_id == actor.user_id:
        return True
    ticket = db.session.get(Ticket, followup.ticket_id) if followup.ticket_id else None
    return ticket is None or may_view(ticket, actor)


def readable(followup_id: int, actor: Actor, kind: FollowUpKind | None = None) -> FollowUp:
    """The follow-up (of this kind), if this person may read it."""
    followup = service.get(followup_id, kind)
    if not may_read(followup, actor):
        raise Forbidden(_("This follow-up belongs to another team."))
    return followup


def listing(kind: FollowUpKind, actor: Actor, *, ticket_id: int | None, status: str | None, mine: bool) -> Select:
    """Follow-ups of a kind, newest window first: everyone's for supervisors; for agents their own,
    and those of a ticket they may read when one is asked for."""
    stmt = (select(FollowUp).where(FollowUp.kind == kind).options(selectinload(FollowUp.attempts),
                                                                  selectinload(FollowUp.assignee))
            .order_by(FollowUp.window_start.desc(), FollowUp.id.desc()))
    if status:
        stmt = stmt.where(FollowUp.status == FollowUpStatus(status))
    if ticket_id is not None:
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None or not may_view(ticket, actor):
            return stmt.where(False)
        stmt = stmt.where(FollowUp.ticket_id == ticket_id)
    if mine or (ticket_id is None and not actor.is_supervisor):
        stmt = stmt.where(FollowUp.assignee_id == actor.user_id)
    return stmt

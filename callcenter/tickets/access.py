"""Opening a ticket: by id for staff who may see it, by a customer's status link. Reads only."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..actors import Actor
from ..customers.models import CustomerMatch, MatchStatus
from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from . import permissions, status_links
from .models import Ticket


class LinkExpired(DomainError):
    status = 410
    code = "link_expired"


def get_visible(ticket_id: int, actor: Actor, *, lock: bool = False) -> Ticket:
    """The ticket, if this person may see it; lock: with its row locked for a change."""
    ticket = db.session.get(Ticket, ticket_id, with_for_update={"key_share": True} if lock else None,
                            populate_existing=lock)
    if ticket is None:
        raise NotFound(_("No ticket with id %(id)s.", id=ticket_id))
    if not permissions.can_view(actor, ticket.team_id, ticket.assignee_id):
        raise Forbidden(_("This ticket belongs to another team."))
    return ticket


def get_by_token(token: str, now: datetime, days_after_end: int, *, lock: bool = False) -> Ticket:
    """The ticket a customer's status link opens; unknown and expired links say so."""
    ticket = status_links.ticket_for(token, lock=lock)
    if ticket is None:
        raise NotFound(_("No ticket found for this link."))
    if status_links.expired(ticket, now, days_after_end):
        raise LinkExpired(_("This link has expired: the request ended more than %(days)s days ago.",
                            days=days_after_end))
    return ticket


def pending_matches(ticket_id: int) -> list[CustomerMatch]:
    """Customer records suggested for a ticket from an unverified source, not yet decided."""
    return list(db.session.scalars(select(CustomerMatch).where(
        CustomerMatch.ticket_id == ticket_id, CustomerMatch.status == MatchStatus.pending).order_by(CustomerMatch.id)))

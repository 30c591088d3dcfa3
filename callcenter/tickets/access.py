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


def follower_ids(ticket: Ticket) -> set[int]:
    """Who follows the ticket: whoever logged it and whoever made a promise on it."""
    return {i for i in (ticket.created_by_id, *(p.created_by_id for p in ticket.promises)) if i is not None}


def may_view(ticket: Ticket, actor: Actor) -> bool:
    # The team rule first: the followers cost a query, and most readers never need them.
    return permissions.can_change(actor, ticket.team_id, ticket.assignee_id) or permissions.can_view(
        actor, ticket.team_id, ticket.assignee_id, follower_ids(ticket))


def get_visible(ticket_id: int, actor: Actor, *, lock: bool = False) -> Ticket:
    """The ticket, if this person may see it. lock: for a change (get_changeable), with its row
    locked; a follower may read a ticket, not change it."""
    if lock:
        return get_changeable(ticket_id, actor)
    ticket = _get(ticket_id, lock=False)
    if not may_view(ticket, actor):
        raise Forbidden(_("This ticket belongs to another team."))
    return ticket


def get_changeable(ticket_id: int, actor: Actor) -> Ticket:
    """The ticket with its row locked, if this person may change it (its team, its assignee)."""
    ticket = _get(ticket_id, lock=True)
    if not permissions.can_change(actor, ticket.team_id, ticket.assignee_id):
        if may_view(ticket, actor):
            raise Forbidden(_("You follow this ticket: only its team and its assignee change it."),
                            code="follower_only")
        raise Forbidden(_("This ticket belongs to another team."))
    return ticket


def _get(ticket_id: int, *, lock: bool) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id, with_for_update={"key_share": True} if lock else None,
                            populate_existing=lock)
    if ticket is None:
        raise NotFound(_("No ticket with id %(id)s.", id=ticket_id))
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

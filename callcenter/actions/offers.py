"""Answering an offer, and its timeout: the assignment, the next agent, "not responding"."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..actors import SYSTEM, Actor
from ..db_types import utcnow
from ..errors import Conflict
from ..routing import offers
from ..routing import service as routing
from ..routing.models import Offer, OfferStatus
from ..tickets.models import Ticket
from . import unit_of_work
from .assignment import give


class _Refused(Exception):
    """The offer lapsed (recorded and committed) and the agent is told why."""

    def __init__(self, error: Conflict):
        self.error = error


def accept(offer_id: int, actor: Actor, now: datetime | None = None) -> Ticket:
    """The agent takes the offered ticket: it is theirs."""
    now = now or utcnow()
    try:
        with unit_of_work(durable=True) as fx:
            offer, ticket = offers.locked(offer_id)
            offers.check_answer(offer, actor)
            if now >= offer.expires_at:
                raise Conflict(_("This offer is no longer open."), {"status": offer.status.value}, code="offer_closed")
            if ticket.status.value != "new" or ticket.assignee_id is not None:
                # Cancelled or assigned by hand while on offer: the offer lapses, nothing else changes.
                offers.settle(offer, ticket, OfferStatus.withdrawn, SYSTEM, now)
                raise _Refused(Conflict(_("This offer is no longer open."), {"status": "withdrawn"},
                                        code="offer_closed"))
            agent = routing.lock_agent(offer.agent_id)
            if agent.presence.value != "available":
                offers.settle(offer, ticket, OfferStatus.withdrawn, SYSTEM, now)
                routing.route_soon(ticket.id, fx)
                raise _Refused(Conflict(_("Set yourself available to take offers."),
                                        {"presence": agent.presence.value}, code="not_available"))
            offers.settle(offer, ticket, OfferStatus.accepted, actor, now)
            ticket.handed_back = False
            ticket.waiting_reason = None
            give(ticket, agent, actor, now, fx, rule="offer_accepted", offer_id=offer.id)
            agent.last_assigned_at = now
    except _Refused as refused:
        raise refused.error from None
    return ticket


def reject(offer_id: int, actor: Actor, now: datetime | None = None) -> Offer:
    """The agent declines: the ticket goes to the next agent, keeping its place in the queue."""
    now = now or utcnow()
    with unit_of_work(durable=True) as fx:
        offer, ticket = offers.locked(offer_id)
        offers.check_answer(offer, actor)
        offers.settle(offer, ticket, OfferStatus.rejected, actor, now)
        routing.route_soon(ticket.id, fx)
        fx.enqueue(routing.ROUTE_FOR_AGENT_JOB, offer.agent_id, queue="high")  # their seat is free again
    return offer

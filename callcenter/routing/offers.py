"""Offer and accept (per team): a routed ticket is offered to one agent, who accepts within the
team's timeout or it goes to the next. A rejection or a timeout is recorded per agent; an agent
who lets an offer time out is set away ("not responding", like RONA), so work stops bouncing to
an empty seat. A re-offered ticket keeps its place in the queue (waiting_since never changes).

The offers' rows and checks; the actions (callcenter/actions/offers.py) commit and carry out
what follows (the assignment, the next agent, the presence change).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from .. import transaction_facts
from ..actors import SYSTEM, Actor
from ..auth.models import User
from ..console.rooms import offer_rooms
from ..effects import Effects
from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..tickets import audit
from ..tickets.models import Ticket
from .job_names import EXPIRE_OFFER_JOB, ROUTE_TICKET_JOB
from .models import Offer, OfferStatus


def declined_by(ticket_id: int) -> frozenset[int]:
    """Agents who rejected this ticket or let its offer time out: not offered it again."""
    if transaction_facts.offered_to_nobody(ticket_id):
        return frozenset()  # nobody has been offered it yet
    return frozenset(db.session.scalars(select(Offer.agent_id).where(
        Offer.ticket_id == ticket_id, Offer.status.in_([OfferStatus.rejected, OfferStatus.expired]))))


def exists(offer_id: int) -> bool:
    return db.session.get(Offer, offer_id) is not None


def has_pending(ticket_id: int) -> bool:
    if transaction_facts.offered_to_nobody(ticket_id):
        return False
    return db.session.scalar(select(Offer.id).where(Offer.ticket_id == ticket_id,
                                                    Offer.status == OfferStatus.pending)) is not None


def make(ticket: Ticket, agent: User, now: datetime, why: dict, fx: Effects) -> Offer:
    """Offer the (locked) ticket to the (locked) agent; the seat is held meanwhile."""
    timeout = ticket.team.offer_timeout_seconds if ticket.team else 30
    offer = Offer(ticket_id=ticket.id, agent_id=agent.id, offered_at=now, expires_at=now + timedelta(seconds=timeout))
    db.session.add(offer)
    db.session.flush()
    transaction_facts.offered(ticket.id)
    audit.record(ticket, "offered", SYSTEM, field="offer", after={"id": agent.id, "name": agent.name},
                 offer_id=offer.id, expires_at=offer.expires_at, **why)
    fx.emit("ticket.offered", {"ticket_id": ticket.id, "offer_id": offer.id, "agent_id": agent.id,
                               "reference": ticket.reference, "subject": ticket.subject,
                               "expires_at": offer.expires_at.isoformat()}, offer_rooms(agent.id))
    schedule_expiry(offer, fx)
    return offer


def schedule_expiry(offer: Offer, fx: Effects) -> None:
    fx.enqueue(EXPIRE_OFFER_JOB, offer.id, at=offer.expires_at, job_id=f"offer-expire-{offer.id}", queue="high")


def locked(offer_id: int) -> tuple[Offer, Ticket]:
    """The offer and its ticket, the ticket's row locked (ticket first, as everywhere)."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(_("No such offer."))
    ticket = db.session.get(Ticket, offer.ticket_id, with_for_update={"key_share": True}, populate_existing=True)
    offer = db.session.get(Offer, offer_id, populate_existing=True)
    return offer, ticket


def settle(offer: Offer, ticket: Ticket, status: OfferStatus, actor: Actor, now: datetime) -> None:
    offer.status = status
    offer.responded_at = now
    audit.record(ticket, f"offer_{status.value}", actor, field="offer", before={"id": offer.agent_id}, after=None,
                 offer_id=offer.id)


def check_answer(offer: Offer, actor: Actor) -> None:
    """Only the agent it was made to answers an offer, and only while it is open."""
    if offer.agent_id != actor.user_id:
        raise Forbidden(_("This offer was made to someone else."))
    if offer.status is not OfferStatus.pending:
        raise Conflict(_("This offer is no longer open."), {"status": offer.status.value}, code="offer_closed")


def overdue(now: datetime) -> list[int]:
    return list(db.session.scalars(select(Offer.id).where(Offer.status == OfferStatus.pending,
                                                         Offer.expires_at <= now)))


def withdraw_for_ticket(ticket: Ticket, actor: Actor, now: datetime, fx: Effects) -> None:
    """The (locked) ticket stops waiting (assigned by hand, cancelled, started): open offers lapse."""
    if transaction_facts.offered_to_nobody(ticket.id):
        return  # made in this transaction: offered to nobody yet
    for offer in db.session.scalars(select(Offer).where(Offer.ticket_id == ticket.id,
                                                        Offer.status == OfferStatus.pending)):
        settle(offer, ticket, OfferStatus.withdrawn, actor, now)


def withdraw_for_agent(agent_id: int, now: datetime, fx: Effects) -> list[int]:
    """The agent stops being available: their open offers go to others. Inside the caller's
    transaction, which holds the agent row: offers another transaction holds are skipped
    (that accept then finds the agent unavailable and withdraws it itself)."""
    withdrawn = db.session.scalars(select(Offer).where(Offer.agent_id == agent_id, Offer.status == OfferStatus.pending)
                                   .with_for_update(skip_locked=True, key_share=True)).all()
    for offer in withdrawn:
        offer.status = OfferStatus.withdrawn
        offer.responded_at = now
        fx.enqueue(ROUTE_TICKET_JOB, offer.ticket_id, queue="high")
    return [o.ticket_id for o in withdrawn]

"""Offer and accept (per team): a routed ticket is offered to one agent, who accepts within the
team's timeout or it goes to the next. A rejection or a timeout is recorded per agent; an agent
who lets an offer time out is set away ("not responding", like RONA), so work stops bouncing to
an empty seat. A re-offered ticket keeps its place in the queue (waiting_since never changes).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..actors import SYSTEM, Actor
from ..auth.models import User
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, NotFound
from ..events import emit_on_commit, enqueue_on_commit
from ..extensions import db
from ..tickets import audit
from ..tickets.models import Ticket
from .models import Offer, OfferStatus

EXPIRE_JOB = "callcenter.routing.jobs.expire_offer"
ROUTE_TICKET_JOB = "callcenter.routing.jobs.route_ticket"
ROUTE_FOR_AGENT_JOB = "callcenter.routing.jobs.route_for_agent"


def pending_counts(agent_ids: list[int] | None = None) -> dict[int, int]:
    stmt = select(Offer.agent_id, func.count()).where(Offer.status == OfferStatus.pending).group_by(Offer.agent_id)
    if agent_ids is not None:
        stmt = stmt.where(Offer.agent_id.in_(agent_ids))
    return dict(db.session.execute(stmt).all())


def declined_by(ticket_id: int) -> frozenset[int]:
    """Agents who rejected this ticket or let its offer time out: not offered it again."""
    return frozenset(db.session.scalars(select(Offer.agent_id).where(
        Offer.ticket_id == ticket_id, Offer.status.in_([OfferStatus.rejected, OfferStatus.expired]))))


def has_pending(ticket_id: int) -> bool:
    return db.session.scalar(select(Offer.id).where(Offer.ticket_id == ticket_id,
                                                    Offer.status == OfferStatus.pending)) is not None


def make(ticket: Ticket, agent: User, now: datetime, why: dict) -> Offer:
    """Offer the (locked) ticket to the (locked) agent; the caller commits."""
    timeout = ticket.team.offer_timeout_seconds if ticket.team else 30
    offer = Offer(ticket_id=ticket.id, agent_id=agent.id, offered_at=now, expires_at=now + timedelta(seconds=timeout))
    db.session.add(offer)
    db.session.flush()
    audit.record(ticket, "offered", SYSTEM, field="offer", after={"id": agent.id, "name": agent.name},
                 offer_id=offer.id, expires_at=offer.expires_at, **why)
    emit_on_commit("ticket.offered", {"ticket_id": ticket.id, "offer_id": offer.id, "agent_id": agent.id,
                                      "reference": ticket.reference, "subject": ticket.subject,
                                      "expires_at": offer.expires_at.isoformat()},
                   ["supervisors", f"user:{agent.id}"])
    enqueue_on_commit(EXPIRE_JOB, offer.id, at=offer.expires_at, job_id=f"offer-expire-{offer.id}", queue="high")
    return offer


def _locked(offer_id: int) -> tuple[Offer, Ticket]:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(_("No such offer."))
    ticket = db.session.get(Ticket, offer.ticket_id, with_for_update={"key_share": True}, populate_existing=True)
    offer = db.session.get(Offer, offer_id, populate_existing=True)
    return offer, ticket


def _settle(offer: Offer, ticket: Ticket, status: OfferStatus, actor: Actor, now: datetime) -> None:
    offer.status = status
    offer.responded_at = now
    audit.record(ticket, f"offer_{status.value}", actor, field="offer", before={"id": offer.agent_id}, after=None,
                 offer_id=offer.id)


def accept(offer_id: int, actor: Actor, now: datetime | None = None) -> Ticket:
    """The agent takes the offered ticket: it is theirs."""
    from ..tickets.services import apply_assignment
    from .service import lock_agents

    now = now or utcnow()
    offer, ticket = _locked(offer_id)
    if offer.agent_id != actor.user_id:
        raise Forbidden(_("This offer was made to someone else."))
    if offer.status is not OfferStatus.pending or now >= offer.expires_at:
        raise Conflict(_("This offer is no longer open."), {"status": offer.status.value}, code="offer_closed")
    if ticket.status.value != "new" or ticket.assignee_id is not None:
        # Cancelled or assigned by hand while on offer: the offer lapses, nothing else changes.
        _settle(offer, ticket, OfferStatus.withdrawn, SYSTEM, now)
        db.session.commit()
        raise Conflict(_("This offer is no longer open."), {"status": "withdrawn"}, code="offer_closed")
    lock_agents([offer.agent_id])
    agent = db.session.get(User, offer.agent_id, populate_existing=True)
    if agent.presence.value != "available":
        _settle(offer, ticket, OfferStatus.withdrawn, SYSTEM, now)
        enqueue_on_commit(ROUTE_TICKET_JOB, ticket.id, queue="high")
        db.session.commit()
        raise Conflict(_("Set yourself available to take offers."), {"presence": agent.presence.value},
                       code="not_available")
    _settle(offer, ticket, OfferStatus.accepted, actor, now)
    ticket.handed_back = False
    ticket.waiting_reason = None
    apply_assignment(ticket, agent, actor, rule="offer_accepted", offer_id=offer.id)
    agent.last_assigned_at = now
    db.session.commit()
    return ticket


def reject(offer_id: int, actor: Actor, now: datetime | None = None) -> Offer:
    """The agent declines: the ticket goes to the next agent, keeping its place in the queue."""
    now = now or utcnow()
    offer, ticket = _locked(offer_id)
    if offer.agent_id != actor.user_id:
        raise Forbidden(_("This offer was made to someone else."))
    if offer.status is not OfferStatus.pending:
        raise Conflict(_("This offer is no longer open."), {"status": offer.status.value}, code="offer_closed")
    _settle(offer, ticket, OfferStatus.rejected, actor, now)
    enqueue_on_commit(ROUTE_TICKET_JOB, ticket.id, queue="high")
    enqueue_on_commit(ROUTE_FOR_AGENT_JOB, offer.agent_id, queue="high")  # their seat is free again
    db.session.commit()
    return offer


def expire(offer_id: int, now: datetime | None = None) -> str:
    """The timeout passed: record it, set the agent away (not responding), offer to the next."""
    from ..agents.services import set_presence
    from .service import route_ticket

    now = now or utcnow()
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        return "missing"
    offer, ticket = _locked(offer_id)
    if offer.status is not OfferStatus.pending:
        db.session.rollback()
        return offer.status.value
    if now < offer.expires_at:  # early (clock skew): look again at the deadline
        enqueue_on_commit(EXPIRE_JOB, offer.id, at=offer.expires_at, job_id=f"offer-expire-{offer.id}", queue="high")
        db.session.commit()
        return "not-yet"
    agent_id = offer.agent_id
    _settle(offer, ticket, OfferStatus.expired, SYSTEM, now)
    db.session.commit()
    set_presence(agent_id, "away", SYSTEM, only_if="available")  # not responding; never wakes the offline
    route_ticket(ticket.id, now)
    return "expired"


def expire_overdue(now: datetime | None = None) -> int:
    """The sweep's safety net: offers past their deadline whose expiry job was lost."""
    now = now or utcnow()
    ids = db.session.scalars(select(Offer.id).where(Offer.status == OfferStatus.pending,
                                                   Offer.expires_at <= now)).all()
    db.session.rollback()
    return sum(1 for offer_id in ids if expire(offer_id, now) == "expired")


def withdraw_for_ticket(ticket: Ticket, actor: Actor) -> None:
    """The (locked) ticket stops waiting (assigned by hand, cancelled, started): open offers lapse."""
    now = utcnow()
    for offer in db.session.scalars(select(Offer).where(Offer.ticket_id == ticket.id,
                                                        Offer.status == OfferStatus.pending)):
        _settle(offer, ticket, OfferStatus.withdrawn, actor, now)


def withdraw_for_agent(agent_id: int) -> list[int]:
    """The agent stops being available: their open offers go to others. Inside the caller's
    transaction, which holds the agent row: offers another transaction holds are skipped
    (that accept then finds the agent unavailable and withdraws it itself)."""
    now = utcnow()
    withdrawn = db.session.scalars(select(Offer).where(Offer.agent_id == agent_id, Offer.status == OfferStatus.pending)
                                   .with_for_update(skip_locked=True, key_share=True)).all()
    for offer in withdrawn:
        offer.status = OfferStatus.withdrawn
        offer.responded_at = now
        enqueue_on_commit(ROUTE_TICKET_JOB, offer.ticket_id, queue="high")
    return [o.ticket_id for o in withdrawn]


def stats(agent_ids: list[int]) -> dict[int, dict[str, int]]:
    """Offers per agent and outcome, for the agents list."""
    out: dict[int, dict[str, int]] = {i: {} for i in agent_ids}
    rows = db.session.execute(select(Offer.agent_id, Offer.status, func.count()).where(
        Offer.agent_id.in_(agent_ids)).group_by(Offer.agent_id, Offer.status)).all()
    for agent_id, status, n in rows:
        out[agent_id][status.value] = n
    return out

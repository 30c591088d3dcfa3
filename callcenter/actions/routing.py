"""Routing: one waiting ticket to the best agent, the best waiting tickets to a freed agent, and
the sweep over the whole queue. Each assignment is a short transaction of its own (durable)."""
from __future__ import annotations

from datetime import datetime

from ..actors import SYSTEM
from ..auth.models import Role, User
from ..db_types import utcnow
from ..effects import Effects
from ..extensions import db
from ..followups import service as followups
from ..routing import engine, offers
from ..routing import service as routing
from ..routing.models import OfferStatus
from ..tickets.models import Ticket
from . import end_read, unit_of_work
from .assignment import give, hand_back_untouched
from .followup_routing import route_followup
from .presence import set_presence


def _take(ticket: Ticket, decision: engine.Decision, facts: engine.TicketFacts, now: datetime, rule: str,
          fx: Effects) -> bool:
    """With the ticket locked: lock, recount and re-check the agent, then assign or offer.
    False if the agent filled up meanwhile."""
    fits = routing.still_fits(decision, facts)
    if fits is None:
        return False
    agent, state = fits
    why = {"rule": rule, "load_before": state.load, "capacity": state.capacity, **decision.explain()}
    routing.note(ticket, decision)
    if routing.offer_mode(ticket):
        offers.make(ticket, agent, now, why, fx)  # the agent must accept; the seat is held meanwhile
        return True
    routing.routed(ticket, decision)
    give(ticket, agent, SYSTEM, now, fx, **why)
    agent.last_assigned_at = now
    return True


class _AgentFilledUp(Exception):
    """The agent chosen filled up between the snapshot and the lock: undo, decide again."""


def route_ticket(ticket_id: int, now: datetime | None = None) -> int | None:
    """Give one waiting ticket to the best agent now, or record why it waits. Returns the agent id."""
    now = now or utcnow()
    for _attempt in range(3):
        try:
            with unit_of_work(durable=True) as fx:
                ticket = routing.lock_waiting_ticket(ticket_id, skip_locked=False)
                if ticket is None:
                    return None
                facts = routing.locked_facts(ticket)
                decision = engine.decide(facts, routing.agent_states(), now, routing.policy())
                if decision.agent_id is None:
                    routing.note(ticket, decision)
                    routing.announce_queue(now, fx)
                    return None
                if not _take(ticket, decision, facts, now, "best_fit", fx):
                    raise _AgentFilledUp
                routing.announce_queue(now, fx)
                return decision.agent_id
        except _AgentFilledUp:
            continue
    return None


def route_new(ticket: Ticket, now: datetime, fx: Effects) -> int | None:
    """Route a ticket made in the caller's transaction, in it: no other transaction has seen the
    row (no lock to take, no offers to check), and the chosen agent is locked, recounted and
    re-checked as for any assignment. Returns the agent id, or None when it waits.

    One try, one agent locked: a second try would lock another agent while holding the first,
    out of id order. When it waits (or the agent filled up under it), a job routes it once the
    commit has made it visible: an agent freed meanwhile looked for waiting tickets before this
    one could be seen."""
    facts = routing.new_ticket_facts(ticket)
    decision = engine.decide(facts, routing.agent_states(), now, routing.policy())
    if decision.agent_id is not None and _take(ticket, decision, facts, now, "best_fit", fx):
        return decision.agent_id  # never queued: the queue's figures are as they were
    routing.note(ticket, decision)
    routing.announce_queue(now, fx)  # one more waiting
    routing.route_soon(ticket.id, fx)
    return None


def route_for_agent(agent_id: int, now: datetime | None = None) -> list[int]:
    """An agent has room (came online, finished something): give them the best waiting tickets."""
    now = now or utcnow()
    given: list[int] = []
    passed_over = False  # a ticket another transaction held: its router may have decided before this seat freed
    pending: list[engine.TicketFacts] | None = None
    while pending is None or pending:
        user = db.session.get(User, agent_id, populate_existing=True)
        if user is None or not user.active or user.role is not Role.agent:
            break
        state = routing.agent_state(user, routing.seat_load(agent_id))
        if not state.has_room:  # full again or away: no waiting ticket could be theirs, so the queue is not read
            end_read()
            break
        if pending is None:  # read once, only for an agent who can take something
            pending = routing.waiting_facts() + followups.waiting_facts()  # callbacks and revisits compete by score
        best = engine.best_ticket_for(state, pending, now, routing.policy())
        end_read()  # the assignment below is its own transaction
        if best is None:
            break
        pending = [t for t in pending if (t.work, t.id) != (best.work, best.id)]
        if best.work == "followup":
            if route_followup(best.id, now, only_agent=agent_id) is None:
                continue  # taken by another router, or the agent filled up: the next one
            given.append(best.id)
            continue
        try:
            with unit_of_work(durable=True) as fx:
                ticket = routing.lock_waiting_ticket(best.id, skip_locked=True)
                if ticket is None:
                    passed_over = True
                    continue  # taken or locked by another router: the next one
                facts = routing.locked_facts(ticket)
                decision = engine.decide(facts, [state], now, routing.policy())
                if decision.agent_id is None:
                    end_read()
                    if not routing.agent_may_take_more(state, decision):
                        break  # no room any more
                    continue  # this ticket changed meanwhile; the next may still fit
                if not _take(ticket, decision, facts, now, "agent_freed", fx):
                    raise _AgentFilledUp
                routing.announce_queue(now, fx)
                given.append(ticket.id)
        except _AgentFilledUp:
            break  # filled up between the snapshot and the lock
    if passed_over:
        # The router holding that ticket may have read this agent as full a moment before the
        # seat freed: one sweep soon settles it (requests made meanwhile share it).
        with unit_of_work(durable=True) as fx:
            routing.request_sweep(fx)
    return given


def _hand_back_from_absent_agents(now: datetime) -> int:
    """Untouched tickets still held by agents who are not available (a hand-back skipped a
    locked row, or presence changed by a path that does not hand back)."""
    absent = routing.absent_holders()
    end_read()
    handed = 0
    for agent_id in absent:
        with unit_of_work(durable=True) as fx:
            agent = routing.lock_absent(agent_id)
            if agent is not None:
                handed += len(hand_back_untouched(agent, now, fx))
    return handed


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Serve the whole queue in score order; record widenings and waiting reasons."""
    now = now or utcnow()
    expired = expire_overdue(now)
    handed_back = _hand_back_from_absent_agents(now)
    facts = routing.waiting_facts()
    recorded = routing.recorded_reasons()
    agents = routing.agent_states()
    end_read()
    assigned = 0
    by_id = {f.id: f for f in facts}
    still_waiting: list[engine.Decision] = []
    for decision in engine.plan(facts, agents, now, routing.policy()):
        if decision.agent_id is None:
            if (decision.widening > by_id[decision.ticket_id].widening_floor
                    or recorded.get(decision.ticket_id) != decision.waiting_reason):
                still_waiting.append(decision)
            continue  # unchanged: nothing to write, no lock, no commit (a large queue stays cheap)
        try:
            with unit_of_work(durable=True) as fx:
                ticket = routing.lock_waiting_ticket(decision.ticket_id, skip_locked=True)
                if ticket is None:
                    continue
                if not _take(ticket, decision, routing.locked_facts(ticket), now, "sweep", fx):
                    raise _AgentFilledUp  # the next sweep or trigger gets it
                assigned += 1
        except _AgentFilledUp:
            continue
    noted = _note_waiting(still_waiting)
    with unit_of_work(durable=True) as fx:
        routing.announce_queue(now, fx)
    return {"assigned": assigned, "waiting": len(facts) - assigned, "noted": noted, "handed_back": handed_back,
            "offers_expired": expired}


def _note_waiting(decisions: list[engine.Decision], batch: int = 100) -> int:
    """Record why tickets still wait (and their widenings), a batch of tickets per transaction:
    no agent is locked, so the batch holds only rows nobody routes meanwhile (a router that
    meets one skips it, or waits a moment). A ticket given out or locked meanwhile is left."""
    noted = 0
    for start in range(0, len(decisions), batch):
        part = {d.ticket_id: d for d in decisions[start:start + batch]}
        with unit_of_work(durable=True):
            for ticket in routing.lock_waiting_tickets(list(part)):
                noted += routing.note(ticket, part[ticket.id])
    return noted


def expire_offer(offer_id: int, now: datetime | None = None) -> str:
    """An offer's timeout passed: record it, set the agent away (not responding), offer the
    ticket to the next agent."""
    now = now or utcnow()
    if not offers.exists(offer_id):
        return "missing"
    with unit_of_work(durable=True) as fx:
        offer, ticket = offers.locked(offer_id)
        if offer.status is not OfferStatus.pending:
            return offer.status.value
        if now < offer.expires_at:  # early (clock skew): look again at the deadline
            offers.schedule_expiry(offer, fx)
            return "not-yet"
        agent_id, ticket_id = offer.agent_id, ticket.id
        offers.settle(offer, ticket, OfferStatus.expired, SYSTEM, now)
    set_presence(agent_id, "away", SYSTEM, only_if="available", now=now)  # not responding; never wakes the offline
    route_ticket(ticket_id, now)
    return "expired"


def expire_overdue(now: datetime | None = None) -> int:
    """The sweep's safety net: offers past their deadline whose expiry job was lost."""
    now = now or utcnow()
    ids = offers.overdue(now)
    end_read()
    return sum(1 for offer_id in ids if expire_offer(offer_id, now) == "expired")

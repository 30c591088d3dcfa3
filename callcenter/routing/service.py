"""Applying routing decisions to the database.

Every assignment is one short transaction that locks the ticket row, then the agent row,
recounts the agent's load under that lock and re-checks the engine's verdict before writing.
Every change that frees or takes a seat locks the agent row the same way (tickets.services),
so an agent's load changes one transaction at a time: never over capacity, never a ticket
assigned twice. Lock order is always ticket, then agent(s) by id.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..actors import SYSTEM
from ..auth.models import Presence, Role, User
from ..customers.identity import effective_tier
from ..customers.models import Customer
from ..db_types import utcnow
from ..events import emit_on_commit, enqueue_on_commit
from ..extensions import db
from ..tickets import audit, lifecycle
from ..tickets.models import Status, Ticket
from . import engine, offers
from .models import Offer, OfferStatus

ROUTE_FOR_AGENT_JOB = "callcenter.routing.jobs.route_for_agent"
ROUTE_TICKET_JOB = "callcenter.routing.jobs.route_ticket"
SWEEP_JOB = "callcenter.routing.jobs.sweep"


def policy() -> engine.Policy:
    from datetime import timedelta

    steps = current_app.config.get("ROUTING_WIDENING_STEPS", (120, 300, 600))
    return engine.Policy(steps=tuple(timedelta(seconds=s) for s in steps))


# ---------------------------------------------------------------- snapshots

def seat_load(agent_id: int) -> int:
    """Tickets held plus tickets offered and not yet answered: an offer holds a seat."""
    held = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.assignee_id == agent_id, Ticket.status.in_(lifecycle.LOAD_STATUSES))) or 0
    return held + offers.pending_counts([agent_id]).get(agent_id, 0)


def _state(user: User, load: int) -> engine.AgentState:
    return engine.AgentState(
        id=user.id, skills=user.skill_levels, languages=frozenset(user.languages or ()),
        team_ids=frozenset(user.team_ids), capacity=user.capacity, load=load,
        presence=user.presence.value, last_assigned_at=user.last_assigned_at)


def agent_states() -> list[engine.AgentState]:
    from ..agents.services import loads

    users = db.session.scalars(select(User).where(User.active, User.role == Role.agent)
                               .options(selectinload(User.teams), selectinload(User.skills))).all()
    counts = loads([u.id for u in users])
    offered = offers.pending_counts()
    return [_state(u, counts.get(u.id, 0) + offered.get(u.id, 0)) for u in users]


def _facts(ticket: Ticket, tier: str, declined: frozenset[int] = frozenset()) -> engine.TicketFacts:
    return engine.TicketFacts(
        id=ticket.id, priority=ticket.priority.value, tier=tier,
        waiting_since=ticket.waiting_since or ticket.created_at,
        required_skills=dict(ticket.required_skills or {}), language=ticket.language, team_id=ticket.team_id,
        handed_back=ticket.handed_back, widening_floor=ticket.routing_widening, excluded_agents=declined,
        queued_since=ticket.queued_at)


def _locked_facts(ticket: Ticket) -> engine.TicketFacts:
    return _facts(ticket, _tier(ticket), offers.declined_by(ticket.id))


def _tier(ticket: Ticket) -> str:
    return ticket.effective_tier


def waiting_facts() -> list[engine.TicketFacts]:
    """Every ticket waiting in the queue, as the engine sees it (one query)."""
    pending = select(Offer.ticket_id).where(Offer.status == OfferStatus.pending)
    rows = db.session.execute(
        select(Ticket, Customer.tier).outerjoin(Customer, Customer.id == Ticket.customer_id)  # unlinked tickets wait too
        .where(Ticket.status == Status.new, Ticket.assignee_id.is_(None), Ticket.id.not_in(pending))).all()
    declined: dict[int, set[int]] = {}
    for ticket_id, agent_id in db.session.execute(select(Offer.ticket_id, Offer.agent_id).where(
            Offer.status.in_([OfferStatus.rejected, OfferStatus.expired]), Offer.ticket_id.in_([t.id for t, _ in rows]))):
        declined.setdefault(ticket_id, set()).add(agent_id)
    return [_facts(t, effective_tier(tier.value if tier else None, t.customer_verified), frozenset(declined.get(t.id, ())))
            for t, tier in rows]


def is_waiting(ticket: Ticket | None) -> bool:
    """New, nobody's, and not on offer to someone right now."""
    return (ticket is not None and ticket.status is Status.new and ticket.assignee_id is None
            and not offers.has_pending(ticket.id))


# ---------------------------------------------------------------- locks

def lock_agents(ids: Iterable[int | None]) -> None:
    """Lock agent rows in id order (the same order everywhere, so no deadlock)."""
    wanted = sorted({i for i in ids if i})
    if wanted:
        db.session.execute(select(User.id).where(User.id.in_(wanted)).order_by(User.id).with_for_update(key_share=True))


def _lock_waiting_ticket(ticket_id: int, *, skip_locked: bool) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.id == ticket_id).with_for_update(skip_locked=skip_locked, key_share=True)
    ticket = db.session.scalars(stmt.execution_options(populate_existing=True)).first()
    return ticket if is_waiting(ticket) else None


# ---------------------------------------------------------------- applying decisions

def _note(ticket: Ticket, decision: engine.Decision) -> None:
    """Record a widening (once per level, audited) and why the ticket still waits."""
    if decision.widening > ticket.routing_widening:
        audit.record(ticket, "routing_widened", SYSTEM, field="routing_widening",
                     before=ticket.routing_widening, after=decision.widening)
        ticket.routing_widening = decision.widening
    if ticket.waiting_reason != decision.waiting_reason:
        ticket.waiting_reason = decision.waiting_reason


def _assign_checked(ticket: Ticket, decision: engine.Decision, facts: engine.TicketFacts, now: datetime,
                    rule: str) -> bool:
    """With the ticket locked: lock the agent, recount, re-check, assign. False if they filled up."""
    from ..tickets.services import apply_assignment

    lock_agents([decision.agent_id])
    agent = db.session.get(User, decision.agent_id, populate_existing=True)
    state = _state(agent, seat_load(agent.id))
    if engine.why_not(state, facts, decision.widening) is not None:
        return False
    _note(ticket, decision)
    why = {"rule": rule, "load_before": state.load, "capacity": state.capacity, **decision.explain()}
    if ticket.team is not None and ticket.team.offer_mode:
        offers.make(ticket, agent, now, why)  # the agent must accept; the seat is held meanwhile
        return True
    ticket.handed_back = False
    ticket.waiting_reason = None
    apply_assignment(ticket, agent, SYSTEM, **why)
    agent.last_assigned_at = now
    return True


def route_ticket(ticket_id: int, now: datetime | None = None) -> int | None:
    """Give one waiting ticket to the best agent now, or record why it waits. Returns the agent id."""
    now = now or utcnow()
    for _attempt in range(3):
        ticket = _lock_waiting_ticket(ticket_id, skip_locked=False)
        if ticket is None:
            db.session.rollback()
            return None
        facts = _locked_facts(ticket)
        decision = engine.decide(facts, agent_states(), now, policy())
        if decision.agent_id is None:
            _note(ticket, decision)
            _emit_queue_stats(now)
            db.session.commit()
            return None
        if _assign_checked(ticket, decision, facts, now, rule="best_fit"):
            _emit_queue_stats(now)
            db.session.commit()
            return decision.agent_id
        db.session.rollback()  # the agent filled up between the snapshot and the lock: decide again
    return None


def route_for_agent(agent_id: int, now: datetime | None = None) -> list[int]:
    """An agent has room (came online, finished something): give them the best waiting tickets."""
    now = now or utcnow()
    given: list[int] = []
    pending = waiting_facts()
    while pending:
        user = db.session.get(User, agent_id, populate_existing=True)
        if user is None or not user.active or user.role is not Role.agent:
            break
        state = _state(user, seat_load(agent_id))
        best = engine.best_ticket_for(state, pending, now, policy())
        db.session.rollback()  # end the read; the assignment below is its own transaction
        if best is None:
            break
        pending = [t for t in pending if t.id != best.id]
        ticket = _lock_waiting_ticket(best.id, skip_locked=True)
        if ticket is None:
            db.session.rollback()  # taken or locked by another router: next one
            continue
        facts = _locked_facts(ticket)
        decision = engine.decide(facts, [state], now, policy())
        if decision.agent_id is None:
            db.session.rollback()
            if decision.candidates and decision.candidates[0].reason in ("at_capacity",) or \
                    decision.candidates and decision.candidates[0].reason.startswith("presence:"):
                break  # no room any more
            continue  # this ticket changed meanwhile; the next may still fit
        if _assign_checked(ticket, decision, facts, now, rule="agent_freed"):
            _emit_queue_stats(now)
            db.session.commit()
            given.append(ticket.id)
        else:
            db.session.rollback()
            break  # filled up between the snapshot and the lock
    return given


def _hand_back_from_absent_agents() -> int:
    """Untouched tickets still held by agents who are not available (a hand-back skipped a
    locked row, or presence changed by a path that does not hand back)."""
    absent = db.session.scalars(select(User).where(User.presence != Presence.available).where(
        User.id.in_(select(Ticket.assignee_id).where(Ticket.status == Status.assigned, Ticket.pinned.is_(False),
                                                     Ticket.first_response_at.is_(None))))).all()
    db.session.rollback()
    handed = 0
    for agent in absent:
        agent = db.session.scalars(select(User).where(User.id == agent.id).with_for_update(key_share=True)
                                   .execution_options(populate_existing=True)).first()
        if agent is not None and agent.presence is not Presence.available:
            handed += len(hand_back_untouched(agent))
        db.session.commit()
    return handed


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Serve the whole queue in score order; record widenings and waiting reasons."""
    now = now or utcnow()
    expired = offers.expire_overdue(now)
    handed_back = _hand_back_from_absent_agents()
    facts = waiting_facts()
    recorded = dict(db.session.execute(select(Ticket.id, Ticket.waiting_reason).where(
        Ticket.id.in_([f.id for f in facts]))).all()) if facts else {}
    agents = agent_states()
    db.session.rollback()
    assigned = noted = 0
    by_id = {f.id: f for f in facts}
    for decision in engine.plan(facts, agents, now, policy()):
        unchanged = (decision.agent_id is None and decision.widening <= by_id[decision.ticket_id].widening_floor
                     and recorded.get(decision.ticket_id) == decision.waiting_reason)
        if unchanged:
            continue  # nothing to write: no lock, no commit (a large queue stays cheap)
        ticket = _lock_waiting_ticket(decision.ticket_id, skip_locked=True)
        if ticket is None:
            db.session.rollback()
            continue
        if decision.agent_id is not None:
            ticket_facts = _locked_facts(ticket)
            if _assign_checked(ticket, decision, ticket_facts, now, rule="sweep"):
                db.session.commit()
                assigned += 1
                continue
            db.session.rollback()
            continue  # the next sweep or trigger gets it
        before = (ticket.routing_widening, ticket.waiting_reason)
        _note(ticket, decision)
        if (ticket.routing_widening, ticket.waiting_reason) != before:
            noted += 1
        db.session.commit()
    _emit_queue_stats(now)
    db.session.commit()
    return {"assigned": assigned, "waiting": len(facts) - assigned, "noted": noted, "handed_back": handed_back,
            "offers_expired": expired}


# ---------------------------------------------------------------- triggers from other services

def seat_changing(ticket: Ticket, before_status: str, after_status: str) -> None:
    """Called by tickets.services inside its transaction when a status change may free or take a seat."""
    if not ticket.assignee_id:
        return
    before_counts = before_status in lifecycle.LOAD_STATUSES
    after_counts = after_status in lifecycle.LOAD_STATUSES
    if before_counts != after_counts:
        lock_agents([ticket.assignee_id])
        if before_counts and not after_counts:
            enqueue_on_commit(ROUTE_FOR_AGENT_JOB, ticket.assignee_id, queue="high")


def hand_back_untouched(agent: User) -> list[int]:
    """An agent went away or offline: tickets they never answered go back to the front of the queue.

    Runs inside the caller's transaction, which holds the agent's row. Tickets they are working
    stay with them. The ticket locks skip rows another transaction holds: waiting for them here
    would invert the ticket-then-agent lock order and deadlock; the sweep hands back any skipped.
    """
    lock_agents([agent.id])
    tickets = db.session.scalars(select(Ticket).where(
        Ticket.assignee_id == agent.id, Ticket.status == Status.assigned, Ticket.first_response_at.is_(None),
        Ticket.pinned.is_(False))
        .with_for_update(skip_locked=True, key_share=True).execution_options(populate_existing=True)).all()
    from ..tickets.services import rooms_for, summary_payload

    for ticket in tickets:
        rooms = rooms_for(ticket)
        audit.record(ticket, "handed_back", SYSTEM, field="assignee", before={"id": agent.id, "name": agent.name},
                     after=None, reason=f"agent_{agent.presence.value}")
        ticket.assignee_id = None
        ticket.assignee = None
        ticket.status = Status.new
        ticket.handed_back = True
        ticket.queued_at = utcnow()  # a fresh stay: requirements start exact again
        ticket.routing_widening = 0
        audit.record(ticket, "status_changed", SYSTEM, field="status", before="assigned", after="new",
                     reason="handed_back")
        emit_on_commit("ticket.updated", summary_payload(ticket, "handed_back"), rooms)
    if tickets:
        request_sweep()
    return [t.id for t in tickets]


def request_sweep() -> None:
    """Ask for one sweep soon; requests made while one is already queued share it."""
    enqueue_on_commit(SWEEP_JOB, queue="high", job_id="routing-sweep-soon", unique=True)


# ---------------------------------------------------------------- queue view

def queue_stats(now: datetime | None = None, team_id: int | None = None) -> dict:
    now = now or utcnow()
    stmt = (select(func.count(Ticket.id), func.min(func.coalesce(Ticket.waiting_since, Ticket.created_at)))
            .where(Ticket.status == Status.new, Ticket.assignee_id.is_(None)))
    if team_id is not None:
        stmt = stmt.where(Ticket.team_id == team_id)
    waiting, oldest = db.session.execute(stmt).one()
    if oldest is not None and oldest.tzinfo is None:
        from datetime import timezone

        oldest = oldest.replace(tzinfo=timezone.utc)
    return {"waiting": waiting, "oldest_wait_seconds": round((now - oldest).total_seconds()) if oldest else 0}


def _emit_queue_stats(now: datetime) -> None:
    emit_on_commit("queue.stats", {"ticket_id": None, **queue_stats(now)}, ["supervisors"])


# ---------------------------------------------------------------- rules

def apply_rules(ticket: Ticket, tier: str, *, explicit_priority: bool, explicit_skills: bool) -> None:
    """The first matching routing rule sets required skills, team and priority (what the
    caller gave explicitly wins). Inside the caller's transaction, after the ticket is flushed."""
    from .models import RoutingRule
    from .rules import first_match

    rule = first_match(db.session.scalars(select(RoutingRule).where(RoutingRule.active)).all(), {
        "kind": ticket.kind.value, "category": ticket.category_code, "channel": ticket.channel.value,
        "tier": tier, "language": ticket.language, "priority": ticket.priority.value,
        "subject": ticket.subject, "description": ticket.description,
    })
    if rule is None:
        return
    ticket.routing_rule_id = rule.id
    if rule.skills and not explicit_skills:
        ticket.required_skills = dict(rule.skills)
    if rule.team_id:
        ticket.team_id = rule.team_id
    if rule.priority and not explicit_priority:
        from ..tickets.models import Priority

        ticket.priority = Priority(rule.priority)
    audit.record(ticket, "routing_rule_applied", SYSTEM, rule_id=rule.id, rule=rule.name,
                 skills=ticket.required_skills, team_id=ticket.team_id, priority=ticket.priority)

"""Routing against the database: snapshots for the engine, the locks, and the checks made
under them. Inside the caller's transaction; nothing here commits or publishes (the routing
actions, callcenter/actions/routing.py, do).

Every assignment locks the ticket row, then the agent row, recounts the agent's load under
that lock and re-checks the engine's verdict before writing. Every change that frees or takes
a seat locks the agent row the same way, so an agent's load changes one transaction at a
time: never over capacity, never a ticket assigned twice. Lock order: ticket, then agents by id.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Iterable

from flask import current_app
from sqlalchemy import Row, Select, String, bindparam, cast, null, select, union_all
from sqlalchemy.orm import joinedload

from .. import setup_cache, transaction_facts
from ..actors import SYSTEM
from ..agents.load import load_of, seats_taken
from ..auth.models import AgentSkill, Presence, Role, User, user_teams
from ..console.rooms import SUPERVISORS
from ..customers.identity import effective_tier
from ..customers.models import Customer
from ..effects import Effects
from ..extensions import db
from ..tickets import audit, lifecycle
from ..tickets.models import Priority, Status, Ticket, TicketEvent
from . import engine, offers
from .job_names import ROUTE_FOR_AGENT_JOB, ROUTE_TICKET_JOB, SWEEP_JOB
from .models import Offer, OfferStatus, RoutingRule
from .queries import queue_stats
from .rules import first_match


def policy() -> engine.Policy:
    steps = current_app.config.get("ROUTING_WIDENING_STEPS", (120, 300, 600))
    return engine.Policy(steps=tuple(timedelta(seconds=s) for s in steps))


# ---------------------------------------------------------------- snapshots

def seat_load(agent_id: int) -> int:
    """Seats the agent's work takes now (agents.load: tickets held and offers open)."""
    return load_of(agent_id)


def agent_state(user: User, load: int) -> engine.AgentState:
    return engine.AgentState(
        id=user.id, skills=user.skill_levels, languages=frozenset(user.languages or ()),
        team_ids=frozenset(user.team_ids), capacity=user.capacity, load=load,
        presence=user.presence.value, last_assigned_at=user.last_assigned_at)


@functools.cache
def _agent_statements() -> tuple[Select, Select]:
    """The two statements of agent_states(), built once: a statement object keeps its cache key,
    which SQLAlchemy otherwise works out afresh on every run (such keys took about 7% of a
    loaded web process's CPU)."""
    agents = select(User.id).where(User.active, User.role == Role.agent)
    users = select(User.id, User.capacity, User.languages, User.presence, User.last_assigned_at,
                   seats_taken(User.id).label("load")).where(User.id.in_(agents))
    # skills and teams in one statement: (user, skill, level) and (user, NULL, team id)
    skills_and_teams = union_all(
        select(AgentSkill.user_id, AgentSkill.skill, AgentSkill.level).where(AgentSkill.user_id.in_(agents)),
        select(user_teams.c.user_id, cast(null(), String), user_teams.c.team_id).where(user_teams.c.user_id.in_(agents)))
    return users, skills_and_teams


def agent_states() -> list[engine.AgentState]:
    """Every active agent as the engine sees them. Every routing decision reads this, so it reads
    plain columns (no User, Team or AgentSkill objects to build), with their loads: two
    statements in all."""
    users_stmt, rows = _agent_statements()
    users = db.session.execute(users_stmt).all()
    if not users:
        return []
    skills: dict[int, dict[str, int]] = {}
    teams: dict[int, set[int]] = {}
    for user_id, skill, number in db.session.execute(rows):
        if skill is None:
            teams.setdefault(user_id, set()).add(number)
        else:
            skills.setdefault(user_id, {})[skill] = number
    return [engine.AgentState(id=u.id, skills=skills.get(u.id, {}), languages=frozenset(u.languages or ()),
                              team_ids=frozenset(teams.get(u.id, ())), capacity=u.capacity,
                              load=u.load, presence=u.presence.value,
                              last_assigned_at=u.last_assigned_at) for u in users]


def _facts(ticket: Ticket | Row, tier: str, declined: frozenset[int] = frozenset()) -> engine.TicketFacts:
    return engine.TicketFacts(
        id=ticket.id, priority=ticket.priority.value, tier=tier,
        waiting_since=ticket.waiting_since or ticket.created_at,
        required_skills=dict(ticket.required_skills or {}), language=ticket.language, team_id=ticket.team_id,
        handed_back=ticket.handed_back, widening_floor=ticket.routing_widening, excluded_agents=declined,
        queued_since=ticket.queued_at)


def new_ticket_facts(ticket: Ticket) -> engine.TicketFacts:
    """A ticket made in this transaction, as the engine sees it: nobody has declined it yet."""
    return _facts(ticket, ticket.effective_tier)


def locked_facts(ticket: Ticket) -> engine.TicketFacts:
    return _facts(ticket, ticket.effective_tier, offers.declined_by(ticket.id))


# What the engine reads of a waiting ticket (_facts): plain columns, not whole rows. The queue
# can hold thousands; loading each as an ORM object (description, contact, every date) cost
# the freed-agent job and the sweep most of their time.
_FACT_COLUMNS = (Ticket.id, Ticket.priority, Ticket.waiting_since, Ticket.created_at, Ticket.required_skills,
                 Ticket.language, Ticket.team_id, Ticket.handed_back, Ticket.routing_widening, Ticket.queued_at,
                 Ticket.customer_verified)


def _waiting():
    pending = select(Offer.ticket_id).where(Offer.status == OfferStatus.pending)
    return (Ticket.status == Status.new, Ticket.assignee_id.is_(None), Ticket.id.not_in(pending))


def waiting_facts() -> list[engine.TicketFacts]:
    """Every ticket waiting in the queue, as the engine sees it (two queries, whatever its length)."""
    rows = db.session.execute(
        select(*_FACT_COLUMNS, Customer.tier).outerjoin(Customer, Customer.id == Ticket.customer_id)  # unlinked wait too
        .where(*_waiting())).all()
    declined: dict[int, set[int]] = {}
    if rows:
        for ticket_id, agent_id in db.session.execute(select(Offer.ticket_id, Offer.agent_id).join(
                Ticket, Ticket.id == Offer.ticket_id).where(
                Offer.status.in_([OfferStatus.rejected, OfferStatus.expired]), *_waiting())):
            declined.setdefault(ticket_id, set()).add(agent_id)
    # Unpacked as tuples: a long queue is read often (the sweep, each freed seat), and reading a
    # row's fields by name cost a third of this function's time at 18,000 waiting.
    none: frozenset[int] = frozenset()
    return [engine.TicketFacts(id=ticket_id, priority=priority.value, tier=effective_tier(tier.value if tier else None, verified),
                               waiting_since=waiting_since or created_at, required_skills=dict(skills or {}),
                               language=language, team_id=team_id, handed_back=handed_back,
                               widening_floor=widening, excluded_agents=frozenset(declined[ticket_id]) if ticket_id in declined else none,
                               queued_since=queued_at)
            for (ticket_id, priority, waiting_since, created_at, skills, language, team_id, handed_back, widening,
                 queued_at, verified, tier) in rows]


def recorded_reasons() -> dict[int, str | None]:
    """Why each waiting ticket waits, as last recorded: read by the queue's own condition, not by
    its ids (18,000 bound ids took about 0.6 s to send and parse; this, a few ms). Read just after
    waiting_facts(), not in the same snapshot: a ticket that joined the queue meanwhile is not in
    the sweep's plan and is not asked; one that left it reads as unrecorded, and the sweep's
    batch lock (lock_waiting_tickets) passes it over."""
    return dict(db.session.execute(select(Ticket.id, Ticket.waiting_reason).where(*_waiting())).all())


def is_waiting(ticket: Ticket | None) -> bool:
    """New, nobody's, and not on offer to someone right now."""
    return (ticket is not None and ticket.status is Status.new and ticket.assignee_id is None
            and not offers.has_pending(ticket.id))


# ---------------------------------------------------------------- locks

def lock_agents(ids: Iterable[int | None]) -> None:
    """Lock agent rows in id order (the same order everywhere, so no deadlock)."""
    held = transaction_facts.locked_agents()
    wanted = sorted({i for i in ids if i} - held)  # a row this transaction holds already is not asked for again
    if wanted:
        db.session.execute(select(User.id).where(User.id.in_(wanted)).order_by(User.id).with_for_update(key_share=True))
        held.update(wanted)


def lock_waiting_ticket(ticket_id: int, *, skip_locked: bool) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.id == ticket_id).with_for_update(skip_locked=skip_locked, key_share=True)
    ticket = db.session.scalars(stmt.execution_options(populate_existing=True)).first()
    return ticket if is_waiting(ticket) else None


def lock_waiting_tickets(ticket_ids: list[int]) -> list[Ticket]:
    """Those of the tickets still waiting, locked, skipping rows another transaction holds (as
    lock_waiting_ticket one by one, in one statement)."""
    if not ticket_ids:
        return []
    stmt = (select(Ticket).where(Ticket.id.in_(ticket_ids), Ticket.status == Status.new, Ticket.assignee_id.is_(None))
            .order_by(Ticket.id).with_for_update(skip_locked=True, key_share=True))
    tickets = db.session.scalars(stmt.execution_options(populate_existing=True)).all()
    # Read after the locks (a statement of its own): an offer made just before is seen.
    on_offer = set(db.session.scalars(select(Offer.ticket_id).where(
        Offer.ticket_id.in_([t.id for t in tickets]), Offer.status == OfferStatus.pending))) if tickets else set()
    return [t for t in tickets if t.id not in on_offer]


@functools.cache
def _lock_agent_statement() -> Select:
    return (select(User).where(User.id == bindparam("agent_id"))
            .options(joinedload(User.skills), joinedload(User.teams))
            .with_for_update(key_share=True, of=User)
            .execution_options(populate_existing=True))


def lock_agent(agent_id: int) -> User | None:
    """The agent's row locked and read afresh, with the skills and teams a decision reads: one
    statement (the lock only the user row's: OF users)."""
    agent = db.session.scalars(_lock_agent_statement(), {"agent_id": agent_id}).unique().first()
    if agent is not None:
        transaction_facts.locked_agents().add(agent.id)
    return agent


# ---------------------------------------------------------------- decisions under the locks

def note(ticket: Ticket, decision: engine.Decision) -> bool:
    """Record a widening (once per level, audited) and why the ticket still waits; True if
    anything changed."""
    changed = False
    if decision.widening > ticket.routing_widening:
        audit.record(ticket, "routing_widened", SYSTEM, field="routing_widening",
                     before=ticket.routing_widening, after=decision.widening)
        ticket.routing_widening = decision.widening
        changed = True
    if ticket.waiting_reason != decision.waiting_reason:
        ticket.waiting_reason = decision.waiting_reason
        changed = True
    return changed


def still_fits(decision: engine.Decision, facts: engine.TicketFacts) -> tuple[User, engine.AgentState] | None:
    """With the ticket locked: lock the chosen agent, recount, re-check. None if they filled up
    (or went away) between the snapshot and the lock."""
    agent = lock_agent(decision.agent_id)
    state = agent_state(agent, seat_load(agent.id))
    if engine.why_not(state, facts, decision.widening) is not None:
        return None
    return agent, state


def routed(ticket: Ticket, decision: engine.Decision) -> None:
    """The ticket leaves the queue for an agent (assigned or on offer)."""
    note(ticket, decision)
    ticket.handed_back = False
    ticket.waiting_reason = None


def offer_mode(ticket: Ticket) -> bool:
    return ticket.team is not None and ticket.team.offer_mode


def agent_may_take_more(state: engine.AgentState, decision: engine.Decision) -> bool:
    """After a refusal for one ticket: is the reason the agent (full, away), not the ticket?"""
    first = decision.candidates[0] if decision.candidates else None
    return not (first and (first.reason == "at_capacity" or first.reason.startswith("presence:")))


# ---------------------------------------------------------------- hand-backs

# The "rule" of the assignments routing made (actions/routing.py, an accepted offer). Only
# these go back to the queue when the agent leaves: a person's assignment (a supervisor's, an
# agent taking a ticket) or an SLA escalation to someone is a choice routing must not undo.
ROUTED_RULES = ("best_fit", "agent_freed", "sweep", "offer_accepted")


def _routed_to_them():
    """The ticket's latest assignment was made by routing (read from its audit trail)."""
    last_rule = (select(TicketEvent.data["rule"].as_string())
                 .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "assigned")
                 .order_by(TicketEvent.id.desc()).limit(1).correlate(Ticket).scalar_subquery())
    return last_rule.in_(ROUTED_RULES)


def _untouched():
    return (Ticket.status == Status.assigned, Ticket.first_response_at.is_(None), Ticket.pinned.is_(False),
            _routed_to_them())


def untouched_tickets(agent: User) -> list[Ticket]:
    """Routed tickets the agent holds and never answered, not pinned: locked, skipping rows
    another transaction holds (waiting would invert the ticket-then-agent lock order)."""
    lock_agents([agent.id])
    return list(db.session.scalars(select(Ticket).where(Ticket.assignee_id == agent.id, *_untouched())
        .with_for_update(skip_locked=True, key_share=True).execution_options(populate_existing=True)))


def absent_holders() -> list[int]:
    """Agents not available who still hold untouched tickets (a hand-back skipped a locked row)."""
    return list(db.session.scalars(select(User.id).where(User.presence != Presence.available).where(
        User.id.in_(select(Ticket.assignee_id).where(*_untouched())))))


def lock_absent(agent_id: int) -> User | None:
    agent = db.session.scalars(select(User).where(User.id == agent_id).with_for_update(key_share=True)
                               .execution_options(populate_existing=True)).first()
    return agent if agent is not None and agent.presence is not Presence.available else None


# ---------------------------------------------------------------- triggers

def seat_changing(ticket: Ticket, before_status: str, after_status: str, fx: Effects) -> None:
    """A status change may free or take the assignee's seat: lock the agent; a freed seat routes."""
    if not ticket.assignee_id:
        return
    before_counts = before_status in lifecycle.LOAD_STATUSES
    after_counts = after_status in lifecycle.LOAD_STATUSES
    if before_counts != after_counts:
        lock_agents([ticket.assignee_id])
        if before_counts and not after_counts:
            fx.enqueue(ROUTE_FOR_AGENT_JOB, ticket.assignee_id, queue="high")


def request_sweep(fx: Effects) -> None:
    """Ask for one sweep soon; requests made while one is already queued share it."""
    fx.enqueue(SWEEP_JOB, queue="high", job_id="routing-sweep-soon", unique=True)


def route_soon(ticket_id: int, fx: Effects) -> None:
    fx.enqueue(ROUTE_TICKET_JOB, ticket_id, queue="high")


# ---------------------------------------------------------------- queue view

def announce_queue(now: datetime, fx: Effects) -> None:
    fx.emit("queue.stats", {"ticket_id": None, **queue_stats(now)}, [SUPERVISORS])


# ---------------------------------------------------------------- rules

setup_cache.watch(RoutingRule)
_RULE_FIELDS = ("id", "name", "match", "skills", "team_id", "priority", "position", "active")


def active_rules() -> list:
    """The active routing rules (plain values, kept per set-up version)."""
    return setup_cache.cached("routing_rules", lambda: [
        setup_cache.plain(rule, *_RULE_FIELDS) for rule in db.session.scalars(select(RoutingRule).where(RoutingRule.active))])


def apply_rules(ticket: Ticket, tier: str, *, explicit_priority: bool, explicit_skills: bool) -> None:
    """The first matching routing rule sets required skills, team and priority (what the
    caller gave explicitly wins). Inside the caller's transaction, after the ticket is flushed."""
    rule = first_match(active_rules(), {
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
        ticket.priority = Priority(rule.priority)
    audit.record(ticket, "routing_rule_applied", SYSTEM, rule_id=rule.id, rule=rule.name,
                 skills=ticket.required_skills, team_id=ticket.team_id, priority=ticket.priority)

"""The routing engine: snapshots in, a decision out. Pure: no Flask, no SQLAlchemy, no clock.

Who gets a ticket, among agents who are available, under capacity, with the required skills
at the required level, in the ticket's language and team: the highest proficiency fit, then
the lowest load ratio, then the longest idle since their last assignment (fair over time).

Waiting tickets are served by score: priority, customer tier and time waited (aging), so
waiting raises a ticket's place and nothing starves. A ticket that waits past its widening
steps relaxes its requirements one step at a time: one skill level lower, then other teams,
then any available agent.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping, Sequence

PRIORITY_POINTS = {"P1": 400.0, "P2": 300.0, "P3": 200.0, "P4": 100.0}
TIER_POINTS = {"VIP": 150.0, "A": 60.0, "B": 30.0, "C": 0.0}
AGING_POINTS_PER_MINUTE = 10.0  # a P4 that waited 30 min outranks a fresh P1
HANDED_BACK_POINTS = 10_000.0  # tickets handed back by an agent go to the front

# Widening levels: what a ticket that waited long enough no longer insists on.
EXACT, LOWER_LEVEL, OTHER_TEAMS, ANY_AGENT = 0, 1, 2, 3
DEFAULT_STEPS = (timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=10))

_EPOCH = datetime.min.replace(tzinfo=timezone.utc)  # "never assigned": the idlest


@dataclass(frozen=True)
class AgentState:
    id: int
    skills: Mapping[str, int]
    languages: frozenset[str]
    team_ids: frozenset[int]
    capacity: int
    load: int
    presence: str = "available"
    last_assigned_at: datetime | None = None

    @property
    def has_room(self) -> bool:
        return self.presence == "available" and self.load < self.capacity

    @property
    def load_ratio(self) -> float:
        return self.load / self.capacity if self.capacity else 1.0


@dataclass(frozen=True)
class TicketFacts:
    id: int
    priority: str
    tier: str
    waiting_since: datetime
    required_skills: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    team_id: int | None = None
    handed_back: bool = False
    excluded_agents: frozenset[int] = frozenset()  # rejected or let the offer time out
    widening_floor: int = EXACT  # a level already recorded on the ticket never shrinks
    queued_since: datetime | None = None  # this stay in the queue (after a hand-back); else waiting_since
    work: str = "ticket"  # or "followup": a callback or revisit routed by the same rules


@dataclass(frozen=True)
class Policy:
    steps: tuple[timedelta, ...] = DEFAULT_STEPS

    def widening(self, waited: timedelta) -> int:
        return sum(1 for step in self.steps if waited >= step)


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    eligible: bool
    fit: int
    load: int
    capacity: int
    idle_seconds: float | None
    reason: str  # why not, when not eligible; "ok" otherwise


@dataclass(frozen=True)
class Decision:
    ticket_id: int
    agent_id: int | None
    widening: int
    candidates: tuple[Candidate, ...]
    waiting_reason: str | None  # set when agent_id is None

    def explain(self, limit: int = 5) -> dict:
        """What goes on the audit trail: the chosen one first, then the best few considered."""
        ranked = sorted(self.candidates, key=lambda c: (
            c.agent_id != self.agent_id, not c.eligible, -c.fit, c.load / max(c.capacity, 1),
            -(c.idle_seconds if c.idle_seconds is not None else float("inf")), c.agent_id))
        return {
            "widening": self.widening,
            "candidates": [
                {"agent_id": c.agent_id, "eligible": c.eligible, "fit": c.fit, "load": c.load,
                 "capacity": c.capacity, "idle_seconds": None if c.idle_seconds is None else round(c.idle_seconds),
                 "reason": c.reason}
                for c in ranked[:limit]
            ],
            "considered": len(self.candidates),
            "waiting_reason": self.waiting_reason,
        }


def score(ticket: TicketFacts, now: datetime) -> float:
    """Place in the queue: higher first. Grows with waiting, so nothing starves."""
    waited_minutes = max(0.0, (now - ticket.waiting_since).total_seconds() / 60.0)
    return (PRIORITY_POINTS.get(ticket.priority, 0.0) + TIER_POINTS.get(ticket.tier, 0.0)
            + AGING_POINTS_PER_MINUTE * waited_minutes + (HANDED_BACK_POINTS if ticket.handed_back else 0.0))


def widening_for(ticket: TicketFacts, now: datetime, policy: Policy) -> int:
    """Widening counts from the ticket's current stay in the queue: a ticket handed back starts
    exact again, though its score keeps its original place."""
    return max(ticket.widening_floor, policy.widening(now - (ticket.queued_since or ticket.waiting_since)))


def fit(agent: AgentState, ticket: TicketFacts) -> int:
    """Proficiency fit: the agent's levels summed over the skills the ticket needs."""
    return sum(agent.skills.get(skill, 0) for skill in ticket.required_skills)


def why_not(agent: AgentState, ticket: TicketFacts, widening: int) -> str | None:
    """None when the agent may take the ticket at this widening; else the reason."""
    if agent.presence != "available":
        return f"presence:{agent.presence}"
    if agent.load >= agent.capacity:
        return "at_capacity"
    if agent.id in ticket.excluded_agents:
        return "declined_before"
    if widening >= ANY_AGENT:
        return None
    drop = 1 if widening >= LOWER_LEVEL else 0
    for skill, level in ticket.required_skills.items():
        if agent.skills.get(skill, 0) < max(1, level - drop):
            return f"skill:{skill}"
    if ticket.language and agent.languages and ticket.language not in agent.languages:
        return f"language:{ticket.language}"
    if ticket.team_id is not None and widening < OTHER_TEAMS and ticket.team_id not in agent.team_ids:
        return "other_team"
    return None


def _rank(agent: AgentState, ticket: TicketFacts):
    # Highest fit, then lowest load ratio, then longest idle (never assigned counts as idlest).
    return (-fit(agent, ticket), agent.load_ratio, agent.last_assigned_at or _EPOCH, agent.id)


def _idle(agent: AgentState, now: datetime) -> float | None:
    return None if agent.last_assigned_at is None else (now - agent.last_assigned_at).total_seconds()


def waiting_reason(reasons: Iterable[str]) -> str:
    """One line on why a ticket still waits, from every agent's reason."""
    reasons = list(reasons)
    if not reasons:
        return "no_agents"
    if all(r.startswith("presence:") for r in reasons):
        return "no_agent_online"
    online = [r for r in reasons if not r.startswith("presence:")]
    if all(r == "at_capacity" for r in online):
        return "all_at_capacity"
    for prefix in ("skill:", "language:"):
        hits = [r for r in online if r.startswith(prefix)]
        if hits and len(hits) + online.count("at_capacity") == len(online):
            return f"no_{prefix[:-1]}_{hits[0].split(':', 1)[1]}"
    return "no_eligible_agent"


def decide(ticket: TicketFacts, agents: Sequence[AgentState], now: datetime, policy: Policy = DEFAULT_POLICY) -> Decision:
    """The best agent for one ticket, or why it waits."""
    widening = widening_for(ticket, now, policy)
    candidates, eligible = [], []
    for agent in agents:
        reason = why_not(agent, ticket, widening)
        candidates.append(Candidate(agent.id, reason is None, fit(agent, ticket), agent.load, agent.capacity,
                                    _idle(agent, now), reason or "ok"))
        if reason is None:
            eligible.append(agent)
    if not eligible:
        return Decision(ticket.id, None, widening, tuple(candidates),
                        waiting_reason(c.reason for c in candidates))
    best = min(eligible, key=lambda a: _rank(a, ticket))
    return Decision(ticket.id, best.id, widening, tuple(candidates), None)


def decide_preferring(ticket: TicketFacts, agents: Sequence[AgentState], now: datetime,
                      policy: Policy = DEFAULT_POLICY, *, preferred: int | None = None,
                      avoid: int | None = None) -> Decision:
    """As decide(), but the preferred agent (the customer's own) takes it whenever they may, and
    the one to avoid (who resolved the ticket being revisited) only when nobody else may."""
    widening = widening_for(ticket, now, policy)
    if preferred is not None:
        for agent in agents:
            if agent.id == preferred and why_not(agent, ticket, widening) is None:
                candidate = Candidate(agent.id, True, fit(agent, ticket), agent.load, agent.capacity,
                                      _idle(agent, now), "preferred")
                return Decision(ticket.id, agent.id, widening, (candidate,), None)
    if avoid is not None:
        decision = decide(replace(ticket, excluded_agents=ticket.excluded_agents | {avoid}), agents, now, policy)
        if decision.agent_id is not None:
            return decision
    return decide(ticket, agents, now, policy)


def plan(tickets: Sequence[TicketFacts], agents: Sequence[AgentState], now: datetime,
         policy: Policy = DEFAULT_POLICY) -> list[Decision]:
    """Serve the waiting queue in score order, counting each assignment against its agent.

    A higher-scored ticket is always decided before a lower one, so it is never skipped for
    a lower one that fits the same agent.
    """
    pool = {a.id: a for a in agents}
    decisions = []
    # A decision depends on the ticket only through what _shape() holds, and on the pool, which
    # changes only when a ticket is given out: tickets of one shape that wait are decided once
    # per pool (a long queue is mostly a few shapes waiting on the same full agents).
    settled: dict[tuple, Decision] = {}
    for ticket in sorted(tickets, key=lambda t: (-score(t, now), t.waiting_since, t.id)):
        if not any(a.has_room for a in pool.values()):
            decisions.append(Decision(ticket.id, None, widening_for(ticket, now, policy), (), "all_at_capacity"))
            continue
        shape = _shape(ticket, now, policy)
        known = settled.get(shape)
        if known is not None:
            decisions.append(replace(known, ticket_id=ticket.id))
            continue
        decision = decide(ticket, list(pool.values()), now, policy)
        decisions.append(decision)
        if decision.agent_id is not None:
            chosen = pool[decision.agent_id]
            pool[chosen.id] = replace(chosen, load=chosen.load + 1, last_assigned_at=now)
            settled.clear()  # the pool changed
        else:
            settled[shape] = decision
    return decisions


def _shape(ticket: TicketFacts, now: datetime, policy: Policy) -> tuple:
    """Everything of a ticket that decide() reads besides its id: two tickets of one shape get
    the same decision from the same agents."""
    return (widening_for(ticket, now, policy), tuple(sorted(ticket.required_skills.items())), ticket.language,
            ticket.team_id, ticket.excluded_agents)


def best_ticket_for(agent: AgentState, tickets: Sequence[TicketFacts], now: datetime,
                    policy: Policy = DEFAULT_POLICY) -> TicketFacts | None:
    """When an agent frees up: the highest-scored waiting ticket they may take.

    One pass, checking eligibility only for a ticket that would beat the best found so far.
    """
    best, best_key = None, None
    for ticket in tickets:
        key = (-score(ticket, now), ticket.waiting_since, ticket.id)
        if best_key is not None and key >= best_key:
            continue
        if why_not(agent, ticket, widening_for(ticket, now, policy)) is None:
            best, best_key = ticket, key
    return best

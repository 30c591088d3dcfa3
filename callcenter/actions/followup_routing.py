"""Follow-ups falling due and routed like tickets: by the same engine, under the same locks,
taking a seat of the agent's capacity. Each assignment is a short transaction of its own."""
from __future__ import annotations

from datetime import datetime

from ..db_types import utcnow
from ..followups import service as followups
from ..followups.models import FollowUpStatus
from ..routing import engine
from ..routing import service as routing
from . import end_read, unit_of_work


class _AgentFilledUp(Exception):
    """The agent chosen filled up between the snapshot and the lock: decide again."""



def due(followup_id: int, now: datetime | None = None) -> str:
    """The timer fired (or the sweep found it late): it becomes work and is routed."""
    now = now or utcnow()
    with unit_of_work(durable=True) as fx:
        followup = followups.lock(followup_id)
        if followup is None:
            return "missing"
        if not followups.make_due(followup, now, fx):
            if followup.status is not FollowUpStatus.scheduled:
                return followup.status.value
            # RQ keeps a job's time in whole seconds and may run it up to a second early: set
            # the timer again rather than leave the work to the sweep.
            followups.schedule_timer(followup, fx)
            return "not-yet"
        followups.schedule_warning(followup, followups.settings(), fx)
    route_followup(followup_id, now)
    return "due"


def route_followup(followup_id: int, now: datetime | None = None, *, only_agent: int | None = None) -> int | None:
    """Give a follow-up waiting for an agent to the best one (the customer's own agent first;
    for a revisit, someone other than who resolved the ticket when anyone else may), or record
    why it waits. It takes a seat of the agent's capacity. Returns the agent's id."""
    now = now or utcnow()
    for _attempt in range(3):
        try:
            with unit_of_work(durable=True) as fx:
                followup = followups.lock(followup_id, skip_locked=only_agent is not None)
                if followup is None or followup.status is not FollowUpStatus.due or followup.assignee_id:
                    return None
                if followups.not_now(followup, now, followups.settings(), fx):
                    return None  # it waited into closing time or do-not-call hours: later
                facts = followups.facts(followup)
                # Decided over everyone even for one agent who freed up: whom to prefer or avoid
                # depends on who else may take it.
                decision = engine.decide_preferring(facts, routing.agent_states(), now, routing.policy(),
                                                    preferred=followup.preferred_agent_id,
                                                    avoid=followup.avoid_agent_id)
                if only_agent is not None and decision.agent_id != only_agent:
                    return None
                if decision.agent_id is None:
                    followups.note_waiting(followup, decision.waiting_reason)
                    return None
                fits = routing.still_fits(decision, facts)
                if fits is None:
                    raise _AgentFilledUp
                agent, state = fits
                followups.assign(followup, agent, now, fx, {"rule": "best_fit", "load_before": state.load,
                                                           "capacity": state.capacity, **decision.explain()})
                agent.last_assigned_at = now
                return agent.id
        except _AgentFilledUp:
            if only_agent is not None:
                return None
            continue
    return None


def route_waiting(now: datetime | None = None) -> int:
    """Every follow-up waiting for an agent, best first (the sweep's safety net). Planned on one
    snapshot first, so one that would still wait for the same reason costs no transaction."""
    now = now or utcnow()
    waiting = followups.waiting_facts()
    reasons = followups.waiting_reasons([f.id for f in waiting])
    agents = routing.agent_states()
    end_read()
    routed = 0
    for decision in engine.plan(waiting, agents, now, routing.policy()):
        if decision.agent_id is None and reasons.get(decision.ticket_id) == decision.waiting_reason:
            continue
        routed += route_followup(decision.ticket_id, now) is not None
    return routed

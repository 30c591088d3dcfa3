"""The figures of a period: GET /api/v1/kpi/summary, the per-metric endpoints and the wallboard's
tiles all read this one function, so they cannot disagree. The database counts and sums
(conditional aggregates over the facts each ticket keeps: answered_at, queue_wait_seconds,
handle_seconds, agent_replies); formulas.py divides. Nine statements, however many tickets."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from ..actors import Actor
from ..agents.load import loads
from ..auth.models import Presence, Role, User, user_teams
from ..extensions import db
from ..routing.queries import queue_stats
from ..sla.models import SlaClock
from ..tickets import lifecycle
from ..tickets.models import Status, Ticket
from ..tickets.queries import visible_tickets
from . import formulas
from .queries import followup_counts, require_supervisor, team_id_of

# Every metric the summary answers, by the name the per-metric endpoint takes.
METRICS = ("service_level", "asa_seconds", "aht_seconds", "fcr_rate", "abandonment_rate", "reopen_rate",
           "sla_breach_rate", "csat_avg", "nps", "callback_success_rate")


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition, column):
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def _between(column, start: datetime, end: datetime):
    return and_(column >= start, column < end)


def queue_outcomes(tickets, start: datetime, end: datetime, rules: formulas.ServiceLevelRules) -> formulas.QueueOutcomes:
    """Tickets whose first wait ended in the period: answered then, or cancelled then unanswered."""
    answered = _between(Ticket.answered_at, start, end)
    abandoned = and_(Ticket.answered_at.is_(None), Ticket.queue_wait_seconds.is_not(None),
                     _between(Ticket.cancelled_at, start, end))
    row = db.session.execute(tickets.with_only_columns(
        _count_if(answered), _count_if(and_(answered, Ticket.queue_wait_seconds <= rules.threshold_seconds)),
        _sum_if(answered, Ticket.queue_wait_seconds), _count_if(abandoned),
        _count_if(and_(abandoned, Ticket.queue_wait_seconds < rules.short_abandon_seconds)),
    ).where(or_(answered, abandoned))).one()
    return formulas.QueueOutcomes(*(int(v) for v in row))


def handling(tickets, start: datetime, end: datetime) -> dict:
    """Tickets resolved in the period (resolved or closed now): how many, their handle seconds,
    and how many were resolved at first contact (never reopened, at most one agent reply)."""
    one_touch = and_(Ticket.reopen_count == 0, Ticket.agent_replies <= 1)
    resolved, handle, first_contact = db.session.execute(tickets.with_only_columns(
        func.count(), func.coalesce(func.sum(Ticket.handle_seconds), 0), _count_if(one_touch),
    ).where(Ticket.status.in_([Status.resolved, Status.closed]), _between(Ticket.resolved_at, start, end))).one()
    return {"resolved": int(resolved), "handle_seconds": int(handle), "first_contact": int(first_contact)}


def reopens(tickets, start: datetime, end: datetime) -> dict:
    """Of the tickets created in the period that were ever resolved, those reopened at least once."""
    ever_resolved = or_(Ticket.resolved_at.is_not(None), Ticket.reopen_count > 0)
    resolved, reopened = db.session.execute(tickets.with_only_columns(
        _count_if(ever_resolved), _count_if(Ticket.reopen_count > 0),
    ).where(_between(Ticket.created_at, start, end))).one()
    return {"ever_resolved": int(resolved), "reopened": int(reopened)}


def sla_outcomes(team_id: int | None, start: datetime, end: datetime) -> dict:
    """SLA clocks (every clock: first response, next response, resolution, promises) decided in
    the period: met then (stopped in time), or breached then (their due time passed)."""
    decided = (select(func.count(), _count_if(SlaClock.state == "breached"))
               .where(_between(SlaClock.decided_at, start, end), SlaClock.state.in_(("met", "breached"))))
    if team_id is not None:
        decided = decided.join(Ticket, Ticket.id == SlaClock.ticket_id).where(Ticket.team_id == team_id)
    total, breached = db.session.execute(decided).one()
    return {"decided": int(total), "breached": int(breached)}


def agent_states(team_id: int | None) -> dict:
    """Active agents and supervisors by state: available (a free seat), busy (available, every
    seat taken), away, offline."""
    people = select(User.id, User.presence, User.capacity).where(User.active, User.role.in_([Role.agent, Role.supervisor]))
    if team_id is not None:
        people = people.join(user_teams, user_teams.c.user_id == User.id).where(user_teams.c.team_id == team_id)
    rows = db.session.execute(people).all()
    seats = loads([r.id for r in rows]) if rows else {}
    states = {"available": 0, "busy": 0, "away": 0, "offline": 0}
    for r in rows:
        if r.presence == Presence.available:
            states["busy" if seats.get(r.id, 0) >= r.capacity else "available"] += 1
        else:
            states[r.presence.value] += 1
    return states


def summary(actor: Actor, start: datetime, end: datetime, now: datetime, rules: formulas.ServiceLevelRules,
            team: str | None = None) -> dict:
    """Every figure of [start, end) for the team (or everybody), with the counts behind each;
    backlog, agents and queue are as they stand at now."""
    require_supervisor(actor)
    team_id = team_id_of(team)
    tickets = visible_tickets(actor)
    if team_id is not None:
        tickets = tickets.where(Ticket.team_id == team_id)
    outcomes = queue_outcomes(tickets, start, end, rules)
    handled = handling(tickets, start, end)
    reopened = reopens(tickets, start, end)
    clocks = sla_outcomes(team_id, start, end)
    followups = followup_counts(start, end, team_id)
    backlog = db.session.scalar(tickets.with_only_columns(func.count()).where(
        Ticket.status.in_(lifecycle.OPEN_STATUSES)))
    metrics = {
        "service_level": formulas.service_level(outcomes, rules),
        "asa_seconds": formulas.average(outcomes.answered_wait_seconds, outcomes.answered),
        "aht_seconds": formulas.average(handled["handle_seconds"], handled["resolved"]),
        "fcr_rate": formulas.ratio(handled["first_contact"], handled["resolved"]),
        "abandonment_rate": formulas.abandonment_rate(outcomes, rules),
        "reopen_rate": formulas.ratio(reopened["reopened"], reopened["ever_resolved"]),
        "sla_breach_rate": formulas.ratio(clocks["breached"], clocks["decided"]),
        "csat_avg": formulas.average(followups["csat_sum"], followups["csat_count"], 2),
        "nps": formulas.nps_ratio(followups["promoters"], followups["detractors"], followups["nps_count"]),
        "callback_success_rate": formulas.ratio(followups["reached"], followups["reached"] + followups["unreachable"]),
    }
    return {
        "start": start, "end": end, "generated_at": now, "team": team,
        **{name: metrics[name].value for name in METRICS},
        "backlog": int(backlog),
        "agents": agent_states(team_id),
        "queue": queue_stats(now, team_id),
        "counts": {"answered": outcomes.answered, "answered_within_threshold": outcomes.answered_within_threshold,
                   "abandoned": outcomes.abandoned, "short_abandoned": outcomes.short_abandoned,
                   "resolved": handled["resolved"], "resolved_first_contact": handled["first_contact"],
                   "reopened": reopened["reopened"], "ever_resolved": reopened["ever_resolved"],
                   "sla_clocks_decided": clocks["decided"], "sla_clocks_breached": clocks["breached"],
                   "surveys_answered": followups["answers"], "callbacks_reached": followups["reached"],
                   "callbacks_unreachable": followups["unreachable"]},
        "rules": asdict(rules),
        "metrics": {name: asdict(metrics[name]) for name in METRICS},
    }

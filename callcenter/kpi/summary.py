"""The figures of a period: GET /api/v1/kpi/summary, the per-metric endpoints, the wallboard's
tiles and the reports page all read this one function, so they cannot disagree. The database
counts and sums (conditional aggregates over the facts each ticket keeps: answered_at,
queue_wait_seconds, handle_seconds, agent_replies); formulas.py divides. However many tickets,
nine statements for a day (six of the period, the tickets' own figures in one read, and three of
now: agents and queue), twelve for a longer period (those figures in four reads, the answered
and the abandoned apart: ONE_READ_AT_MOST); one more for each of a team, an agent or a category filter, to check that it
exists.

Filters (Filters below) narrow the tickets; each aggregate here also takes `by`, a column or
expression to GROUP BY, so that the reports' per-team, per-agent and per-day rows are these same
statements grouped (kpi/reports.py)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from ..actors import Actor
from ..auth.models import User
from ..customers.models import Customer, Tier
from ..errors import ValidationFailed
from ..extensions import db
from ..followups.models import FollowUp, FollowUpAttempt, FollowUpKind, FollowUpStatus, Outcome, Survey
from ..routing.queries import queue_stats
from ..sla.models import SlaClock
from ..tickets import lifecycle
from ..tickets.models import Category, Channel, Kind, Status, Ticket
from ..tickets.queries import visible_tickets
from . import formulas, live
from .queries import require_supervisor, team_id_of

# Every metric the summary answers, by the name the per-metric endpoint takes.
METRICS = ("service_level", "asa_seconds", "aht_seconds", "fcr_rate", "abandonment_rate", "reopen_rate",
           "sla_breach_rate", "csat_avg", "nps", "callback_success_rate", "revisit_satisfaction", "revisit_solved_rate")
CHANNELS = tuple(c.value for c in Channel)
KINDS = tuple(k.value for k in Kind)
TIERS = tuple(t.value for t in Tier)


@dataclass(frozen=True)
class Filters:
    """Which tickets a figure counts. Each filter narrows them; None is everybody's.

    - team: the ticket's team (by name), as it stands now.
    - agent: a user id: the tickets whose assignee, now, is that agent. A ticket handed from one
      agent to another counts wholly for the second (its answer and wait included); tickets
      nobody took (the abandons, the ones still waiting) have no assignee, so an agent's service
      level is answered within the threshold / answered.
    - category: the category code; channel (web, phone, email, api); kind (complaint,
      service_request, inquiry).
    - tier: the customer tier the ticket is served at (customers/identity.effective_tier): the
      linked record's tier once the link is verified; tier C for tickets with no record or an
      unverified one.

    SLA clocks and survey answers count when their ticket matches. Callbacks count by their own
    team for the team filter (as before filters existed) and by their ticket for the others (a
    callback with no ticket then drops out). The agents and the queue "now" are narrowed by team
    only (agents also by agent); the backlog is tickets, so every filter narrows it."""

    team: str | None = None
    agent: int | None = None
    category: str | None = None
    channel: str | None = None
    kind: str | None = None
    tier: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class Scope:
    """Filters checked against the database: the team's id, the conditions on Ticket."""

    filters: Filters = field(default_factory=Filters)
    team_id: int | None = None

    def ticket_conditions(self, with_team: bool = True) -> list:
        f, out = self.filters, []
        if with_team and self.team_id is not None:
            out.append(Ticket.team_id == self.team_id)
        if f.agent is not None:
            out.append(Ticket.assignee_id == f.agent)
        if f.category:
            out.append(Ticket.category_code == f.category)
        if f.channel:
            out.append(Ticket.channel == Channel(f.channel))
        if f.kind:
            out.append(Ticket.kind == Kind(f.kind))
        if f.tier:
            out.append(tier_condition(f.tier))
        return out

    def tickets(self, actor: Actor):
        """The tickets the actor may see that the filters keep."""
        stmt = visible_tickets(actor)
        conditions = self.ticket_conditions()
        return stmt.where(*conditions) if conditions else stmt


def tier_condition(tier: str):
    """Tickets served at this tier, as customers/identity.effective_tier decides it: the record's
    tier when the link is verified, else C."""
    def verified_at(*tiers):
        return and_(Ticket.customer_verified.is_(True),
                    Ticket.customer_id.in_(select(Customer.id).where(Customer.tier.in_(tiers))))
    if Tier(tier) == Tier.C:
        return or_(Ticket.customer_id.is_(None), Ticket.customer_verified.is_(False), verified_at(Tier.C))
    return verified_at(Tier(tier))


def resolve(filters: Filters) -> Scope:
    """The filters checked: an unknown team, agent or category is refused naming the field
    (one statement each that is given); channel, kind and tier are codes the caller validated."""
    for name, allowed in (("channel", CHANNELS), ("kind", KINDS), ("tier", TIERS)):
        value = getattr(filters, name)
        if value and value not in allowed:
            raise ValidationFailed(_("Choose one of the listed values."), {"fields": {name: ["unknown"]}})
    team_id = team_id_of(filters.team)
    if filters.agent is not None and db.session.scalar(select(User.id).where(User.id == filters.agent)) is None:
        raise ValidationFailed(_("No agent with that id."), {"fields": {"agent": ["unknown"]}})
    if filters.category and db.session.scalar(select(Category.code).where(Category.code == filters.category)) is None:
        raise ValidationFailed(_("No category with that code."), {"fields": {"category": ["unknown"]}})
    return Scope(filters, team_id)


def count_if(condition):
    """count(*) FILTER (WHERE condition): the rows where it holds (SQLite has FILTER since 3.30).
    Cheaper than summing a CASE: the database skips the other rows instead of adding 0 for
    each, and the statement carries no bound 1 and 0 for every column."""
    return func.count().filter(condition)


def sum_if(condition, column):
    """The sum of column over the rows where condition holds; 0 when none does."""
    return func.coalesce(func.sum(column).filter(condition), 0)


def between(column, start: datetime, end: datetime):
    return and_(column >= start, column < end)


def _run(stmt, columns: tuple, by, make):
    """One row made by make(*counts), or with `by`: {group key: make(*counts)} (GROUP BY by)."""
    if by is None:
        return make(*(int(v) for v in db.session.execute(stmt.with_only_columns(*columns)).one()))
    rows = db.session.execute(stmt.with_only_columns(by, *columns).group_by(by)).all()
    return {row[0]: make(*(int(v) for v in row[1:])) for row in rows}


def _answered(start: datetime, end: datetime, rules: formulas.ServiceLevelRules) -> tuple:
    """Tickets answered in the period: how many, how many within the threshold, their waits.
    Each aggregate here is (the rows it counts, its columns, what it makes of them); every
    column carries its own condition, so several can share one read (ticket_counts)."""
    answered = between(Ticket.answered_at, start, end)
    columns = (count_if(answered), count_if(and_(answered, Ticket.queue_wait_seconds <= rules.threshold_seconds)),
               sum_if(answered, Ticket.queue_wait_seconds))
    return answered, columns, lambda *counts: counts


def _abandoned(start: datetime, end: datetime, rules: formulas.ServiceLevelRules) -> tuple:
    """Tickets cancelled in the period while still waiting for their first answer, and how many
    of them after less than the short-abandon time."""
    abandoned = and_(Ticket.answered_at.is_(None), Ticket.queue_wait_seconds.is_not(None),
                     between(Ticket.cancelled_at, start, end))
    columns = (count_if(abandoned), count_if(and_(abandoned, Ticket.queue_wait_seconds < rules.short_abandon_seconds)))
    return abandoned, columns, lambda *counts: counts


def _answers(start: datetime, end: datetime, rules: formulas.ServiceLevelRules) -> tuple:
    """Tickets whose first wait ended in the period: answered then, or cancelled then unanswered."""
    answered, abandoned = _answered(start, end, rules), _abandoned(start, end, rules)
    return or_(answered[0], abandoned[0]), answered[1] + abandoned[1], formulas.QueueOutcomes


def _handled(start: datetime, end: datetime) -> tuple:
    """Tickets resolved in the period (resolved or closed now): how many, their handle seconds,
    and how many were resolved at first contact (never reopened, at most one agent reply)."""
    resolved = and_(*resolved_in(start, end))
    one_touch = and_(Ticket.reopen_count == 0, Ticket.agent_replies <= 1)
    columns = (count_if(resolved), sum_if(resolved, Ticket.handle_seconds), count_if(and_(resolved, one_touch)))
    return resolved, columns, lambda n, handle, first: {"resolved": n, "handle_seconds": handle, "first_contact": first}


def _reopened(start: datetime, end: datetime) -> tuple:
    """Of the tickets created in the period that were ever resolved, those reopened at least once."""
    created = between(Ticket.created_at, start, end)
    ever_resolved = or_(Ticket.resolved_at.is_not(None), Ticket.reopen_count > 0)
    columns = (count_if(and_(created, ever_resolved)), count_if(and_(created, Ticket.reopen_count > 0)))
    return created, columns, lambda resolved, reopened: {"ever_resolved": resolved, "reopened": reopened}


def _run_aggregate(tickets, aggregate: tuple, by):
    rows, columns, make = aggregate
    return _run(tickets.where(rows), columns, by, make)


def queue_outcomes(tickets, start: datetime, end: datetime, rules: formulas.ServiceLevelRules, by=None):
    """_answers' counts. With `by`, per group (for per-day rows, group by when the wait ended:
    first_wait_ended()). Two reads, the answered and the abandoned, each an index-only scan on
    PostgreSQL (migration 0017): one read of either kind went through the table's rows, and took
    longer than both (benchmarks/kpi.py, 30 days at a million tickets)."""
    answered = _run_aggregate(tickets, _answered(start, end, rules), by)
    abandoned = _run_aggregate(tickets, _abandoned(start, end, rules), by)
    if by is None:
        return formulas.QueueOutcomes(*answered, *abandoned)
    return {key: formulas.QueueOutcomes(*answered.get(key, (0, 0, 0)), *abandoned.get(key, (0, 0)))
            for key in answered.keys() | abandoned.keys()}


def first_wait_ended():
    """When the first wait ended: the answer, or (never answered) the cancellation."""
    return func.coalesce(Ticket.answered_at, Ticket.cancelled_at)


def handling(tickets, start: datetime, end: datetime, by=None):
    """_handled's counts, in all or per group."""
    return _run_aggregate(tickets, _handled(start, end), by)


def resolved_in(start: datetime, end: datetime) -> tuple:
    """The tickets handle time counts: resolved in the period, and resolved or closed now."""
    return Ticket.status.in_([Status.resolved, Status.closed]), between(Ticket.resolved_at, start, end)


def reopens(tickets, start: datetime, end: datetime, by=None):
    """_reopened's counts, in all or per group."""
    return _run_aggregate(tickets, _reopened(start, end), by)


# A period this short has its tickets' figures counted in one read (ticket_counts); a longer one
# in four, each by its own index (three before the answered and the abandoned were read apart). Measured at a million tickets (5,500 a day), interleaved: one
# read took 20 ms where three took 27 for a day; 389 ms where three took 290 for 30 days.
ONE_READ_AT_MOST = timedelta(days=1)


def ticket_counts(tickets, start: datetime, end: datetime, rules: formulas.ServiceLevelRules) -> tuple:
    """queue_outcomes, handling and reopens of the period in one statement: one read of the
    tickets any of the three counts (on PostgreSQL a BitmapOr of their indexes), not three."""
    aggregates = (_answers(start, end, rules), _handled(start, end), _reopened(start, end))
    stmt = tickets.where(or_(*(a[0] for a in aggregates)))
    values = [int(v) for v in db.session.execute(stmt.with_only_columns(*(c for a in aggregates for c in a[1]))).one()]
    out, at = [], 0
    for _rows, columns, make in aggregates:
        out.append(make(*values[at:at + len(columns)]))
        at += len(columns)
    return tuple(out)


CLOCK_FAMILIES = ("first_response", "next_response", "resolution", "final_response", "promise")


def sla_outcomes(scope: Scope | int | None, start: datetime, end: datetime) -> dict:
    """SLA clocks decided in the period: met then (stopped in time), or breached then (their due
    time passed); the clocks of the tickets the scope keeps (a team id alone still works). By
    clock (a promise's clock "promise:7" counts as "promise") and in all. One statement."""
    scope = scope if isinstance(scope, Scope) else Scope(team_id=scope)
    family = case((SlaClock.name.like("promise:%"), "promise"), else_=SlaClock.name)
    decided = (select(family, func.count(), count_if(SlaClock.state == "breached"))
               .where(between(SlaClock.decided_at, start, end), SlaClock.state.in_(("met", "breached")))
               .group_by(family))
    conditions = scope.ticket_conditions()
    if conditions:
        decided = decided.join(Ticket, Ticket.id == SlaClock.ticket_id).where(*conditions)
    by_clock = {name: {"decided": 0, "breached": 0} for name in CLOCK_FAMILIES}
    for name, total, breached in db.session.execute(decided):
        by_clock.setdefault(name, {"decided": 0, "breached": 0})
        by_clock[name] = {"decided": int(total), "breached": int(breached)}
    return {"decided": sum(c["decided"] for c in by_clock.values()),
            "breached": sum(c["breached"] for c in by_clock.values()), "by_clock": by_clock}


def revisit_outcomes(scope: Scope, start: datetime, end: datetime) -> dict:
    """The revisit calls that reached the customer in the period: their satisfaction scores (1-5)
    and whether the customer said the complaint was solved. One statement."""
    tried = (select(func.count(), func.coalesce(func.sum(FollowUpAttempt.score), 0), func.count(FollowUpAttempt.score),
                    count_if(FollowUpAttempt.solved.is_(True)), func.count(FollowUpAttempt.solved))
             .join(FollowUp, FollowUp.id == FollowUpAttempt.followup_id)
             .where(FollowUp.kind == FollowUpKind.revisit, FollowUpAttempt.outcome == Outcome.reached,
                    between(FollowUpAttempt.created_at, start, end)))
    if scope.team_id is not None:
        tried = tried.where(FollowUp.team_id == scope.team_id)
    others = scope.ticket_conditions(with_team=False)
    if others:
        tried = tried.join(Ticket, Ticket.id == FollowUp.ticket_id).where(*others)
    reached, score_sum, scored, solved, asked = (int(v) for v in db.session.execute(tried).one())
    return {"reached": reached, "score_sum": score_sum, "scored": scored, "solved": solved, "asked": asked}


def survey_answers(scope: Scope, start: datetime, end: datetime, by=None):
    """Survey answers given in [start, end) on the tickets the scope keeps: how many, the CSAT
    sum and count, NPS promoters, detractors and count. With `by` (a Ticket column), per group."""
    answers = select(Survey.id).where(Survey.answered_at >= start, Survey.answered_at < end)
    conditions = scope.ticket_conditions()
    if conditions or by is not None:
        answers = answers.join(Ticket, Ticket.id == Survey.ticket_id).where(*conditions)
    columns = (func.count(), func.coalesce(func.sum(Survey.csat), 0), func.count(Survey.csat),
               count_if(Survey.nps >= formulas.PROMOTER_FROM), count_if(Survey.nps <= formulas.DETRACTOR_UP_TO),
               func.count(Survey.nps))
    return _run(answers, columns, by, lambda n, csat_sum, csat_count, promoters, detractors, nps_count: {
        "answers": n, "csat_sum": csat_sum, "csat_count": csat_count, "promoters": promoters,
        "detractors": detractors, "nps_count": nps_count})


def followup_counts(scope: Scope, start: datetime, end: datetime) -> dict:
    """Survey answers given in [start, end) and the callbacks that ended then, reached or not.
    Two statements."""
    ended = (select(FollowUp.status, func.count()).where(
        FollowUp.kind == FollowUpKind.callback, FollowUp.closed_at >= start, FollowUp.closed_at < end,
        FollowUp.status.in_([FollowUpStatus.completed, FollowUpStatus.unreachable])).group_by(FollowUp.status))
    if scope.team_id is not None:
        ended = ended.where(FollowUp.team_id == scope.team_id)
    others = scope.ticket_conditions(with_team=False)
    if others:
        ended = ended.join(Ticket, Ticket.id == FollowUp.ticket_id).where(*others)
    out = survey_answers(scope, start, end)
    counts = {status.value: n for status, n in db.session.execute(ended)}
    return {**out, "reached": counts.get("completed", 0), "unreachable": counts.get("unreachable", 0)}


def followup_figures(actor: Actor, start: datetime, end: datetime, team: str | None = None) -> dict:
    """Satisfaction and callbacks over [start, end) (GET /api/v1/kpi/followups): CSAT and NPS of
    the survey answers given then, and the share of callbacks that ended then reached."""
    require_supervisor(actor)
    c = followup_counts(Scope(team_id=team_id_of(team)), start, end)
    return {
        "start": start, "end": end, "team": team,
        "surveys_answered": c["answers"],
        "csat_avg": formulas.csat_average(c["csat_sum"], c["csat_count"]).value,
        "nps": formulas.nps_ratio(c["promoters"], c["detractors"], c["nps_count"]).value,
        "callbacks_reached": c["reached"],
        "callbacks_unreachable": c["unreachable"],
        "callback_success_rate": formulas.callback_success_rate(c["reached"], c["unreachable"]).value,
    }


def agent_states(team_id: int | None, agent_id: int | None = None) -> dict:
    """Active agents and supervisors by state, counted: the wallboard's lists (live.agents_by_state)."""
    return live.counts(live.agents_by_state(team_id, agent_id))


def ticket_figures(outcomes: formulas.QueueOutcomes, handled: dict, reopened: dict,
                   rules: formulas.ServiceLevelRules) -> dict:
    """The figures made of a set of tickets' counts, as Ratios: the summary's and each report row's."""
    return {
        "service_level": formulas.service_level(outcomes, rules),
        "asa_seconds": formulas.average_speed_of_answer(outcomes),
        "aht_seconds": formulas.average_handle_time(handled["handle_seconds"], handled["resolved"]),
        "fcr_rate": formulas.first_contact_resolution(handled["first_contact"], handled["resolved"]),
        "abandonment_rate": formulas.abandonment_rate(outcomes, rules),
        "reopen_rate": formulas.reopen_rate(reopened["reopened"], reopened["ever_resolved"]),
    }


def summary(actor: Actor, start: datetime, end: datetime, now: datetime, rules: formulas.ServiceLevelRules,
            team: str | None = None, *, agent: int | None = None, category: str | None = None,
            channel: str | None = None, kind: str | None = None, tier: str | None = None,
            agents: dict | None = None) -> dict:
    """Every figure of [start, end) for the tickets the filters keep (Filters says which), with the
    counts behind each; backlog, agents and queue are as they stand at now."""
    require_supervisor(actor)
    scope = resolve(Filters(team=team, agent=agent, category=category, channel=channel, kind=kind, tier=tier))
    return figures(actor, scope, start, end, now, rules, agents=agents)


def figures(actor: Actor, scope: Scope, start: datetime, end: datetime, now: datetime,
            rules: formulas.ServiceLevelRules, *, agents: dict | None = None, queue: dict | None = None,
            backlog: int | None = None) -> dict:
    """summary() once the filters are checked (the reports page checks them once for all it shows).
    The wallboard hands in what it has just read of now, the same tickets and people: `agents` by
    state (it names them too), `queue` (routing's queue_stats) and `backlog` (its open count)."""
    require_supervisor(actor)
    if agents is not None and scope.filters.agent is not None:
        raise ValueError("agents counted by the caller take no agent filter")
    tickets = scope.tickets(actor)
    if end - start <= ONE_READ_AT_MOST:
        outcomes, handled, reopened = ticket_counts(tickets, start, end, rules)
    else:
        outcomes, handled = queue_outcomes(tickets, start, end, rules), handling(tickets, start, end)
        reopened = reopens(tickets, start, end)
    clocks = sla_outcomes(scope, start, end)
    followups = followup_counts(scope, start, end)
    revisits = revisit_outcomes(scope, start, end)
    if backlog is None:
        backlog = db.session.scalar(tickets.with_only_columns(func.count()).where(
            Ticket.status.in_(lifecycle.OPEN_STATUSES)))
    metrics = {
        **ticket_figures(outcomes, handled, reopened, rules),
        "sla_breach_rate": formulas.sla_breach_rate(clocks["breached"], clocks["decided"]),
        "csat_avg": formulas.csat_average(followups["csat_sum"], followups["csat_count"]),
        "nps": formulas.nps_ratio(followups["promoters"], followups["detractors"], followups["nps_count"]),
        "callback_success_rate": formulas.callback_success_rate(followups["reached"], followups["unreachable"]),
        "revisit_satisfaction": formulas.revisit_satisfaction(revisits["score_sum"], revisits["scored"]),
        "revisit_solved_rate": formulas.revisit_solved_rate(revisits["solved"], revisits["asked"]),
    }
    compliance = {name: asdict(formulas.sla_compliance(c["breached"], c["decided"]))
                  for name, c in clocks["by_clock"].items()}
    return {
        "start": start, "end": end, "generated_at": now, "team": scope.filters.team,
        "filters": scope.filters.as_dict(),
        **{name: metrics[name].value for name in METRICS},
        "backlog": int(backlog),
        "agents": agents if agents is not None else agent_states(scope.team_id, scope.filters.agent),
        "queue": queue if queue is not None else queue_stats(now, scope.team_id),
        "counts": {"answered": outcomes.answered, "answered_within_threshold": outcomes.answered_within_threshold,
                   "abandoned": outcomes.abandoned, "short_abandoned": outcomes.short_abandoned,
                   "resolved": handled["resolved"], "resolved_first_contact": handled["first_contact"],
                   "reopened": reopened["reopened"], "ever_resolved": reopened["ever_resolved"],
                   "sla_clocks_decided": clocks["decided"], "sla_clocks_breached": clocks["breached"],
                   "surveys_answered": followups["answers"], "callbacks_reached": followups["reached"],
                   "callbacks_unreachable": followups["unreachable"], "revisits_reached": revisits["reached"]},
        "sla_compliance": compliance,
        "rules": asdict(rules),
        "metrics": {name: asdict(metrics[name]) for name in METRICS},
    }

"""The reports page's tables, read from the database in a fixed number of statements, however
many tickets, teams, agents or days.

Every row is made of the summary's own aggregates (kpi/summary.py: queue_outcomes, handling,
reopens, survey_answers) grouped by a column, and divided by the same formulas, so a team's row
counts what the summary counts for that team. The period is [start, end); days and hours are the
desk's (DISPLAY_TIMEZONE): timestamps are grouped in quarter hours in SQL (every time zone's
offset is a whole number of quarter hours) and the quarters put into local days and hours here,
so SQLite and PostgreSQL give the same answer, daylight saving included."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, literal_column, select

from ..actors import Actor
from ..auth.models import Role, Team, User
from ..extensions import db
from ..tickets.models import Kind, Ticket
from . import formulas
from .queries import require_supervisor
from .summary import (
    Scope,
    between,
    count_if,
    first_wait_ended,
    handling,
    queue_outcomes,
    reopens,
    resolved_in,
    survey_answers,
    ticket_figures,
)

QUARTER = 900  # seconds
# Resolution time buckets: (code, lower bound in seconds, upper bound or None); handle seconds of
# the tickets handle time counts (resolved in the period, resolved or closed now).
BUCKETS = (("lt_1h", 0, 3600), ("1h_4h", 3600, 4 * 3600), ("4h_24h", 4 * 3600, 86400),
           ("1d_3d", 86400, 3 * 86400), ("gt_3d", 3 * 86400, None))
TOP = 20  # complaint causes and departments shown, most frequent first
ROW_FIGURES = ("service_level", "asa_seconds", "aht_seconds", "fcr_rate", "reopen_rate")


@dataclass(frozen=True)
class Directory:
    """Names for ids: every team and every user, two statements (staff tables are small)."""

    teams: dict[int, str]
    users: dict[int, str]
    agents: list[tuple[int, str]]  # active agents and supervisors, the agent filter's choices


def directory() -> Directory:
    teams = dict(db.session.execute(select(Team.id, Team.name).order_by(Team.name)).all())
    users = db.session.execute(select(User.id, User.name, User.role, User.active).order_by(User.name, User.id)).all()
    return Directory(teams=teams, users={u.id: u.name for u in users},
                     agents=[(u.id, u.name) for u in users if u.active and u.role in (Role.agent, Role.supervisor)])


def quarter_hour(column, dialect: str | None = None):
    """The quarter hour since 1970 (UTC) a timestamp falls in, for GROUP BY. Its constants are
    literals, not bound parameters, so that the SELECT and the GROUP BY say the same expression
    (PostgreSQL refuses "floor(... / $1)" grouped by "floor(... / $2)")."""
    dialect = dialect or db.session.get_bind().dialect.name
    quarter = literal_column(str(QUARTER))
    if dialect == "postgresql":
        # date_part, not EXTRACT: EXTRACT gives numeric, whose division took 2-3 times as long at
        # 170,000 rows; date_part's double holds a microsecond of today's epoch exactly enough.
        return cast(func.floor(func.date_part(literal_column("'epoch'"), column).op("/")(quarter)), Integer)
    return cast(func.strftime(literal_column("'%s'"), column), Integer).op("/")(quarter)  # integer division


def _local(quarter: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(int(quarter) * QUARTER, timezone.utc).astimezone(zone)


def days_of(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    """The local days [start, end) touches."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _rows(outcomes: dict, handled: dict, reopened: dict, answers: dict,
          rules: formulas.ServiceLevelRules, name_of) -> list[dict]:
    """One row per group that has anything counted, by name; the group without a key last."""
    empty_q, empty_h = formulas.QueueOutcomes(), {"resolved": 0, "handle_seconds": 0, "first_contact": 0}
    empty_r = {"ever_resolved": 0, "reopened": 0}
    empty_a = {"answers": 0, "csat_sum": 0, "csat_count": 0}
    out = []
    for key in set(outcomes) | set(handled) | set(reopened) | set(answers):
        q, h, r, a = outcomes.get(key, empty_q), handled.get(key, empty_h), reopened.get(key, empty_r), \
            answers.get(key, empty_a)
        figures = ticket_figures(q, h, r, rules)
        out.append({"id": key, "name": name_of(key), "answered": q.answered, "abandoned": q.abandoned,
                    "resolved": h["resolved"], "csat_avg": formulas.csat_average(a["csat_sum"], a["csat_count"]).value,
                    "surveys": a["answers"],
                    **{name: figures[name].value for name in ROW_FIGURES},
                    "metrics": {name: figures[name] for name in ROW_FIGURES}})
    return sorted(out, key=lambda row: (row["id"] is None, (row["name"] or "").casefold(), row["id"] or 0))


def by_group(tickets, scope: Scope, start: datetime, end: datetime, rules, column, name_of) -> list[dict]:
    """The summary's ticket figures per value of a Ticket column (team_id, assignee_id): five statements."""
    return _rows(queue_outcomes(tickets, start, end, rules, by=column), handling(tickets, start, end, by=column),
                 reopens(tickets, start, end, by=column), survey_answers(scope, start, end, by=column), rules, name_of)


def resolution_times(tickets, start: datetime, end: datetime) -> list[dict]:
    """How long the tickets resolved in the period took (handle seconds), in BUCKETS: one statement."""
    seconds = func.coalesce(Ticket.handle_seconds, 0)  # as AHT sums them
    columns = [count_if(seconds < high) if low == 0 else
               count_if(seconds >= low) if high is None else
               count_if((seconds >= low) & (seconds < high)) for _, low, high in BUCKETS]
    row = db.session.execute(tickets.where(*resolved_in(start, end)).with_only_columns(*columns)).one()
    return [{"bucket": code, "tickets": int(n)} for (code, _, _), n in zip(BUCKETS, row, strict=True)]


def trends(tickets, start: datetime, end: datetime, rules: formulas.ServiceLevelRules, tz: str) -> dict:
    """Per local day: answered, abandoned, resolved and the service level (three statements: the
    summary's answered, abandoned and handling counts grouped by quarter hour); per local hour of
    the day: tickets created (one more)."""
    zone = ZoneInfo(tz)
    waits = queue_outcomes(tickets, start, end, rules, by=quarter_hour(first_wait_ended()))
    resolved = handling(tickets, start, end, by=quarter_hour(Ticket.resolved_at))
    arrivals_by = quarter_hour(Ticket.created_at)
    arrivals = db.session.execute(tickets.where(between(Ticket.created_at, start, end))
                                  .with_only_columns(arrivals_by, func.count()).group_by(arrivals_by)).all()
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for quarter, o in waits.items():
        day = per_day[_local(quarter, zone).date()]
        for i, value in enumerate((o.answered, o.answered_within_threshold, o.answered_wait_seconds, o.abandoned,
                                   o.short_abandoned)):
            day[i] += value
    resolved_per_day: dict[date, int] = defaultdict(int)
    for quarter, h in resolved.items():
        resolved_per_day[_local(quarter, zone).date()] += h["resolved"]
    hours = [0] * 24
    for quarter, n in arrivals:
        hours[_local(quarter, zone).hour] += int(n)
    days = []
    for day in days_of(start, end, zone):
        outcomes = formulas.QueueOutcomes(*per_day.get(day, (0, 0, 0, 0, 0)))
        days.append({"day": day, "answered": outcomes.answered, "abandoned": outcomes.abandoned,
                     "resolved": resolved_per_day.get(day, 0),
                     "service_level": formulas.service_level(outcomes, rules).value})
    return {"days": days, "hours": [{"hour": h, "created": n} for h, n in enumerate(hours)]}


def complaints(tickets, start: datetime, end: datetime) -> dict:
    """Complaints resolved in the period (the tickets handle time counts, of kind complaint) by
    root cause and by responsible department, the TOP most frequent of each (a cause not recorded
    is None), with how many complaints there were in all: two statements."""
    kept = tickets.where(Ticket.kind == Kind.complaint, *resolved_in(start, end))
    out = {"total": 0}
    for name, column in (("root_cause", Ticket.root_cause), ("department", Ticket.responsible_department)):
        n = func.count().label("n")
        rows = db.session.execute(kept.with_only_columns(column, n, func.sum(func.count()).over()).group_by(column)
                                  .order_by(n.desc(), column).limit(TOP)).all()
        out[name] = [{"value": value, "tickets": int(count)} for value, count, _ in rows]
        out["total"] = int(rows[0][2]) if rows else 0
    return out


def report(actor: Actor, scope: Scope, start: datetime, end: datetime, rules: formulas.ServiceLevelRules,
           tz: str, names: Directory) -> dict:
    """Every table of the reports page for [start, end) and the scope's tickets."""
    require_supervisor(actor)
    tickets = scope.tickets(actor)
    return {
        "teams": by_group(tickets, scope, start, end, rules, Ticket.team_id, lambda i: names.teams.get(i)),
        "agents": by_group(tickets, scope, start, end, rules, Ticket.assignee_id, lambda i: names.users.get(i)),
        "resolution_times": resolution_times(tickets, start, end),
        **trends(tickets, start, end, rules, tz),
        "complaints": complaints(tickets, start, end),
    }

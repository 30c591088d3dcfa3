"""Aggregates for the wallboard, read from the database (read-only: no transactions to own)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import joinedload, load_only

from ..actors import Actor
from ..auth.models import Team, User
from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..routing.queries import queue_stats
from ..sla.models import SlaClock, SlaFired
from ..sla.summaries import clock_summaries_by_ticket
from ..tickets import lifecycle
from ..tickets.models import Promise, Ticket
from ..tickets.queries import visible_tickets
from . import formulas

STATES = ("breached", "warning", "running", "paused", "met")
AT_RISK = ("warning", "breached")
PROMISE = "promise:"  # the clock of promise 7 is "promise:7" (sla/service.py)
# What the board shows of a ticket at risk: its row with these alone, team and assignee joined
# (one statement; the description and the rest are not read).
BOARD_COLUMNS = (Ticket.id, Ticket.reference, Ticket.subject, Ticket.priority, Ticket.status, Ticket.sla_state,
                 Ticket.team_id, Ticket.assignee_id)


def serial_reads() -> None:
    """For the rest of this transaction, no parallel workers on PostgreSQL: the wallboard's
    aggregates are day-sized and take a few milliseconds, less than starting the workers costs
    (benchmarks/kpi.py measured a team's firings of today at 11-15 ms with two workers, 6 ms
    without). The 30-day report keeps them."""
    if db.session.get_bind().dialect.name == "postgresql" and current_app.config["KPI_WALLBOARD_SERIAL"]:
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def require_supervisor(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins see the wallboard."))


def team_id_of(team: str | None) -> int | None:
    if not team:
        return None
    team_id = db.session.scalar(select(Team.id).where(Team.name == team))
    if team_id is None:
        raise ValidationFailed(_("No team with that name."), {"fields": {"team": ["unknown"]}})
    return team_id


def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def team_names() -> list[str]:
    return list(db.session.scalars(select(Team.name).order_by(Team.name)))


def _name_promises(entries: list[dict]) -> None:
    """A promise's clock reads as the promise, due when it was promised (one query for all)."""
    ids = {int(e["clock"][len(PROMISE):]): e for e in entries if e["clock"].startswith(PROMISE)}
    for promise in db.session.scalars(select(Promise).where(Promise.id.in_(list(ids)))) if ids else ():
        ids[promise.id].update(promise=promise.description, due_at=promise.due_at)


def sla_board(actor: Actor, now: datetime, tz: str, team: str | None = None, limit: int = 30, *,
              team_id: int | None = None) -> dict:
    """Open tickets by SLA state, the ones at risk with their worst clock, and today's firings.
    `team_id`: the team's id when the caller has just looked the name up (the wallboard)."""
    require_supervisor(actor)
    if team_id is None:
        team_id = team_id_of(team)
    open_tickets = visible_tickets(actor).where(Ticket.status.in_(lifecycle.OPEN_STATUSES))
    if team_id is not None:
        open_tickets = open_tickets.where(Ticket.team_id == team_id)
    counts = dict(db.session.execute(open_tickets.with_only_columns(Ticket.sla_state, func.count())
                                     .group_by(Ticket.sla_state)).all())
    # Candidates: breached before warning, then by the earliest due time among their clocks in
    # that state (a clock stopped late may lead that order: the exact order is worked out below).
    earliest_due = (select(func.min(SlaClock.due_at)).where(SlaClock.ticket_id == Ticket.id,
                                                           SlaClock.state.in_(AT_RISK))
                    .correlate(Ticket).scalar_subquery())
    risky = db.session.scalars(open_tickets.where(Ticket.sla_state.in_(AT_RISK))
                               .order_by(Ticket.sla_state.asc(), earliest_due, Ticket.id)  # "breached" sorts first
                               .options(load_only(*BOARD_COLUMNS), joinedload(Ticket.team).load_only(Team.name),
                                        joinedload(Ticket.assignee).load_only(User.name))
                               .limit(limit * 2)).all()
    entries = []
    summaries = clock_summaries_by_ticket(risky, now)
    for ticket in risky:
        clock = formulas.worst_clock(summaries[ticket.id])
        if clock is None or clock["state"] not in AT_RISK:
            continue
        entries.append({"ticket_id": ticket.id, "reference": ticket.reference, "subject": ticket.subject,
                        "priority": ticket.priority.value, "status": ticket.status.value,
                        "team": ticket.team.name if ticket.team else None,
                        "assignee": ticket.assignee.name if ticket.assignee else None,
                        "clock": clock["name"], "state": clock["state"], "due_at": clock["due_at"],
                        "remaining_seconds": clock["remaining_seconds"], "percent_used": clock["percent_used"]})
    _name_promises(entries)
    # Counted by when they fell due (a late sweep does not move a weekend's breaches to Monday);
    # levels carried into a reopened clock's new cycle are not new events.
    fired = select(SlaFired.level, func.count()).where(SlaFired.due_at >= formulas.start_of_local_day(now, tz),
                                                       SlaFired.carried_over.is_(False))
    if team_id is not None:  # today's firings on the team's tickets, open or since resolved
        fired = fired.join(Ticket, Ticket.id == SlaFired.ticket_id).where(Ticket.team_id == team_id)
    today = {"warnings": 0, "breaches": 0}
    for level, n in db.session.execute(fired.group_by(SlaFired.level)).all():
        if level.startswith("warning"):
            today["warnings"] += n
        elif level == "breach":
            today["breaches"] += n
    total = sum(counts.values())
    at_risk = counts.get("warning", 0) + counts.get("breached", 0)
    return {"generated_at": now, "team": team, "open": total,
            "states": {state: counts.get(state, 0) for state in STATES},
            "without_sla": counts.get(None, 0) + counts.get("none", 0),
            "at_risk_share": formulas.share(at_risk, total),
            "at_risk": formulas.at_risk_order(entries)[:limit], "today": today, "queue": queue_stats(now, team_id)}

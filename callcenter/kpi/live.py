"""What the wallboard shows of now, beside the period's figures: the queue by team and by skill,
the agents in each state by name (on a callback among them), and the callbacks scheduled, due
and overdue. Read only; a fixed number of statements (four) however many tickets or agents."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, case, func, select

from ..agents.load import loads_by_kind
from ..auth.models import Presence, Role, Team, User, user_teams
from ..extensions import db
from ..followups.models import OPEN_FOLLOWUP, FollowUp, FollowUpKind, FollowUpStatus
from ..tickets.models import Status, Ticket

QUEUE_READ_LIMIT = 10_000  # the waiting tickets read to group by skill; a queue longer than this is a crisis anyway


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def queue_breakdown(now: datetime, team_id: int | None = None) -> dict:
    """The tickets nobody holds yet, by team and by required skill, each with its longest wait."""
    stmt = (select(Team.name, Ticket.required_skills, func.coalesce(Ticket.waiting_since, Ticket.created_at))
            .outerjoin(Team, Team.id == Ticket.team_id)
            .where(Ticket.status == Status.new, Ticket.assignee_id.is_(None)).limit(QUEUE_READ_LIMIT))
    if team_id is not None:
        stmt = stmt.where(Ticket.team_id == team_id)
    by_team: dict[str, list[int]] = {}
    by_skill: dict[str, list[int]] = {}
    for team, skills, since in db.session.execute(stmt):
        wait = max(0, int((now - _aware(since)).total_seconds()))
        by_team.setdefault(team or "", []).append(wait)
        for skill in sorted(skills or {}) or [""]:
            by_skill.setdefault(skill, []).append(wait)
    def table(groups):  # noqa: E306 - the two groupings read alike
        return [{"name": name, "waiting": len(waits), "oldest_wait_seconds": max(waits)}
                for name, waits in sorted(groups.items(), key=lambda kv: (-max(kv[1]), kv[0]))]
    return {"by_team": table(by_team), "by_skill": table(by_skill)}


def agents_by_state(team_id: int | None = None, agent_id: int | None = None) -> dict[str, list[str]]:
    """Names of the active agents and supervisors in each state: available (a free seat), busy
    (every seat taken), on a callback (holds a callback or revisit to make), away, offline. On a
    callback wins over available and busy. The summary's counts are these lists' lengths."""
    people = (select(User.id, User.name, User.presence, User.capacity)
              .where(User.active, User.role.in_([Role.agent, Role.supervisor])).order_by(User.name, User.id))
    if team_id is not None:
        people = people.join(user_teams, user_teams.c.user_id == User.id).where(user_teams.c.team_id == team_id)
    if agent_id is not None:
        people = people.where(User.id == agent_id)
    rows = db.session.execute(people).all()
    taken = loads_by_kind(people.with_only_columns(User.id).order_by(None)) if rows else {}
    seats = {user_id: sum(kinds.values()) for user_id, kinds in taken.items()}
    calling = {user_id for user_id, kinds in taken.items() if kinds["callbacks"]}
    states: dict[str, list[str]] = {"available": [], "busy": [], "on_callback": [], "away": [], "offline": []}
    for r in rows:
        if r.presence == Presence.available:
            state = "on_callback" if r.id in calling else ("busy" if seats.get(r.id, 0) >= r.capacity else "available")
        else:
            state = r.presence.value
        states[state].append(r.name)
    return states


def counts(states: dict[str, list[str]]) -> dict[str, int]:
    return {state: len(names) for state, names in states.items()}


def callbacks_now(now: datetime, team_id: int | None = None) -> dict[str, int]:
    """Callbacks still to make: scheduled (their time has not come), due (waiting for or with an
    agent, their window still open) and overdue (the window the customer chose has passed)."""
    still_open = FollowUp.status.in_(OPEN_FOLLOWUP)
    overdue = and_(still_open, FollowUp.window_end < now)
    stmt = select(
        func.coalesce(func.sum(case((and_(FollowUp.status == FollowUpStatus.scheduled, FollowUp.window_end >= now), 1),
                                    else_=0)), 0),
        func.coalesce(func.sum(case((and_(FollowUp.status.in_([FollowUpStatus.due, FollowUpStatus.assigned]),
                                          FollowUp.window_end >= now), 1), else_=0)), 0),
        func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
    ).where(FollowUp.kind == FollowUpKind.callback, still_open)
    if team_id is not None:
        stmt = stmt.where(FollowUp.team_id == team_id)
    scheduled, due, late = db.session.execute(stmt).one()
    return {"scheduled": int(scheduled), "due": int(due), "overdue": int(late)}

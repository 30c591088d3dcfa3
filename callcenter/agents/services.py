"""Agent presence and load."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..actors import Actor
from ..auth.models import Presence, Role, Team, User
from ..console.rooms import follow_team_change
from ..db_types import utcnow
from ..errors import Forbidden, NotFound, ValidationFailed
from ..events import call_on_commit, emit_on_commit, enqueue_on_commit
from ..extensions import db
from ..routing import service as routing
from ..routing.offers import withdraw_for_agent
from ..tickets import lifecycle
from ..tickets.models import Ticket

STAFF_ROLES = (Role.agent, Role.supervisor, Role.admin)


def loads(user_ids: list[int] | None = None) -> dict[int, int]:
    """Tickets counting against each agent's capacity (assigned or in progress)."""
    stmt = (select(Ticket.assignee_id, func.count()).where(Ticket.assignee_id.is_not(None))
            .where(Ticket.status.in_(lifecycle.LOAD_STATUSES)).group_by(Ticket.assignee_id))
    if user_ids is not None:
        stmt = stmt.where(Ticket.assignee_id.in_(user_ids))
    return {uid: n for uid, n in db.session.execute(stmt)}


def set_presence(agent_id: int, state: str, actor: Actor, *, only_if: str | None = None) -> User:
    """An agent sets their own presence; supervisors and admins anyone's.

    only_if: change it only when the presence is still that (checked under the row lock), for
    jobs that decided on an earlier read.
    """
    if not (actor.user_id == agent_id or actor.is_supervisor or actor.kind == "system"):
        raise Forbidden(_("You may only change your own presence."))
    try:
        presence = Presence(state)
    except ValueError:
        raise ValidationFailed(_("Unknown presence state."),
                               {"fields": {"state": [f"one of {[p.value for p in Presence]}"]}}) from None
    agent = db.session.get(User, agent_id, with_for_update={"key_share": True}, populate_existing=True)
    if agent is None or agent.role not in STAFF_ROLES:
        raise NotFound(_("No agent with id %(id)s.", id=agent_id))
    if only_if is not None and agent.presence.value != only_if:
        db.session.rollback()
        return agent
    if agent.presence is not presence:
        before = agent.presence.value
        agent.presence = presence
        agent.presence_changed_at = utcnow()
        rooms = ["supervisors", f"user:{agent.id}"] + [f"team:{t}" for t in agent.team_ids]
        emit_on_commit("presence.changed", {"agent_id": agent.id, "name": agent.name, "before": before,
                                            "presence": presence.value}, rooms)
        if presence is Presence.available:
            enqueue_on_commit(routing.ROUTE_FOR_AGENT_JOB, agent.id, queue="high")
        else:
            routing.hand_back_untouched(agent)
            withdraw_for_agent(agent.id)
    db.session.commit()
    return agent


def configure_team(team_id: int, changes: dict, actor: Actor) -> Team:
    if not actor.is_admin:
        raise Forbidden(_("Only admins configure teams."))
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("No such team."))
    for key in ("offer_mode", "offer_timeout_seconds"):
        if key in changes:
            setattr(team, key, changes[key])
    db.session.commit()
    return team


def set_teams(agent_id: int, names: list[str], actor: Actor) -> User:
    """An admin moves a person between teams. Every team named must exist (a typo creates
    nothing); the person's open consoles follow into the new teams' rooms at once."""
    if not actor.is_admin:
        raise Forbidden(_("Only admins change who is in which team."))
    agent = db.session.get(User, agent_id, with_for_update={"key_share": True}, populate_existing=True)
    if agent is None or agent.role not in STAFF_ROLES:
        raise NotFound(_("No agent with id %(id)s.", id=agent_id))
    wanted = {n.strip().lower(): n for n in names if n.strip()}
    teams = list(db.session.scalars(select(Team).where(func.lower(Team.name).in_(list(wanted)))))
    unknown = sorted(set(wanted) - {t.name.lower() for t in teams})
    if unknown:
        raise ValidationFailed(_("No team named %(names)s.", names=", ".join(wanted[u] for u in unknown)),
                               {"fields": {"teams": [f"unknown: {wanted[u]}" for u in unknown]}})
    before = set(agent.team_ids)
    agent.teams = sorted(teams, key=lambda t: t.name)
    after = set(agent.team_ids)
    if before != after:
        call_on_commit(follow_team_change, agent.id, before, after)
    db.session.commit()
    return agent

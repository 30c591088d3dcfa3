"""Agents: presence, teams, team settings. Rows only, inside the caller's transaction (the
presence actions, callcenter/actions/presence.py, commit and say what follows)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..actors import Actor
from ..auth.models import Presence, Role, Team, User
from ..directory.lookups import teams_by_name as teams_named  # noqa: F401 (actions.presence)
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db

STAFF_ROLES = (Role.agent, Role.supervisor, Role.admin)


def parse_presence(state: str) -> Presence:
    try:
        return Presence(state)
    except ValueError:
        raise ValidationFailed(_("Unknown presence state."),
                               {"fields": {"state": [f"one of {[p.value for p in Presence]}"]}}) from None


def check_presence_change(agent_id: int, actor: Actor) -> None:
    """An agent sets their own presence; supervisors and admins anyone's; the system anyone's."""
    if not (actor.user_id == agent_id or actor.is_supervisor or actor.kind == "system"):
        raise Forbidden(_("You may only change your own presence."))


def locked_agent(agent_id: int) -> User:
    agent = db.session.get(User, agent_id, with_for_update={"key_share": True}, populate_existing=True)
    if agent is None or agent.role not in STAFF_ROLES:
        raise NotFound(_("No agent with id %(id)s.", id=agent_id))
    return agent


def set_presence(agent: User, presence: Presence, now: datetime) -> str | None:
    """The new presence on the (locked) agent; the one before, or None if unchanged."""
    if agent.presence is presence:
        return None
    before = agent.presence.value
    agent.presence = presence
    agent.presence_changed_at = now
    return before


def available_agents() -> list[int]:
    """Active staff who say they are available."""
    return list(db.session.scalars(select(User.id).where(User.active, User.presence == Presence.available)))


def configure_team(team_id: int, changes: dict, actor: Actor) -> Team:
    if not actor.is_admin:
        raise Forbidden(_("Only admins configure teams."))
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("No such team."))
    for key in ("offer_mode", "offer_timeout_seconds"):
        if key in changes:
            setattr(team, key, changes[key])
    return team

"""Presence and teams: an agent available takes work, one away gives back untouched work, one
moved between teams hears the new team's tickets at once."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..actors import SYSTEM, Actor
from ..agents import consoles
from ..agents import services as agents
from ..auth.models import Presence, Team, User
from ..console.rooms import agent_rooms, follow_team_change
from ..db_types import utcnow
from ..directory import log
from ..errors import Forbidden
from ..routing import offers
from ..routing import service as routing
from . import unit_of_work
from .assignment import hand_back_untouched


def set_presence(agent_id: int, state: str, actor: Actor, *, only_if: str | None = None,
                 now: datetime | None = None) -> User:
    """An agent sets their own presence; supervisors and admins anyone's.

    only_if: change it only when the presence is still that (checked under the row lock), for
    jobs that decided on an earlier read.
    """
    now = now or utcnow()
    agents.check_presence_change(agent_id, actor)
    presence = agents.parse_presence(state)
    with unit_of_work() as fx:
        agent = agents.locked_agent(agent_id)
        if only_if is not None and agent.presence.value != only_if:
            return agent
        before = agents.set_presence(agent, presence, now)
        if before is not None:
            fx.emit("presence.changed", {"agent_id": agent.id, "name": agent.name, "before": before,
                                         "presence": presence.value}, agent_rooms(agent))
            if presence is Presence.available:
                fx.enqueue(routing.ROUTE_FOR_AGENT_JOB, agent.id, queue="high")
            else:
                hand_back_untouched(agent, now, fx)
                offers.withdraw_for_agent(agent.id, now, fx)
    return agent


def away_without_console(delay_seconds: int, now: datetime) -> int:
    """Available agents with no console open for delay_seconds become away, whether or not a
    console ever opened (the demo's agents, presence set through the API, a close whose timer
    was lost). 0 turns it off. The number sent away."""
    if delay_seconds <= 0:
        return 0
    sent = 0
    for user_id in agents.available_agents():
        if consoles.gone_for(user_id, now.timestamp()) >= delay_seconds:
            sent += set_presence(user_id, "away", SYSTEM, only_if="available", now=now).presence is Presence.away
    return sent


def set_teams(agent_id: int, names: list[str], actor: Actor) -> User:
    """An admin moves a person between teams. Every team named must exist (a typo creates
    nothing); the person's open consoles follow into the new teams' rooms at once."""
    if not actor.is_admin:
        raise Forbidden(_("Only admins change who is in which team."))
    with unit_of_work() as fx:
        agent = agents.locked_agent(agent_id)
        teams = agents.teams_named(names)
        before, before_teams = set(agent.team_ids), list(agent.teams)
        agent.teams = teams
        after = set(agent.team_ids)
        if before != after:
            fx.call(follow_team_change, agent.id, before, after)
            log.record(actor, "user.changed", agent.email, utcnow(),
                       changes={"teams": [sorted(t.name for t in before_teams), [t.name for t in teams]]})
    return agent


def configure_team(team_id: int, changes: dict, actor: Actor) -> Team:
    with unit_of_work():
        team = agents.configure_team(team_id, changes, actor)
        log.record(actor, "team.changed", team.name, utcnow(), after=dict(changes))
        return team



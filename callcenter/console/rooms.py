"""Who may hear what on /console, in one place: the room names, the rooms of a person, the
rooms of a ticket, the payload that describes a ticket, and keeping live sockets in the right
rooms when a person changes team.

Rooms: user:<id> (one person), team:<id> (each of their teams), supervisors (supervisors and
admins). A ticket's events go to supervisors, its team, its assignee and its followers (the
people tickets/access.py lets read it): never another team.
"""
from __future__ import annotations

import logging

from ..event_schemas import NAMESPACE
from ..extensions import redis_client, socketio
from ..tickets.access import follower_ids

log = logging.getLogger(__name__)
SUPERVISORS = "supervisors"
CONSOLE_KEY = "cc:console:{user_id}"  # the socket ids of a person's open consoles (agents/consoles.py)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def team_room(team_id: int) -> str:
    return f"team:{team_id}"


def rooms_of(user) -> list[str]:
    """The rooms a person's console joins."""
    rooms = [user_room(user.id)] + [team_room(tid) for tid in sorted(user.team_ids)]
    if user.is_supervisor:
        rooms.append(SUPERVISORS)
    return rooms


def rooms_for(ticket) -> list[str]:
    """Who hears about a ticket: supervisors, its team, its assignee and its followers (whoever
    logged it or made a promise on it: they may read it wherever it was routed)."""
    rooms = [SUPERVISORS]
    if ticket.team_id:
        rooms.append(team_room(ticket.team_id))
    if ticket.assignee_id:
        rooms.append(user_room(ticket.assignee_id))
    rooms += [user_room(i) for i in sorted(follower_ids(ticket) - {ticket.assignee_id})]
    return rooms


def agent_rooms(agent) -> list[str]:
    """Where an agent's presence is heard: supervisors, the agent, their teams."""
    return [SUPERVISORS, user_room(agent.id)] + [team_room(t) for t in sorted(agent.team_ids)]


def offer_rooms(agent_id: int) -> list[str]:
    """An offer is heard by the agent it is made to, and by supervisors."""
    return [SUPERVISORS, user_room(agent_id)]


def ticket_summary(ticket, change: str, now) -> dict:
    """The payload of ticket.updated and ticket.assigned: enough to redraw a row."""
    return {
        "ticket_id": ticket.id,
        "reference": ticket.reference,
        "change": change,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "subject": ticket.subject,
        "updated_at": now.isoformat(),
    }


def follow_team_change(user_id: int, before: set[int], after: set[int]) -> None:
    """After a person's teams changed: their open consoles leave the old team rooms and join the
    new ones, on whichever web process holds them (the message queue carries it)."""
    sids = redis_client().smembers(CONSOLE_KEY.format(user_id=user_id))
    for sid in sids:
        for team_id in before - after:
            socketio.server.leave_room(sid, team_room(team_id), namespace=NAMESPACE)
        for team_id in after - before:
            socketio.server.enter_room(sid, team_room(team_id), namespace=NAMESPACE)
    if sids:
        log.info("moved %s console(s) of user %s between team rooms", len(sids), user_id)


def follow_role_change(user_id: int, was_supervisor: bool, is_supervisor: bool) -> None:
    """After a role change: open consoles join or leave the supervisors' room at once."""
    if was_supervisor == is_supervisor:
        return
    for sid in redis_client().smembers(CONSOLE_KEY.format(user_id=user_id)):
        if is_supervisor:
            socketio.server.enter_room(sid, SUPERVISORS, namespace=NAMESPACE)
        else:
            socketio.server.leave_room(sid, SUPERVISORS, namespace=NAMESPACE)


def disconnect_all(user_id: int) -> None:
    """A deactivated person's open consoles are cut off: they hear nothing more."""
    sids = redis_client().smembers(CONSOLE_KEY.format(user_id=user_id))
    for sid in sids:
        socketio.server.disconnect(sid, namespace=NAMESPACE)
    if sids:
        log.info("disconnected %s console(s) of deactivated user %s", len(sids), user_id)

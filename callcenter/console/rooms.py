"""Who may hear what on /console: the rooms of a person, and keeping live sockets in them.

Rooms: user:<id> (one person), team:<id> (each of their teams), supervisors (supervisors and
admins). A ticket's events go to supervisors, its team and its assignee, never another team.
"""
from __future__ import annotations

import logging

from ..events import NAMESPACE
from ..extensions import redis_client, socketio

log = logging.getLogger(__name__)
CONSOLE_KEY = "cc:console:{user_id}"  # the socket ids of a person's open consoles (agents/jobs.py)


def rooms_of(user) -> list[str]:
    rooms = [f"user:{user.id}"] + [f"team:{tid}" for tid in sorted(user.team_ids)]
    if user.is_supervisor:
        rooms.append("supervisors")
    return rooms


def follow_team_change(user_id: int, before: set[int], after: set[int]) -> None:
    """After a person's teams changed: their open consoles leave the old team rooms and join the
    new ones, on whichever web process holds them (the message queue carries it)."""
    sids = redis_client().smembers(CONSOLE_KEY.format(user_id=user_id))
    for sid in sids:
        for team_id in before - after:
            socketio.server.leave_room(sid, f"team:{team_id}", namespace=NAMESPACE)
        for team_id in after - before:
            socketio.server.enter_room(sid, f"team:{team_id}", namespace=NAMESPACE)
    if sids:
        log.info("moved %s console(s) of user %s between team rooms", len(sids), user_id)

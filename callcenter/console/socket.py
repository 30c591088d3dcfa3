"""/console namespace. The session cookie authenticates; rooms decide who hears what.

Rooms: user:<id> (one agent), team:<id> (an agent's teams), supervisors (supervisors and
admins). console/rooms.py chooses the rooms of each event (rooms_for a ticket), so an agent
never hears of another team's ticket.
"""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room

from ..agents import consoles
from ..event_schemas import NAMESPACE
from ..events import current_seq
from .rooms import rooms_of


class ConsoleNamespace(Namespace):
    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            raise ConnectionRefusedError("unauthorized")
        for room in rooms_of(current_user):
            join_room(room)
        consoles.console_opened(current_user.id, request.sid)
        # The current sequence lets a reconnecting client see whether it missed events.
        emit("hello", {"user_id": current_user.id, "seq": current_seq(),
                       "rooms": rooms_of(current_user)})


    def on_console_alive(self, data=None):
        """The page's heartbeat (console.js, every HEARTBEAT_SECONDS): this console is open."""
        if current_user.is_authenticated:
            consoles.console_alive(current_user.id, request.sid)

    def on_disconnect(self, reason=None):
        if current_user.is_authenticated:
            consoles.console_closed(current_user.id, request.sid)


def register_namespace(socketio) -> None:
    if not getattr(socketio, "_console_registered", False):
        socketio.on_namespace(ConsoleNamespace(NAMESPACE))
        socketio._console_registered = True

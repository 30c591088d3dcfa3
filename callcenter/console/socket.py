"""/console namespace. The session cookie authenticates; rooms decide who hears what.

Rooms: user:<id> (one agent), team:<id> (an agent's teams), supervisors (supervisors and
admins). console/rooms.py chooses the rooms of each event (rooms_for a ticket), so an agent
never hears of another team's ticket.
"""
from __future__ import annotations

import time

from flask import request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room

from ..actions import viewers
from ..actors import Actor
from ..agents import consoles
from ..errors import DomainError
from ..event_schemas import NAMESPACE
from ..events import current_seq
from . import viewers as open_pages
from .rooms import rooms_of


def _ticket_id(data) -> int | None:
    value = data.get("ticket_id") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else None


class ConsoleNamespace(Namespace):
    def trigger_event(self, event, *args):
        # Client events are named like the server's (ticket.view); methods cannot hold a dot.
        return super().trigger_event(event.replace(".", "_") if event else event, *args)

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            raise ConnectionRefusedError("unauthorized")
        for room in rooms_of(current_user):
            join_room(room)
        consoles.console_opened(current_user.id, request.sid)
        # Who this socket is, kept with the socket: the frequent events (heartbeat, typing,
        # leave, disconnect) then need no user read from the database. 500 consoles beat 25
        # times a second; each loading its user took a pooled connection (benchmarks/push.py).
        self.socketio.server.save_session(request.sid, {"user_id": current_user.id}, namespace=self.namespace)
        # The current sequence lets a reconnecting client see whether it missed events.
        emit("hello", {"user_id": current_user.id, "seq": current_seq(),
                       "rooms": rooms_of(current_user)})

    def _user_id(self) -> int | None:
        try:
            return self.socketio.server.get_session(request.sid, namespace=self.namespace).get("user_id")
        except KeyError:  # the socket closed meanwhile (a deactivation cutting off a console that was leaving)
            return None

    def on_console_alive(self, data=None):
        """The page's heartbeat (console.js, every HEARTBEAT_SECONDS): this console is open."""
        user_id = self._user_id()
        if user_id is not None:
            consoles.console_alive(user_id, request.sid)
            open_pages.still_here(request.sid, time.time())

    def on_ticket_view(self, data=None):
        """The page shows a ticket: its readers hear who has it open (ticket.viewers). The answer
        (the client's ack) says whether it may."""
        ticket_id = _ticket_id(data)
        if ticket_id is None or not current_user.is_authenticated:
            return {"ok": False, "error": "bad_request"}
        try:
            viewers.view(ticket_id, request.sid, Actor.of_user(current_user))
        except DomainError as err:
            return {"ok": False, "error": err.code}
        return {"ok": True}

    def on_ticket_typing(self, data=None):
        ticket_id = _ticket_id(data)
        if ticket_id is None or not isinstance(data.get("typing"), bool):
            return {"ok": False, "error": "bad_request"}
        viewers.typing(ticket_id, request.sid, data["typing"])  # only a page viewing it counts
        return {"ok": True}

    def on_ticket_leave(self, data=None):
        ticket_id = _ticket_id(data)
        if ticket_id is None:
            return {"ok": False, "error": "bad_request"}
        viewers.leave(ticket_id, request.sid)
        return {"ok": True}

    def on_disconnect(self, reason=None):
        viewers.disconnected(request.sid)
        user_id = self._user_id()
        if user_id is not None:
            consoles.console_closed(user_id, request.sid)


def register_namespace(socketio) -> None:
    if not getattr(socketio, "_console_registered", False):
        socketio.on_namespace(ConsoleNamespace(NAMESPACE))
        socketio._console_registered = True

"""Who else has a ticket open or is typing on it (collision detection), told to everyone who
may read the ticket: its rooms (console/rooms.rooms_for), so another team never hears of it."""
from __future__ import annotations

import time

from sqlalchemy import select

from ..actors import Actor
from ..auth.models import User
from ..console import viewers
from ..console.rooms import rooms_for
from ..effects import Effects
from ..extensions import db
from ..tickets import access
from ..tickets.models import Ticket
from . import unit_of_work


def view(ticket_id: int, sid: str, actor: Actor, now: float | None = None) -> None:
    """A page opened the ticket; refused (Forbidden/NotFound) if this person may not read it."""
    now = now or time.time()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor)
        viewers.view(ticket.id, sid, actor.user_id, actor.name, now)
        _tell(ticket, now, fx)


def typing(ticket_id: int, sid: str, is_typing: bool, now: float | None = None) -> None:
    """A viewer started or stopped typing; nothing to tell if it was not viewing or no change."""
    now = now or time.time()
    with unit_of_work() as fx:
        if viewers.typing(ticket_id, sid, is_typing, now):
            _tell_by_id(ticket_id, now, fx)


def leave(ticket_id: int, sid: str, now: float | None = None) -> None:
    now = now or time.time()
    with unit_of_work() as fx:
        if viewers.leave(ticket_id, sid):
            _tell_by_id(ticket_id, now, fx)


def disconnected(sid: str, now: float | None = None) -> None:
    """A page went away: it views nothing any more."""
    now = now or time.time()
    with unit_of_work() as fx:
        for ticket_id in viewers.left_everything(sid):
            _tell_by_id(ticket_id, now, fx)


def _tell_by_id(ticket_id: int, now: float, fx: Effects) -> None:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is not None:
        _tell(ticket, now, fx)


def _tell(ticket: Ticket, now: float, fx: Effects) -> None:
    """Publish who has the ticket open to its rooms; anyone who may no longer read it (the
    ticket moved team while their page stayed open) is dropped, not named to the new team."""
    live = viewers.entries(ticket.id, now)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({e["id"] for e in live.values()})))}
    gone = [sid for sid, e in live.items()
            if e["id"] not in users or not access.may_view(ticket, Actor.of_user(users[e["id"]]))]
    viewers.drop(ticket.id, gone)
    shown = {sid: e for sid, e in live.items() if sid not in gone}
    fx.emit("ticket.viewers", {"ticket_id": ticket.id, "viewers": viewers.people(shown)}, rooms_for(ticket))

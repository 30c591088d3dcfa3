"""Writing the audit trail. Every change to a ticket goes through record()."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from ..actors import Actor
from ..extensions import db
from .models import AuthorKind, Ticket, TicketEvent


def plain(value: Any) -> Any:
    """A JSON-safe form of a field value for before/after."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def record(ticket: Ticket, kind: str, actor: Actor, *, field: str | None = None,
           before: Any = None, after: Any = None, **data: Any) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        actor_kind=AuthorKind(actor.kind),
        actor_user_id=actor.user_id,
        actor_name=actor.name,
        field=field,
        before=plain(before),
        after=plain(after),
        data={k: plain(v) for k, v in data.items()},
    )
    db.session.add(event)
    return event


def set_field(ticket: Ticket, name: str, value: Any, actor: Actor) -> bool:
    """Change one field and audit it; returns False when the value was already that."""
    before = getattr(ticket, name)
    if plain(before) == plain(value):
        return False
    setattr(ticket, name, value)
    record(ticket, "field_changed", actor, field=name, before=before, after=value)
    return True

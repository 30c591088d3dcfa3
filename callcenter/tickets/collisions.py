"""Two people answering one ticket at once. A reply carries the last audit event its author had
seen when the draft began; if the ticket has since received a message or changed status at
someone else's hand, the reply is held so that its author reviews the change first."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..actors import Actor
from ..errors import Conflict
from ..extensions import db
from .models import AuthorKind, TicketEvent, TicketMessage

# What a person replying must not miss: what was said, and where the ticket now stands.
WORTH_REVIEW = ("message", "note", "status_changed", "reopened")


def latest_event_id(ticket_id: int) -> int:
    return db.session.scalar(select(func.max(TicketEvent.id)).where(TicketEvent.ticket_id == ticket_id)) or 0


def unseen_changes(ticket_id: int, seen_event_id: int, actor: Actor) -> list[dict]:
    """The messages and status changes by others after seen_event_id, oldest first."""
    events = [e for e in db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.id > seen_event_id,
                                  TicketEvent.kind.in_(WORTH_REVIEW)).order_by(TicketEvent.id))
              if not _by(e, actor)]
    message_ids = [e.data.get("message_id") for e in events if e.data.get("message_id")]
    bodies = dict(db.session.execute(select(TicketMessage.id, TicketMessage.body).where(
        TicketMessage.ticket_id == ticket_id, TicketMessage.id.in_(message_ids))).all()) if message_ids else {}
    return [{"id": e.id, "kind": e.kind, "actor_kind": e.actor_kind.value, "actor_name": e.actor_name,
             "status": e.after if e.field == "status" else None, "body": bodies.get(e.data.get("message_id")),
             "internal": bool(e.data.get("internal")), "created_at": e.created_at.isoformat()}
            for e in events]


def _by(event: TicketEvent, actor: Actor) -> bool:
    """Needs no review: the author's own doing, or routing handing the ticket out (new ->
    assigned says nothing to the customer, and the page shows who holds it)."""
    if event.actor_kind is AuthorKind.system and event.field == "status" and event.after == "assigned":
        return True
    return actor.user_id is not None and event.actor_user_id == actor.user_id \
        and event.actor_kind is AuthorKind(actor.kind)


def check_seen(ticket_id: int, seen_event_id: int | None, actor: Actor) -> None:
    """Refuse a reply whose author has not seen what changed since the draft began (None: not
    asked, as for an API client that does not send it)."""
    if seen_event_id is None:
        return
    changes = unseen_changes(ticket_id, seen_event_id, actor)
    if changes:
        raise Conflict(_("This ticket changed while you were writing. Read the change, then send "
                         "your reply again: it is kept below."),
                       {"changes": changes, "latest_event_id": latest_event_id(ticket_id)},
                       code="ticket_changed")

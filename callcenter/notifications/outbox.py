"""The outbox: claiming a message for sending, recording how it went, finding lost ones.
Inside the caller's transaction (callcenter/actions/notifications.py commits)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..extensions import db
from ..tickets import status_links
from .models import OutboundMessage, OutboundStatus

# A message "sending" for longer than this was cut off (worker killed mid-send): try again.
STUCK_AFTER = timedelta(minutes=5)


def claim(message_id: int, now: datetime) -> bool:
    """Mark the message as being sent; only one claim wins (the UPDATE matches a row that is
    queued, failed, or stuck sending)."""
    claimed = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id)
        .where(or_(OutboundMessage.status.in_([OutboundStatus.queued, OutboundStatus.failed]),
                   (OutboundMessage.status == OutboundStatus.sending)
                   & (OutboundMessage.sending_since < now - STUCK_AFTER)))
        .values(status=OutboundStatus.sending, sending_since=now, attempts=OutboundMessage.attempts + 1))
    return claimed.rowcount == 1


def get(message_id: int) -> OutboundMessage | None:
    return db.session.get(OutboundMessage, message_id)


def link_token(message: OutboundMessage) -> str | None:
    """A fresh status link for a message whose body takes one (issued when it is sent)."""
    if not message.link_marker or message.ticket_id is None or takes_password_link(message):
        return None
    return status_links.issue(message.ticket_id)


def takes_password_link(message: OutboundMessage) -> bool:
    return bool(message.link_marker and message.link_marker.startswith("[[password-link:"))


def body_with(message: OutboundMessage, base_url: str, token: str | None, path: str = "/t/") -> str:
    if token is None:
        return message.body
    return message.body.replace(message.link_marker, f"{base_url.rstrip('/')}{path}{token}")


def record_failure(message: OutboundMessage, error: Exception) -> None:
    message.status = OutboundStatus.failed
    message.last_error = str(error)[:2000]


def record_sent(message: OutboundMessage, now: datetime) -> None:
    message.status = OutboundStatus.sent
    message.sent_at = now


def lost(now: datetime, older_than: timedelta, limit: int = 500) -> list[int]:
    """Messages whose delivery job was lost (Redis down at commit, worker killed mid-send)."""
    return list(db.session.scalars(select(OutboundMessage.id).where(
        or_((OutboundMessage.status == OutboundStatus.queued) & (OutboundMessage.created_at < now - older_than),
            (OutboundMessage.status == OutboundStatus.sending) & (OutboundMessage.sending_since < now - STUCK_AFTER)),
    ).limit(limit)))

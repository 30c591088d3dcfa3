"""RQ jobs for customer messages: thin, idempotent, taking ids."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..db_types import utcnow
from ..extensions import db
from ..jobs import app_job
from . import delivery
from .models import OutboundMessage, OutboundStatus


@app_job
def deliver(message_id: int) -> str:
    """Send a queued message once. A message already sent is left alone (a retried job)."""
    message = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.id == message_id).with_for_update())
    if message is None:
        return "missing"
    if message.status is OutboundStatus.sent:
        db.session.rollback()
        return "already-sent"
    message.attempts += 1
    try:
        delivery.send(current_app.config, message.recipient, message.subject, message.body)
    except Exception as exc:  # record the failure, then let RQ see it fail too
        message.status = OutboundStatus.failed
        message.last_error = str(exc)[:2000]
        db.session.commit()
        raise
    message.status = OutboundStatus.sent
    message.sent_at = utcnow()
    db.session.commit()
    return "sent"

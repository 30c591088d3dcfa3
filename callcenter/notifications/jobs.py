"""RQ jobs for customer messages: thin, idempotent, taking ids."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from ..db_types import utcnow
from ..events import enqueue_on_commit
from ..extensions import db
from ..jobs import app_job
from ..tickets import status_links
from . import delivery
from .models import OutboundMessage, OutboundStatus
from .services import DELIVER_JOB

# A message "sending" for longer than this was cut off (worker killed mid-send): try again.
STUCK_AFTER = timedelta(minutes=5)


def _claim(message_id: int) -> OutboundMessage | None:
    """Mark the message as being sent and commit, so no lock is held while talking to SMTP.

    Only one job wins the claim: the UPDATE matches a row that is queued, failed or stuck.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id)
        .where(or_(OutboundMessage.status.in_([OutboundStatus.queued, OutboundStatus.failed]),
                   (OutboundMessage.status == OutboundStatus.sending)
                   & (OutboundMessage.sending_since < now - STUCK_AFTER)))
        .values(status=OutboundStatus.sending, sending_since=now, attempts=OutboundMessage.attempts + 1))
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    return db.session.get(OutboundMessage, message_id)


@app_job
def deliver(message_id: int) -> str:
    """Send a queued message once. A message sent, or being sent by another job, is left alone."""
    message = _claim(message_id)
    if message is None:
        return "not-claimed"
    try:
        body = _with_status_link(message)
        if message.channel == "sms":
            delivery.send_sms(current_app.config, message.recipient, body)
        else:
            delivery.send(current_app.config, message.recipient, message.subject, body)
    except Exception as exc:  # record the failure, then let RQ see the job fail too
        message.status = OutboundStatus.failed
        message.last_error = str(exc)[:2000]
        db.session.commit()
        raise
    message.status = OutboundStatus.sent
    message.sent_at = utcnow()
    db.session.commit()
    return "sent"


def _with_status_link(message: OutboundMessage) -> str:
    """The body with its marker replaced by a link issued now (committed before sending, so the
    link works when it arrives; a retried delivery sends another one, which is harmless)."""
    if not message.link_marker or message.ticket_id is None:
        return message.body
    token = status_links.issue(message.ticket_id)
    db.session.commit()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return message.body.replace(message.link_marker, f"{base}/t/{token}")


@app_job
def resend_unsent(older_than_seconds: int = 30) -> int:
    """Periodic: re-enqueue messages whose job was lost (Redis down at commit, worker killed)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    ids = db.session.scalars(select(OutboundMessage.id).where(
        or_((OutboundMessage.status == OutboundStatus.queued) & (OutboundMessage.created_at < cutoff),
            (OutboundMessage.status == OutboundStatus.sending) & (OutboundMessage.sending_since < utcnow() - STUCK_AFTER)),
    ).limit(500)).all()
    for message_id in ids:
        enqueue_on_commit(DELIVER_JOB, message_id, job_id=f"deliver-{message_id}")
    db.session.commit()
    return len(ids)

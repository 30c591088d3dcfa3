"""Delivering a message to a customer exactly as far as the outside world allows: the claim is
committed before the mail server is spoken to, the result after."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from ..db_types import utcnow
from ..directory import staff
from ..followups import service as followups
from ..notifications import delivery, outbox
from ..notifications.services import DELIVER_JOB, SURVEY_MARKER
from . import unit_of_work


def deliver(message_id: int, now: datetime | None = None) -> str:
    """Send a queued message once. A message sent, or being sent by another job, is left alone."""
    now = now or utcnow()
    # The claim and the message's link in one commit, before the outside world is spoken to:
    # the link works by the time the message arrives.
    with unit_of_work(durable=True):
        if not outbox.claim(message_id, now):
            return "not-claimed"
        message = outbox.get(message_id)
        base_url = current_app.config["PUBLIC_BASE_URL"]
        if outbox.takes_password_link(message):
            token, why_not = _password_token(message, now)
            if token is None:  # nothing worth sending: recorded, not retried
                outbox.record_failure(message, RuntimeError(why_not))
                return "skipped"
            body = outbox.body_with(message, base_url, token, "/password/")
        else:
            body = outbox.body_with(message, base_url, outbox.link_token(message))
        body = _with_survey_link(body, message.ticket_id, base_url)
        channel, recipient, subject = message.channel, message.recipient, message.subject
    # No transaction is open while the outside world is spoken to.
    try:
        if channel == "sms":
            delivery.send_sms(current_app.config, recipient, body)
        else:
            delivery.send(current_app.config, recipient, subject, body)
    except Exception as exc:  # record the failure, then let RQ see the job fail too
        with unit_of_work(durable=True):
            outbox.record_failure(outbox.get(message_id), exc)
        raise
    with unit_of_work(durable=True):
        outbox.record_sent(outbox.get(message_id), utcnow())
    return "sent"


def _with_survey_link(body: str, ticket_id: int | None, base_url: str) -> str:
    """The ticket's signed survey link where the body takes it (issued when sent, like the
    status link: no usable link is stored with the message)."""
    if SURVEY_MARKER not in body:
        return body
    survey = followups.survey_for_ticket(ticket_id) if ticket_id else None
    link = f"{base_url.rstrip('/')}/s/{followups.survey_token(survey)}" if survey else ""
    return body.replace(SURVEY_MARKER, link)


def _password_token(message, now: datetime) -> tuple[str | None, str]:
    """The mail's own link (a retry replaces its earlier one; the copy shown to the admin keeps
    working beside it), or why none is sent."""
    user = staff.active_by_email(message.recipient)
    if user is None:
        return None, "no active account for this address any more"
    if staff.superseded(user, message.created_at):
        return None, "superseded: a newer password link was issued after this mail was queued"
    return staff.issue_link(user, now, replace=False, message_id=message.id), ""


def resend_unsent(older_than_seconds: int = 30, now: datetime | None = None) -> int:
    """Periodic: queue again the messages whose delivery job was lost."""
    now = now or utcnow()
    with unit_of_work(durable=True) as fx:
        ids = outbox.lost(now, timedelta(seconds=older_than_seconds))
        for message_id in ids:
            fx.enqueue(DELIVER_JOB, message_id, job_id=f"deliver-{message_id}")
    return len(ids)

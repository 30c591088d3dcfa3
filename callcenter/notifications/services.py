"""Queue messages to a ticket's customer. Callers own the transaction.

Each message is a row first; the delivery job is enqueued only after that row commits.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..events import enqueue_on_commit
from ..extensions import db
from ..tickets.labels import customer_status
from .models import OutboundMessage

DELIVER_JOB = "callcenter.notifications.jobs.deliver"


def _locale(ticket) -> str:
    return "zh_CN" if (ticket.language or "").startswith("zh") else "en"


def _status_link(ticket) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/t/{ticket.public_token}"


def _queue_email(ticket, subject: str, body: str) -> OutboundMessage | None:
    # The address given with this ticket: the person who wrote it, even if the phone they typed
    # belongs to a customer record with another email.
    recipient = ticket.contact_email or (ticket.customer.email if ticket.customer_verified else None)
    if not recipient:
        return None
    message = OutboundMessage(ticket_id=ticket.id, channel="email", recipient=recipient,
                              subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    enqueue_on_commit(DELIVER_JOB, message.id, queue="default", job_id=f"deliver-{message.id}")
    return message


def acknowledge(ticket) -> OutboundMessage | None:
    with force_locale(_locale(ticket)):
        subject = _("We received your request %(reference)s", reference=ticket.reference)
        body = _("Hello %(name)s,\n\nWe have received your request \"%(subject)s\" as %(reference)s.\n"
                 "Follow its progress and reply here: %(link)s\n",
                 name=ticket.customer.name, subject=ticket.subject, reference=ticket.reference,
                 link=_status_link(ticket))
    return _queue_email(ticket, subject, body)


def status_changed(ticket) -> OutboundMessage | None:
    with force_locale(_locale(ticket)):
        subject = _("Update on %(reference)s", reference=ticket.reference)
        body = _("Hello %(name)s,\n\nYour request %(reference)s is now: %(status)s.\n"
                 "Details and replies: %(link)s\n",
                 name=ticket.customer.name, reference=ticket.reference,
                 status=customer_status(ticket.status.value), link=_status_link(ticket))
    return _queue_email(ticket, subject, body)


def agent_replied(ticket, message) -> OutboundMessage | None:
    with force_locale(_locale(ticket)):
        subject = _("New reply on %(reference)s", reference=ticket.reference)
        body = _("Hello %(name)s,\n\n%(body)s\n\nReply here: %(link)s\n",
                 name=ticket.customer.name, body=message.body, link=_status_link(ticket))
    return _queue_email(ticket, subject, body)

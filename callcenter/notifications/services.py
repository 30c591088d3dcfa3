"""Queue messages to a ticket's customer. Callers own the transaction.

Each message is a row first; its delivery job is an effect, run once that row commits. A
message goes to the contact given with the ticket (never to another address a customer
record holds) and greets the name given with it. Where it carries the status-page link,
the body holds a marker that the delivery job replaces with a fresh link, so no usable
link is stored with the message.
"""
from __future__ import annotations

import secrets

from flask_babel import force_locale
from flask_babel import gettext as _

from ..effects import Effects
from ..extensions import db
from ..tickets.labels import customer_status
from .models import OutboundMessage

DELIVER_JOB = "callcenter.notifications.jobs.deliver"


def _locale(ticket) -> str:
    return "zh_CN" if (ticket.language or "").startswith("zh") else "en"


def _marker() -> str:
    return f"[[status-link:{secrets.token_hex(6)}]]"


def _queue(ticket, channel: str, recipient: str | None, subject: str, body: str,
           marker: str | None, fx: Effects) -> OutboundMessage | None:
    if not recipient:
        return None
    message = OutboundMessage(ticket_id=ticket.id, channel=channel, recipient=recipient, subject=subject,
                              body=body, link_marker=marker)
    db.session.add(message)
    db.session.flush()
    fx.enqueue(DELIVER_JOB, message.id, queue="default", job_id=f"deliver-{message.id}")
    return message


def _queue_email(ticket, subject: str, body: str, marker: str | None, fx: Effects) -> OutboundMessage | None:
    return _queue(ticket, "email", ticket.contact_email, subject, body, marker, fx)


PASSWORD_MARKER_PREFIX = "[[password-link:"


def password_link(email: str, name: str, locale: str, fx: Effects) -> OutboundMessage:
    """A new colleague's (or a reset) password link by mail. The body holds a marker: the link
    itself is issued when the message is sent, so no usable link is stored."""
    marker = f"{PASSWORD_MARKER_PREFIX}{secrets.token_hex(6)}]]"
    with force_locale(locale):
        subject = _("Set your password for the service desk")
        body = _("Hello %(name)s,\n\nAn administrator gave you an account (%(email)s). Choose your password "
                 "here; the link works once, for three days:\n%(link)s\n", name=name, email=email, link=marker)
    message = OutboundMessage(ticket_id=None, channel="email", recipient=email, subject=subject, body=body,
                              link_marker=marker)
    db.session.add(message)
    db.session.flush()
    fx.enqueue(DELIVER_JOB, message.id, queue="default", job_id=f"deliver-{message.id}")
    return message


def acknowledge(ticket, fx: Effects) -> OutboundMessage | None:
    marker = _marker()
    with force_locale(_locale(ticket)):
        subject = _("We received your request %(reference)s", reference=ticket.reference)
        body = _("Hello %(name)s,\n\nWe have received your request \"%(subject)s\" as %(reference)s.\n"
                 "Follow its progress and reply here: %(link)s\n",
                 name=ticket.contact_name, subject=ticket.subject, reference=ticket.reference, link=marker)
    return _queue_email(ticket, subject, body, marker, fx)


def status_changed(ticket, fx: Effects) -> OutboundMessage | None:
    marker = _marker()
    with force_locale(_locale(ticket)):
        subject = _("Update on %(reference)s", reference=ticket.reference)
        body = _("Hello %(name)s,\n\nYour request %(reference)s is now: %(status)s.\n"
                 "Details and replies: %(link)s\n",
                 name=ticket.contact_name, reference=ticket.reference,
                 status=customer_status(ticket.status.value), link=marker)
    return _queue_email(ticket, subject, body, marker, fx)


def agent_replied(ticket, message, fx: Effects) -> OutboundMessage | None:
    marker = _marker()
    with force_locale(_locale(ticket)):
        subject = _("New reply on %(reference)s", reference=ticket.reference)
        body = _("Hello %(name)s,\n\n%(body)s\n\nReply here: %(link)s\n",
                 name=ticket.contact_name, body=message.body, link=marker)
    return _queue_email(ticket, subject, body, marker, fx)


def status_link(ticket, channel: str, fx: Effects) -> OutboundMessage | None:
    """The status-page link again, to the ticket's email or phone (channel "email" or "sms")."""
    marker = _marker()
    with force_locale(_locale(ticket)):
        subject = _("Your link for %(reference)s", reference=ticket.reference)
        body = _("Your request %(reference)s: %(link)s", reference=ticket.reference, link=marker)
    recipient = ticket.contact_email if channel == "email" else ticket.contact_phone
    return _queue(ticket, channel, recipient, subject, body, marker, fx)

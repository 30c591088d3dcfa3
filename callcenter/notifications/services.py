"""Queue messages to a ticket's customer. Callers own the transaction.

Each message is a row first; its delivery job is an effect, run once that row commits. A
message goes to the contact given with the ticket (never to another address a customer
record holds) and greets the name given with it. Where it carries the status-page link,
the body holds a marker that the delivery job replaces with a fresh link, so no usable
link is stored with the message.
"""
from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, format_time
from flask_babel import gettext as _

from ..effects import Effects, RowId
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
    return _queue_for(ticket.id, channel, recipient, subject, body, marker, fx)


def _queue_for(ticket_id: int | None, channel: str, recipient: str | None, subject: str, body: str,
               marker: str | None, fx: Effects) -> OutboundMessage | None:
    """The message's row (the ticket's record of it, shown on its page) and its delivery job."""
    if not recipient:
        return None
    message = OutboundMessage(ticket_id=ticket_id, channel=channel, recipient=recipient, subject=subject,
                              body=body, link_marker=marker)
    db.session.add(message)  # written with the rest at the commit: the job names it by RowId
    fx.enqueue(DELIVER_JOB, RowId(message), queue="default", job_id=RowId(message, "deliver-{}"), retry=RETRIES)
    return message


def queue_email(recipient: str, subject: str, body: str, fx: Effects) -> OutboundMessage | None:
    """A mail about no ticket (a report), through the outbox and its delivery job."""
    return _queue_for(None, "email", recipient, subject, body, None, fx)


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


SURVEY_MARKER = "[[survey-link]]"  # replaced when sent by the ticket's signed survey link
RETRIES = (30, 120, 600)  # seconds between delivery tries (RQ Retry); then the outbox shows it failed


def _render(template: str, locale: str, **context) -> tuple[str, str]:
    """A message from templates/messages/<template>.txt in the customer's language: its first line
    is the subject, the rest the body."""
    with force_locale(locale):
        text = render_template(f"messages/{template}.txt", **context)
    subject, _sep, body = text.strip("\n").partition("\n")
    return subject.strip(), _tidy(body)


def _tidy(body: str) -> str:
    lines = [line.rstrip() for line in body.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def acknowledge(ticket, fx: Effects) -> OutboundMessage | None:
    marker = _marker()
    subject, body = _render("acknowledge", _locale(ticket), ticket=ticket, link=marker)
    return _queue_email(ticket, subject, body, marker, fx)


def status_changed(ticket, fx: Effects, *, survey_days: int | None = None) -> OutboundMessage | None:
    """The resolution (or another status) by mail; with survey_days, the survey's link too."""
    marker = _marker()
    locale = _locale(ticket)
    with force_locale(locale):
        status = customer_status(ticket.status.value)
    subject, body = _render("resolved", locale, ticket=ticket, status=status, link=marker,
                            survey_link=SURVEY_MARKER if survey_days else None, survey_days=survey_days)
    return _queue_email(ticket, subject, body, marker, fx)


def agent_replied(ticket, message, fx: Effects) -> OutboundMessage | None:
    marker = _marker()
    subject, body = _render("agent_replied", _locale(ticket), ticket=ticket, body=message.body, link=marker)
    return _queue_email(ticket, subject, body, marker, fx)


def status_link(ticket, channel: str, fx: Effects) -> OutboundMessage | None:
    """The status-page link again, to the ticket's email or phone (channel "email" or "sms")."""
    marker = _marker()
    subject, body = _render("status_link", _locale(ticket), ticket=ticket, link=marker)
    recipient = ticket.contact_email if channel == "email" else ticket.contact_phone
    return _queue(ticket, channel, recipient, subject, body, marker, fx)


def _window(followup, locale: str, tz: str) -> tuple[str, str]:
    zone = ZoneInfo(tz)
    start, end = followup.window_start.astimezone(zone), followup.window_end.astimezone(zone)
    with force_locale(locale):
        return format_datetime(start, "short"), format_time(end, "short")


def _to_caller(followup, ticket, subject: str, body: str, marker: str | None, fx: Effects) -> OutboundMessage | None:
    """A follow-up's message goes to the contact given with its ticket (mail, else SMS), as
    every message does; a callback booked with no ticket, to the number it was booked for."""
    if ticket is None:
        return _queue_for(None, "sms", followup.phone, subject, body, None, fx)
    if ticket.contact_email:
        return _queue(ticket, "email", ticket.contact_email, subject, body, marker, fx)
    return _queue(ticket, "sms", ticket.contact_phone, subject, body, marker, fx)


def callback_scheduled(followup, ticket, tz: str, fx: Effects) -> OutboundMessage | None:
    locale = _locale(followup)
    start, end = _window(followup, locale, tz)
    subject, body = _render("callback_scheduled", locale, name=followup.name, phone=followup.phone, start=start,
                            end=end, reference=ticket.reference if ticket else None)
    return _to_caller(followup, ticket, subject, body, None, fx)


def callback_failed(followup, ticket, fx: Effects) -> OutboundMessage | None:
    marker = _marker() if ticket is not None else None
    subject, body = _render("callback_failed", _locale(followup), name=followup.name, phone=followup.phone,
                            count=followup.attempts_made, hotline=current_app.config["HOTLINE"], link=marker)
    return _to_caller(followup, ticket, subject, body, marker, fx)


def revisit_outcome(ticket, *, recovered: bool, fx: Effects) -> OutboundMessage | None:
    marker = _marker()
    subject, body = _render("revisit_outcome", _locale(ticket), ticket=ticket, recovered=recovered, link=marker)
    return _queue_email(ticket, subject, body, marker, fx)


def survey_reminder(ticket, fx: Effects) -> OutboundMessage | None:
    subject, body = _render("survey_reminder", _locale(ticket), ticket=ticket, survey_link=SURVEY_MARKER)
    return _queue_email(ticket, subject, body, None, fx)

"""Export, erasure and retention of personal data (docs/PRIVACY.md). Inside the caller's
transaction (callcenter/actions/privacy.py commits).

What is personal: the customer record (with their do-not-call hours); on each of their tickets
the contact, the subject and description (the customer's words), the customer's messages, the
messages sent to them, the callbacks and revisits (number, name, notes), the survey's comment,
and any mention of their name, phone or email in what staff wrote. Survey scores and the
outcomes of calls are statistics and stay. What stays: every number the
desk reports (statuses, times, priorities, categories, teams, SLA clocks, reopen counts), so
the statistics are the same after an erasure as before.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from ..actors import SYSTEM, Actor
from ..calls.models import Call
from ..customers.models import Customer, CustomerMatch, MatchStatus, PrivacyLog
from ..db_types import utcnow
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..followups.models import FollowUp, FollowUpStatus, Survey
from ..notifications.models import OutboundMessage
from ..tickets import audit
from ..tickets.models import (
    AuthorKind,
    IdempotencyKey,
    Promise,
    Status,
    StatusLink,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from .scrub import ERASED, pattern_for, scrub

RETENTION_BATCH = 200


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.kind == "system"):
        raise Forbidden(_("Only admins export or erase a customer's personal data."))


def _customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def _log(action: str, customer_id: int | None, actor: Actor, **details: Any) -> None:
    db.session.add(PrivacyLog(action=action, customer_id=customer_id, actor_kind=actor.kind,
                              actor_user_id=actor.user_id, actor_name=actor.name, details=details))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# ---------------------------------------------------------------- export

def _tickets_of(customer: Customer) -> list[Ticket]:
    """Their tickets, and those from the web form suggested as theirs and not yet decided."""
    suggested = select(CustomerMatch.ticket_id).where(CustomerMatch.customer_id == customer.id,
                                                      CustomerMatch.status == MatchStatus.pending)
    return list(db.session.scalars(select(Ticket).where(or_(Ticket.customer_id == customer.id,
                                                            Ticket.id.in_(suggested))).order_by(Ticket.id)))


def _rows(model, ticket_id: int, order):
    return db.session.scalars(select(model).where(model.ticket_id == ticket_id).order_by(order)).all()


def _ticket_export(ticket: Ticket, customer_id: int) -> dict[str, Any]:
    return {
        "id": ticket.id, "reference": ticket.reference, "linked": ticket.customer_id == customer_id,
        "kind": ticket.kind.value, "channel": ticket.channel.value, "status": ticket.status.value,
        "priority": ticket.priority.value, "category": ticket.category_code, "language": ticket.language,
        "subject": ticket.subject, "description": ticket.description,
        "contact": {"name": ticket.contact_name, "phone": ticket.contact_phone, "email": ticket.contact_email},
        "created_at": _iso(ticket.created_at), "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at), "cancelled_at": _iso(ticket.cancelled_at),
        "resolution": {"summary": ticket.resolution_summary, "root_cause": ticket.root_cause,
                       "department": ticket.responsible_department},
        "messages": [{"author_kind": m.author_kind.value, "author_name": m.author_name, "body": m.body,
                      "internal": m.internal, "created_at": _iso(m.created_at)}
                     for m in _rows(TicketMessage, ticket.id, TicketMessage.id)],
        "promises": [{"description": p.description, "due_at": _iso(p.due_at), "status": p.status.value}
                     for p in _rows(Promise, ticket.id, Promise.id)],
        "messages_sent_to_customer": [
            {"channel": o.channel, "recipient": o.recipient, "subject": o.subject,
             "body": o.body.replace(o.link_marker, "[link]") if o.link_marker else o.body,
             "status": o.status.value, "created_at": _iso(o.created_at), "sent_at": _iso(o.sent_at)}
            for o in _rows(OutboundMessage, ticket.id, OutboundMessage.id)],
        "followups": [_followup_export(f) for f in _followups_of_ticket(ticket.id)],
        "survey": _survey_export(ticket.id),
        "audit": [{"kind": e.kind, "actor": {"kind": e.actor_kind.value, "name": e.actor_name}, "field": e.field,
                   "before": e.before, "after": e.after, "data": e.data, "created_at": _iso(e.created_at)}
                  for e in _rows(TicketEvent, ticket.id, TicketEvent.id)],
    }


def _followups_of_ticket(ticket_id: int) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.ticket_id == ticket_id).order_by(FollowUp.id)))


def _followup_export(f: FollowUp) -> dict[str, Any]:
    return {"kind": f.kind.value, "status": f.status.value, "name": f.name, "phone": f.phone, "note": f.note,
            "window_start": _iso(f.window_start), "window_end": _iso(f.window_end), "outcome": f.outcome,
            "attempts": [{"number": a.number, "outcome": a.outcome.value, "note": a.note, "solved": a.solved,
                          "score": a.score, "comment": a.comment, "may_contact_again": a.may_contact_again,
                          "created_at": _iso(a.created_at)} for a in f.attempts]}


def _survey_export(ticket_id: int) -> dict[str, Any] | None:
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id))
    if survey is None:
        return None
    return {"sent_at": _iso(survey.created_at), "answered_at": _iso(survey.answered_at), "csat": survey.csat,
            "nps": survey.nps, "comment": survey.comment}


def export_customer(customer_id: int, actor: Actor) -> dict[str, Any]:
    """Everything held about the person, as plain data (the JSON and the readable file)."""
    _require_admin(actor)
    customer = _customer(customer_id)
    data = {
        "exported_at": _iso(utcnow()),
        "customer": {"id": customer.id, "name": customer.name, "phone": customer.phone, "email": customer.email,
                     "tier": customer.tier.value, "language": customer.language,
                     "do_not_call": customer.do_not_call, "phone_suspect_at": _iso(customer.phone_suspect_at),
                     "at_risk_at": _iso(customer.at_risk_at),
                     "created_at": _iso(customer.created_at), "erased_at": _iso(customer.erased_at)},
        "tickets": [_ticket_export(t, customer.id) for t in _tickets_of(customer)],
        "callbacks_without_ticket": [_followup_export(f) for f in db.session.scalars(
            select(FollowUp).where(FollowUp.customer_id == customer.id, FollowUp.ticket_id.is_(None))
            .order_by(FollowUp.id))],
        "calls": [{"id": c.id, "caller": c.caller, "called": c.called, "agent_id": c.agent_id,
                   "created_at": _iso(c.created_at)} for c in _calls_of(customer)],
        "privacy_log": [{"action": p.action, "actor": p.actor_name, "details": p.details,
                         "created_at": _iso(p.created_at)} for p in db.session.scalars(
            select(PrivacyLog).where(PrivacyLog.customer_id == customer.id).order_by(PrivacyLog.id))],
    }
    _log("export", customer.id, actor, tickets=len(data["tickets"]))
    return data


# ---------------------------------------------------------------- erasure

def _anonymise_ticket(ticket: Ticket, pattern, actor: Actor, now: datetime, kind: str) -> None:
    """Remove the personal data of one ticket; every statistic on it stays."""
    ticket.contact_name, ticket.contact_phone, ticket.contact_phone_norm = "", None, None
    ticket.contact_email, ticket.contact_email_norm = None, None
    ticket.subject, ticket.description = ERASED, ERASED
    ticket.resolution_summary = scrub(ticket.resolution_summary, pattern)
    ticket.root_cause = scrub(ticket.root_cause, pattern)
    ticket.anonymised_at = now
    for message in _rows(TicketMessage, ticket.id, TicketMessage.id):
        if message.author_kind is AuthorKind.customer:
            message.body, message.author_name = ERASED, ""
        else:
            message.body = scrub(message.body, pattern)
    for promise in _rows(Promise, ticket.id, Promise.id):
        promise.description = scrub(promise.description, pattern)
    for event in _rows(TicketEvent, ticket.id, TicketEvent.id):
        if event.actor_kind is AuthorKind.customer:
            event.actor_name = ""
        if event.field in ("subject", "description"):
            event.before, event.after = ERASED, ERASED
        else:
            event.before, event.after = scrub(event.before, pattern), scrub(event.after, pattern)
        event.data = scrub(event.data, pattern)
    for sent in _rows(OutboundMessage, ticket.id, OutboundMessage.id):
        sent.recipient, sent.body, sent.subject = ERASED, ERASED, scrub(sent.subject, pattern)
    for followup in _followups_of_ticket(ticket.id):
        _anonymise_followup(followup, pattern, now)
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    if survey is not None and survey.comment:
        survey.comment = ERASED  # the customer's words; the scores are statistics
    db.session.execute(delete(StatusLink).where(StatusLink.ticket_id == ticket.id))
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.ticket_id == ticket.id))
    audit.record(ticket, kind, actor)


def _anonymise_followup(followup: FollowUp, pattern, now: datetime) -> None:
    """Its number and name go, and they and the ticket's identifiers go from the notes; one
    still to make is cancelled (there is nobody left to call)."""
    if followup.is_open:
        followup.status, followup.outcome, followup.closed_at = FollowUpStatus.cancelled, "erased", now
        followup.assignee_id = followup.next_attempt_at = None
    own = pattern_for([followup.name], [followup.phone_norm], [])
    followup.name, followup.phone, followup.phone_norm = "", "", None
    followup.note = scrub(scrub(followup.note, pattern), own)
    for attempt in followup.attempts:
        attempt.note = scrub(scrub(attempt.note, pattern), own)
        attempt.comment = ERASED if attempt.comment else None  # the customer's words


def _pattern(customer: Customer | None, tickets: list[Ticket]):
    names = [customer.name if customer else None] + [t.contact_name for t in tickets]
    phones = [customer.phone_norm if customer else None] + [t.contact_phone_norm for t in tickets]
    emails = [customer.email_norm if customer else None] + [t.contact_email_norm for t in tickets]
    return pattern_for(names, phones, emails)


def _calls_of(customer: Customer) -> list[Call]:
    """Calls from the person's number (the telephony system reports numbers, not people)."""
    if not customer.phone_norm:
        return []
    return list(db.session.scalars(select(Call).where(Call.caller_norm == customer.phone_norm).order_by(Call.id)))


def _erase_record(customer: Customer, now: datetime) -> None:
    pattern = pattern_for([customer.name], [customer.phone_norm], [customer.email_norm])
    for call in _calls_of(customer):
        db.session.delete(call)  # a call is its number and its time: nothing to keep
    for followup in db.session.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id,
                                                              FollowUp.ticket_id.is_(None))):
        _anonymise_followup(followup, pattern, now)  # callbacks booked with no ticket
    customer.name, customer.phone, customer.phone_norm, customer.email, customer.email_norm = "", None, None, None, None
    customer.do_not_call = None
    customer.erased_at = now
    db.session.execute(delete(CustomerMatch).where(CustomerMatch.customer_id == customer.id))


def erase_customer(customer_id: int, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    """Anonymise the person, their tickets and their words; keep the statistics and this erasure's audit."""
    _require_admin(actor)
    now = now or utcnow()
    customer = db.session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFound(_("No such customer."))
    tickets = _tickets_of(customer)
    db.session.execute(select(Ticket.id).where(Ticket.id.in_([t.id for t in tickets])).order_by(Ticket.id)
                       .with_for_update(key_share=True))  # no reply lands half-way through
    pattern = _pattern(customer, tickets)
    for ticket in tickets:
        _anonymise_ticket(ticket, pattern, actor, now, "personal_data_erased")
    _erase_record(customer, now)
    _log("erase", customer.id, actor, tickets=len(tickets))
    return {"customer_id": customer.id, "tickets_anonymised": len(tickets), "erased_at": _iso(now)}


# ---------------------------------------------------------------- retention

def retention_sweep(now: datetime, days: int, batch: int = RETENTION_BATCH) -> int:
    """Closed and cancelled tickets ended more than `days` ago lose their personal data; a
    customer left with nothing but such tickets is erased too. Returns the tickets done."""
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    due = list(db.session.scalars(
        select(Ticket).where(Ticket.anonymised_at.is_(None), or_(
            (Ticket.status == Status.closed) & (Ticket.closed_at < cutoff),
            (Ticket.status == Status.cancelled) & (Ticket.cancelled_at < cutoff)))
        .order_by(Ticket.id).limit(batch).with_for_update(skip_locked=True)))
    if not due:
        return 0

    customers = {t.customer_id for t in due if t.customer_id}
    for ticket in due:
        _anonymise_ticket(ticket, _pattern(ticket.customer, [ticket]), SYSTEM, now, "personal_data_retention")
    db.session.flush()
    erased = 0
    for customer_id in customers:
        keeps = db.session.scalar(select(Ticket.id).where(Ticket.customer_id == customer_id,
                                                          Ticket.anonymised_at.is_(None)).limit(1))
        if keeps is None:
            _erase_record(db.session.get(Customer, customer_id), now)
            erased += 1
    _log("retention", None, SYSTEM, tickets=len(due), customers=erased, days=days)
    return len(due)

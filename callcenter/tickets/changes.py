"""Changing tickets: rows and their audit trail. Inside the caller's transaction; nothing here
commits, publishes or reaches into routing or SLA (callcenter/actions does that)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from .. import setup_cache, transaction_facts
from ..actors import SYSTEM, Actor
from ..customers.identity import effective_tier
from ..customers.models import Customer, CustomerMatch, MatchStatus
from ..customers.normalise import normalise_email, normalise_phone
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from . import access, audit, labels, lifecycle, triage
from .models import (
    AuthorKind,
    Category,
    Channel,
    IdempotencyKey,
    Kind,
    Priority,
    Promise,
    PromiseStatus,
    Severity,
    Status,
    Ticket,
    TicketMessage,
)

EDITABLE_FIELDS = ("priority", "severity", "category", "subject", "language", "required_skills",
                   "resolution_summary", "root_cause", "responsible_department")


# ---------------------------------------------------------------- idempotency

def request_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def replay(actor: Actor, key: str, digest: str) -> Ticket | None:
    """The ticket a first request with this key created, if any, for a caller who may see it."""
    row = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == actor.user_id, IdempotencyKey.key == key))
    if row is None:
        return None
    if row.request_hash != digest:
        raise ValidationFailed(
            _("This Idempotency-Key was already used with a different request."),
            {"idempotency_key": key}, code="idempotency_key_reused")
    ticket = db.session.get(Ticket, row.ticket_id)
    if ticket is not None and not access.may_view(ticket, actor):
        # The key proves who sent the first request, not that they may still read its ticket.
        raise Forbidden(_("The ticket created with this Idempotency-Key is no longer one you may see."),
                        code="idempotent_replay_forbidden")
    return ticket


def remember(actor: Actor, key: str, digest: str, ticket: Ticket) -> None:
    db.session.add(IdempotencyKey(user_id=actor.user_id, key=key, request_hash=digest, ticket_id=ticket.id))
    db.session.flush()  # a concurrent twin meets the unique index here


# ---------------------------------------------------------------- a new ticket

setup_cache.watch(Category)
_CATEGORY_FIELDS = ("code", "team_id", "required_skills", "default_priority")


def _active_categories() -> dict[str, Any]:
    """The categories one may choose, by code, in order (plain values, kept per set-up version)."""
    return setup_cache.cached("categories", lambda: {
        row.code: setup_cache.plain(row, *_CATEGORY_FIELDS)
        for row in db.session.scalars(select(Category).where(Category.active).order_by(Category.position))})


def category(code: str | None) -> Any:
    """An active category's code, team, skills and default priority; unknown ones are refused."""
    if not code:
        return None
    active = _active_categories()
    if code not in active:
        raise ValidationFailed(_("Unknown category."), {"fields": {"category": [f"one of {list(active)}"]}})
    return active[code]


def new_ticket(data: dict[str, Any], actor: Actor, contact, customer: Customer | None, verified: bool,
               now: datetime) -> Ticket:
    """The ticket row from validated input, flushed, with its reference and its 'created' audit."""
    chosen = category(data.get("category"))
    kind = data["kind"]
    tier = effective_tier(customer.tier.value if customer else None, verified)  # privileges only for a trusted link
    severity = data.get("severity") or triage.classify_severity(kind, f"{data['subject']} {data['description']}")
    priority = data.get("priority") or triage.default_priority(kind, severity, tier,
                                                               chosen.default_priority if chosen else None)
    # A trusted link completes the contact from the record, so replies reach the person on record.
    phone = contact.phone or (customer.phone if verified and customer else None)
    email = contact.email or (customer.email if verified and customer else None)
    ticket = Ticket(
        kind=Kind(kind), channel=Channel(data["channel"]), status=Status.new, priority=Priority(priority),
        severity=Severity(severity) if severity else None, category_code=chosen.code if chosen else None,
        subject=data["subject"].strip(), description=data["description"].strip(),
        language=data.get("language") or (customer.language if customer else None) or "zh",
        required_skills=dict(data.get("required_skills") or (chosen.required_skills if chosen else None) or {}),
        customer=customer, contact_name=contact.name,
        contact_phone=phone, contact_phone_norm=normalise_phone(phone),
        contact_email=email, contact_email_norm=normalise_email(email),
        customer_verified=verified, team_id=chosen.team_id if chosen else None, created_by_id=actor.user_id,
        created_at=now, updated_at=now, promises=[],  # known empty: never read back
    )
    ticket.waiting_since = ticket.queued_at = now
    db.session.add(ticket)
    db.session.flush()
    transaction_facts.made_tickets()[ticket.id] = []
    ticket.reference = f"CC-{now.year}-{ticket.id:06d}"
    audit.record(ticket, "created", actor, after={
        "reference": ticket.reference, "kind": kind, "channel": data["channel"], "priority": priority,
        "severity": severity, "category": ticket.category_code, "team_id": ticket.team_id,
        "customer_id": customer.id if customer else None, "customer_verified": verified,
    })
    return ticket


def suggest(ticket: Ticket, suggestions: list[tuple[Customer, tuple[str, ...]]]) -> None:
    """Records that hold the phone or email of a ticket from an unverified source, for staff to decide."""
    for customer, matched in suggestions:
        db.session.add(CustomerMatch(ticket_id=ticket.id, customer_id=customer.id, matched_on=list(matched)))
    if suggestions:
        audit.record(ticket, "customer_match_suggested", SYSTEM,
                     matches=[{"customer_id": c.id, "matched_on": list(m)} for c, m in suggestions])


# ---------------------------------------------------------------- status

def check_transition(ticket: Ticket, to: str) -> None:
    """What a person may ask for: a known status, a move the state machine allows."""
    current = ticket.status.value
    if to not in lifecycle.STATUSES:
        raise ValidationFailed(_("Unknown status."), {"fields": {"to": [f"one of {list(lifecycle.STATUSES)}"]}})
    if not lifecycle.can_transition(current, to):
        raise Conflict(
            _("A ticket in status %(current)s cannot move to %(to)s.", current=labels.staff_status(current),
              to=labels.staff_status(to)),
            {"from": current, "to": to, "allowed": list(lifecycle.allowed_transitions(current))},
            code="transition_not_allowed")


def check_promises_settled(ticket: Ticket, to: str) -> None:
    """Resolving or closing waits for every open promise to be kept or cancelled (409 lists them)."""
    if to not in lifecycle.PROMISES_SETTLED_BEFORE:
        return
    still_open = db.session.scalars(select(Promise).where(Promise.ticket_id == ticket.id,
                                                         Promise.status == PromiseStatus.open)
                                    .order_by(Promise.due_at, Promise.id)).all()
    if still_open:
        raise Conflict(
            _("Settle the open promises to the customer first: mark each one kept or cancelled."),
            {"from": ticket.status.value, "to": to, "promises": [
                {"id": p.id, "description": p.description, "due_at": p.due_at.isoformat()} for p in still_open]},
            code="open_promises")


def record_resolution(ticket: Ticket, resolution: dict[str, str] | None, actor: Actor) -> None:
    """Closing: the resolution fields given are written; a complaint must have all of them."""
    for name, value in (resolution or {}).items():
        if name in lifecycle.COMPLAINT_CLOSE_FIELDS and value is not None:
            audit.set_field(ticket, name, value.strip(), actor)
    missing = lifecycle.missing_close_fields(
        ticket.kind.value, {f: getattr(ticket, f) for f in lifecycle.COMPLAINT_CLOSE_FIELDS})
    if missing:
        raise ValidationFailed(
            _("A complaint is closed only with its resolution summary, root cause and responsible department."),
            {"missing": missing}, code="resolution_required")


def set_status(ticket: Ticket, to: str, actor: Actor, now: datetime, *, reason: str | None = None) -> bool:
    """The status and the times it sets, with its audit row; True when it was a reopen."""
    current = ticket.status.value
    reopen = lifecycle.is_reopen(current, to)
    ticket.status = Status(to)
    if ticket.answered_at is None and to not in (lifecycle.NEW, lifecycle.CANCELLED) and actor.kind == "agent":
        record_answer(ticket, now)  # taken up without an assignment: moved on by a person at the desk
    if to == lifecycle.RESOLVED:
        ticket.resolved_at = now
        ticket.handle_seconds = seconds_between(ticket.answered_at or ticket.created_at, now)
    elif to == lifecycle.CLOSED:
        ticket.closed_at = now
    elif to == lifecycle.CANCELLED:
        ticket.cancelled_at = now
        if ticket.answered_at is None:  # abandoned: its wait ends here, unanswered
            ticket.queue_wait_seconds = seconds_between(ticket.created_at, now)
    if reopen:
        ticket.reopen_count += 1
        ticket.resolved_at = ticket.closed_at = None
        ticket.handle_seconds = None  # handled again until the next resolution
    audit.record(ticket, "reopened" if reopen else "status_changed", actor, field="status",
                 before=current, after=to, reason=reason)
    return reopen


def record_answer(ticket: Ticket, now: datetime) -> None:
    """The first time an agent takes the ticket is its answer: the end of its first wait."""
    if ticket.answered_at is None:
        ticket.answered_at = now
        ticket.queue_wait_seconds = seconds_between(ticket.created_at, now)


def seconds_between(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def mark_handed_back(ticket: Ticket, agent, now: datetime, reason: str | None = None,
                     actor: Actor = SYSTEM) -> None:
    """Back to the front of the queue, untouched: a fresh stay whose requirements start exact."""
    audit.record(ticket, "handed_back", actor, field="assignee", before={"id": agent.id, "name": agent.name},
                 after=None, reason=reason or f"agent_{agent.presence.value}")
    ticket.assignee_id = None
    ticket.assignee = None
    ticket.handed_back = True
    ticket.queued_at = now
    ticket.routing_widening = 0


# ---------------------------------------------------------------- messages

def append_message(ticket: Ticket, body: str, internal: bool, actor: Actor, now: datetime) -> TicketMessage:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("The message is empty."), {"fields": {"body": ["required"]}})
    if ticket.status.value in lifecycle.FINAL_STATUSES:
        raise Conflict(_("This ticket is %(status)s; it takes no more messages.",
                         status=labels.staff_status(ticket.status.value)),
                       {"status": ticket.status.value}, code="ticket_final")
    message = TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind(actor.kind), author_user_id=actor.user_id,
                            author_name=actor.name, body=body, internal=internal, created_at=now)
    db.session.add(message)
    db.session.flush()
    if actor.kind == "agent" and not internal:
        ticket.agent_replies = (ticket.agent_replies or 0) + 1
        record_answer(ticket, now)  # a reply from the desk answers a ticket nobody was given
    audit.record(ticket, "note" if internal else "message", actor, message_id=message.id, internal=internal)
    return message


def record_first_response(ticket: Ticket, message: TicketMessage, actor: Actor) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = message.created_at
        audit.record(ticket, "first_response", actor, field="first_response_at", before=None,
                     after=message.created_at)


# ---------------------------------------------------------------- fields and promises

def check_changeable(ticket: Ticket) -> None:
    if ticket.status.value in lifecycle.FINAL_STATUSES:
        raise Conflict(_("This ticket is %(status)s and can no longer change.",
                         status=labels.staff_status(ticket.status.value)),
                       {"status": ticket.status.value}, code="ticket_final")


def set_fields(ticket: Ticket, changes: dict[str, Any], actor: Actor) -> set[str]:
    """Editable fields, each change audited; the names of those that changed."""
    changed = set()
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            continue
        if name == "category":
            chosen = category(value)
            if audit.set_field(ticket, "category_code", chosen.code if chosen else None, actor):
                changed.add(name)
            continue
        if name == "priority":
            value = Priority(value)
        elif name == "severity":
            value = Severity(value) if value else None
        if audit.set_field(ticket, name, value, actor):
            changed.add(name)
    return changed


def add_promises(ticket: Ticket, given: list[tuple[str, datetime]], actor: Actor, now: datetime) -> list[Promise]:
    """Promise rows with their audit; their clocks are the SLA's. A promise due by now would
    be broken the moment it is made (and its ticket read breached for good): refused."""
    if any(due_at <= now for _description, due_at in given):
        raise ValidationFailed(_("A promise must be due in the future."),
                               {"fields": {"due_at": ["must be in the future"]}})
    # ticket= (not ticket_id=) keeps ticket.promises current: the followers are read from it.
    promises = [Promise(ticket=ticket, description=description.strip(), due_at=due_at,
                        created_by_id=actor.user_id) for description, due_at in given]
    if not promises:
        return []
    db.session.add_all(promises)
    db.session.flush()
    for promise in promises:
        audit.record(ticket, "promise_made", actor, promise_id=promise.id, description=promise.description,
                     due_at=promise.due_at)
    return promises


def settle_promise(ticket: Ticket, promise_id: int, outcome: str, actor: Actor, now: datetime) -> Promise:
    """Mark a promise kept (or cancelled). A settled promise stays settled."""
    promise = db.session.get(Promise, promise_id)
    if promise is None or promise.ticket_id != ticket.id:
        raise NotFound(_("No such promise on this ticket."))
    if outcome not in (PromiseStatus.kept.value, PromiseStatus.cancelled.value):
        raise ValidationFailed(_("A promise is settled as kept or cancelled."),
                               {"fields": {"outcome": ["kept or cancelled"]}})
    if promise.status is not PromiseStatus.open:
        raise Conflict(_("This promise is already %(status)s.", status=promise.status.value),
                       {"status": promise.status.value}, code="promise_settled")
    promise.status = PromiseStatus(outcome)
    promise.settled_at = now
    audit.record(ticket, f"promise_{outcome}", actor, promise_id=promise.id, description=promise.description)
    return promise


def break_promise(ticket: Ticket, promise_id: int, now: datetime) -> None:
    """Its clock ran out while it was open."""
    promise = db.session.get(Promise, promise_id)
    if promise is not None and promise.status is PromiseStatus.open:
        promise.status, promise.settled_at = PromiseStatus.broken, now
        audit.record(ticket, "promise_broken", SYSTEM, promise_id=promise.id, description=promise.description)


def raise_priority(ticket: Ticket, actor: Actor) -> bool:
    """One step more urgent (never above P1); True if it moved."""
    current = triage.PRIORITIES.index(ticket.priority.value)
    if current == 0:
        return False
    return audit.set_field(ticket, "priority", Priority(triage.PRIORITIES[current - 1]), actor)


# ---------------------------------------------------------------- who the ticket is from

def locked_match(ticket: Ticket, match_id: int, actor: Actor) -> CustomerMatch:
    if not actor.is_staff:
        raise Forbidden(_("Only staff decide who a ticket is from."))
    match = db.session.get(CustomerMatch, match_id)
    if match is None or match.ticket_id != ticket.id:
        raise NotFound(_("No such suggestion on this ticket."))
    if match.status is not MatchStatus.pending:
        raise Conflict(_("This suggestion was already decided."), {"status": match.status.value},
                       code="match_decided")
    return match


def decide_matches(ticket: Ticket, confirmed: CustomerMatch | None, rejected: list[CustomerMatch], actor: Actor,
                   now: datetime) -> None:
    if confirmed is not None:
        confirmed.status, confirmed.decided_at, confirmed.decided_by_id = MatchStatus.confirmed, now, actor.user_id
    for match in rejected:
        match.status, match.decided_at, match.decided_by_id = MatchStatus.rejected, now, actor.user_id
        if confirmed is None:
            audit.record(ticket, "customer_match_rejected", actor, customer_id=match.customer_id)


def link_customer(ticket: Ticket, customer: Customer, actor: Actor, *, matched_on: list[str], new: bool) -> None:
    """The ticket is theirs now, audited; the caller lets priority, SLA and routing follow the tier."""
    ticket.customer, ticket.customer_id, ticket.customer_verified = customer, customer.id, True
    audit.record(ticket, "customer_linked", actor, field="customer_id", before=None, after=customer.id,
                 matched_on=matched_on, new_record=new)


def priority_for_tier(ticket: Ticket, actor: Actor) -> None:
    """A confirmed VIP's open ticket takes the priority its tier gives, if that is more urgent."""
    wanted = triage.default_priority(ticket.kind.value, ticket.severity.value if ticket.severity else None,
                                     ticket.effective_tier, ticket.category.default_priority if ticket.category else None)
    if triage.PRIORITIES.index(wanted) < triage.PRIORITIES.index(ticket.priority.value):
        audit.set_field(ticket, "priority", Priority(wanted), actor)  # raised, never lowered

"""Everything that changes a ticket. The only code that commits ticket changes.

Each function validates, changes rows, writes audit events, queues side effects with
events.py and commits once. Errors are DomainErrors with a translated message.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..actors import SYSTEM, Actor
from ..auth.models import Role, User
from ..customers import services as customers
from ..customers.identity import TRUSTED_SOURCES, effective_tier
from ..customers.models import Customer, CustomerMatch, MatchStatus
from ..customers.normalise import normalise_email, normalise_phone
from ..db_types import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ..events import emit_on_commit, enqueue_on_commit
from ..extensions import db
from ..notifications import services as notify
from ..routing import service as routing
from ..routing.offers import withdraw_for_ticket as withdraw_offers
from ..sla import service as sla
from . import audit, labels, lifecycle, permissions, status_links, triage
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

log = logging.getLogger(__name__)

EDITABLE_FIELDS = ("priority", "severity", "category", "subject", "language", "required_skills",
                   "resolution_summary", "root_cause", "responsible_department")


# ---------------------------------------------------------------- reading

def get_visible(ticket_id: int, actor: Actor, *, lock: bool = False) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id, with_for_update={"key_share": True} if lock else None,
                            populate_existing=lock)
    if ticket is None:
        raise NotFound(_("No ticket with id %(id)s.", id=ticket_id))
    if not permissions.can_view(actor, ticket.team_id, ticket.assignee_id):
        raise Forbidden(_("This ticket belongs to another team."))
    return ticket


class LinkExpired(DomainError):
    status = 410
    code = "link_expired"


def get_by_token(token: str, *, lock: bool = False) -> Ticket:
    """The ticket a customer's status link opens; unknown and expired links say so."""
    ticket = status_links.ticket_for(token, lock=lock)
    if ticket is None:
        raise NotFound(_("No ticket found for this link."))
    days = current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"]
    if status_links.expired(ticket, utcnow(), days):
        raise LinkExpired(_("This link has expired: the request ended more than %(days)s days ago.", days=days))
    return ticket


# ---------------------------------------------------------------- events

def rooms_for(ticket: Ticket) -> list[str]:
    """Who hears about a ticket: supervisors, its team and its assignee. Never another team."""
    rooms = ["supervisors"]
    if ticket.team_id:
        rooms.append(f"team:{ticket.team_id}")
    if ticket.assignee_id:
        rooms.append(f"user:{ticket.assignee_id}")
    return rooms


def summary_payload(ticket: Ticket, change: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "reference": ticket.reference,
        "change": change,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "subject": ticket.subject,
        "updated_at": utcnow().isoformat(),
    }


def _emit_updated(ticket: Ticket, change: str) -> None:
    emit_on_commit("ticket.updated", summary_payload(ticket, change), rooms_for(ticket))


# ---------------------------------------------------------------- create

def _request_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _replay(actor: Actor, key: str, request_hash: str) -> Ticket | None:
    row = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == actor.user_id, IdempotencyKey.key == key))
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise ValidationFailed(
            _("This Idempotency-Key was already used with a different request."),
            {"idempotency_key": key}, code="idempotency_key_reused")
    ticket = db.session.get(Ticket, row.ticket_id)
    if ticket is not None and not permissions.can_view(actor, ticket.team_id, ticket.assignee_id):
        # The key proves who sent the first request, not that they may still read its ticket.
        raise Forbidden(_("The ticket created with this Idempotency-Key is no longer one you may see."),
                        code="idempotent_replay_forbidden")
    return ticket


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    category = db.session.get(Category, code)
    if category is None or not category.active:
        known = db.session.scalars(select(Category.code).where(Category.active).order_by(Category.position)).all()
        raise ValidationFailed(_("Unknown category."), {"fields": {"category": [f"one of {list(known)}"]}})
    return category


def create_ticket(data: dict[str, Any], actor: Actor, *, idempotency_key: str | None = None,
                  with_status_link: bool = False) -> tuple[Ticket, bool]:
    """Create a ticket from validated input. Returns (ticket, created).

    With an idempotency key a retry returns the first ticket and created=False. With
    with_status_link the new ticket carries a fresh status-page token in `status_token`
    (not stored: only its hash is), for the page that shows it to the customer.
    """
    request_hash = _request_hash(data)
    if idempotency_key and actor.user_id:
        existing = _replay(actor, idempotency_key, request_hash)
        if existing is not None:
            return existing, False
    try:
        ticket = _insert_ticket(data, actor)
        ticket.status_token = status_links.issue(ticket.id) if with_status_link else None
        if idempotency_key and actor.user_id:
            db.session.add(IdempotencyKey(user_id=actor.user_id, key=idempotency_key,
                                          request_hash=request_hash, ticket_id=ticket.id))
        db.session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its ticket.
        db.session.rollback()
        if idempotency_key and actor.user_id:
            existing = _replay(actor, idempotency_key, request_hash)
            if existing is not None:
                return existing, False
        raise
    try:
        routing.route_ticket(ticket.id)  # its own short transaction, after the ticket is safe
    except Exception:  # the ticket exists: answer with it and let a job route it
        log.exception("routing ticket %s in its request failed; queued for a job", ticket.id)
        db.session.rollback()
        _enqueue_now(routing.ROUTE_TICKET_JOB, ticket.id)
    db.session.refresh(ticket)
    return ticket, True


def _enqueue_now(func: str, *args) -> None:
    """Outside any transaction: queue a job straight away (the sweep is the backstop)."""
    try:
        enqueue_on_commit(func, *args, queue="high")
        db.session.commit()
    except Exception:
        log.exception("could not queue %s%r; the periodic sweep will catch up", func, args)
        db.session.rollback()


def _insert_ticket(data: dict[str, Any], actor: Actor) -> Ticket:
    person = data["customer"]
    contact = customers.Contact.of(person)
    trusted = actor.kind in TRUSTED_SOURCES
    choice = person.get("id") or ("new" if person.get("new") else None)
    found = customers.resolve(contact, trusted=trusted, choice=choice if trusted else None,
                              language=data.get("language"))
    customer, verified = found.customer, found.verified
    category = _category(data.get("category"))
    kind = data["kind"]
    tier = effective_tier(customer.tier.value if customer else None, verified)  # privileges only for a trusted link
    severity = data.get("severity") or triage.classify_severity(kind, f"{data['subject']} {data['description']}")
    priority = data.get("priority") or triage.default_priority(kind, severity, tier)
    # A trusted link completes the contact from the record, so replies reach the person on record.
    phone = contact.phone or (customer.phone if verified and customer else None)
    email = contact.email or (customer.email if verified and customer else None)
    ticket = Ticket(
        kind=Kind(kind),
        channel=Channel(data["channel"]),
        status=Status.new,
        priority=Priority(priority),
        severity=Severity(severity) if severity else None,
        category=category,
        subject=data["subject"].strip(),
        description=data["description"].strip(),
        language=data.get("language") or (customer.language if customer else None) or "zh",
        required_skills=dict(data.get("required_skills") or ({category.skill: 1} if category and category.skill else {})),
        customer=customer,
        contact_name=contact.name,
        contact_phone=phone,
        contact_phone_norm=normalise_phone(phone),
        contact_email=email,
        contact_email_norm=normalise_email(email),
        customer_verified=verified,
        team_id=category.team_id if category else None,
        created_by_id=actor.user_id,
        created_at=utcnow(),
    )
    ticket.waiting_since = ticket.queued_at = ticket.created_at
    db.session.add(ticket)
    db.session.flush()
    ticket.reference = f"CC-{ticket.created_at.year}-{ticket.id:06d}"
    audit.record(ticket, "created", actor, after={
        "reference": ticket.reference, "kind": kind, "channel": data["channel"], "priority": priority,
        "severity": severity, "category": ticket.category_code, "team_id": ticket.team_id,
        "customer_id": customer.id if customer else None, "customer_verified": verified,
    })
    _suggest(ticket, found.suggestions)
    routing.apply_rules(ticket, tier, explicit_priority=bool(data.get("priority")),
                        explicit_skills=bool(data.get("required_skills")))
    sla.start_clocks(ticket, tier, ticket.created_at)
    _add_promises(ticket, [(p["description"], p["due_at"]) for p in data.get("promises") or []], actor)
    notify.acknowledge(ticket)
    _emit_updated(ticket, "created")
    return ticket


# ---------------------------------------------------------------- lifecycle

def transition(ticket_id: int, to: str, actor: Actor, *, reason: str | None = None,
               resolution: dict[str, str] | None = None) -> Ticket:
    ticket = get_visible(ticket_id, actor, lock=True)
    current = ticket.status.value
    if to not in lifecycle.STATUSES:
        raise ValidationFailed(_("Unknown status."), {"fields": {"to": [f"one of {list(lifecycle.STATUSES)}"]}})
    if not lifecycle.can_transition(current, to):
        raise Conflict(
            _("A ticket in status %(current)s cannot move to %(to)s.", current=labels.staff_status(current),
              to=labels.staff_status(to)),
            {"from": current, "to": to, "allowed": list(lifecycle.allowed_transitions(current))},
            code="transition_not_allowed")
    if to == lifecycle.CLOSED:
        for name, value in (resolution or {}).items():
            if name in lifecycle.COMPLAINT_CLOSE_FIELDS and value is not None:
                audit.set_field(ticket, name, value.strip(), actor)
        missing = lifecycle.missing_close_fields(
            ticket.kind.value, {f: getattr(ticket, f) for f in lifecycle.COMPLAINT_CLOSE_FIELDS})
        if missing:
            db.session.rollback()
            raise ValidationFailed(
                _("A complaint is closed only with its resolution summary, root cause and responsible department."),
                {"missing": missing}, code="resolution_required")
    _apply_status(ticket, to, actor, reason=reason)
    db.session.commit()
    return ticket


def _apply_status(ticket: Ticket, to: str, actor: Actor, *, reason: str | None = None) -> None:
    current = ticket.status.value
    now = utcnow()
    reopen = lifecycle.is_reopen(current, to)
    routing.seat_changing(ticket, current, to)
    sla.on_status(ticket, current, to, now)
    if current == lifecycle.NEW:
        withdraw_offers(ticket, actor)  # no longer waiting: an open offer lapses
    ticket.status = Status(to)
    if to == lifecycle.RESOLVED:
        ticket.resolved_at = now
    elif to == lifecycle.CLOSED:
        ticket.closed_at = now
    elif to == lifecycle.CANCELLED:
        ticket.cancelled_at = now
    if reopen:
        ticket.reopen_count += 1
        ticket.resolved_at = None
    audit.record(ticket, "reopened" if reopen else "status_changed", actor, field="status",
                 before=current, after=to, reason=reason)
    if to == lifecycle.RESOLVED:
        notify.status_changed(ticket)
    _emit_updated(ticket, "status")


# ---------------------------------------------------------------- messages

def add_message(ticket_id: int, body: str, internal: bool, actor: Actor) -> TicketMessage:
    """An agent's reply (public) or note (internal). The first public reply is the first response."""
    ticket = get_visible(ticket_id, actor, lock=True)
    if not actor.is_staff:
        raise Forbidden(_("Only staff write on a ticket here."))
    return _append_message(ticket, body, internal, actor)


def customer_reply(token: str, body: str) -> TicketMessage:
    ticket = get_by_token(token, lock=True)
    return _append_message(ticket, body, False, Actor.customer(ticket.contact_name))


def _append_message(ticket: Ticket, body: str, internal: bool, actor: Actor) -> TicketMessage:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("The message is empty."), {"fields": {"body": ["required"]}})
    if ticket.status.value in lifecycle.FINAL_STATUSES:
        raise Conflict(_("This ticket is %(status)s; it takes no more messages.",
                         status=labels.staff_status(ticket.status.value)),
                       {"status": ticket.status.value}, code="ticket_final")
    message = TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind(actor.kind), author_user_id=actor.user_id,
                            author_name=actor.name, body=body, internal=internal, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    audit.record(ticket, "note" if internal else "message", actor, message_id=message.id, internal=internal)
    if actor.is_staff and not internal:
        sla.on_agent_reply(ticket, message.created_at)
        if ticket.first_response_at is None:
            ticket.first_response_at = message.created_at
            audit.record(ticket, "first_response", actor, field="first_response_at",
                         before=None, after=message.created_at)
        new_status = lifecycle.status_after_agent_reply(ticket.status.value)
        if new_status != ticket.status.value:
            _apply_status(ticket, new_status, actor, reason="agent_replied")
        notify.agent_replied(ticket, message)
    elif actor.kind == "customer":
        sla.on_customer_message(ticket, message.created_at)
        new_status, _reopen = lifecycle.status_after_customer_reply(ticket.status.value)
        if new_status != ticket.status.value:
            _apply_status(ticket, new_status, actor, reason="customer_replied")
    emit_on_commit("ticket.message", {
        "ticket_id": ticket.id, "message_id": message.id, "author_kind": actor.kind,
        "author_name": actor.name, "internal": internal, "body": body[:500],
        "created_at": message.created_at.isoformat(),
    }, rooms_for(ticket))
    db.session.commit()
    return message


# ---------------------------------------------------------------- assignment

def assign(ticket_id: int, agent_id: int, actor: Actor, *, override: bool = False, pin: bool = False) -> Ticket:
    """Give a ticket to an agent (supervisors), or take it (an agent, for themselves).

    Nobody goes over capacity, except when a supervisor explicitly overrides.
    """
    ticket = get_visible(ticket_id, actor, lock=True)
    if not permissions.can_assign(actor, agent_id, ticket.assignee_id):
        raise Forbidden(_("Agents may only take unassigned tickets, for themselves."))
    routing.lock_agents([ticket.assignee_id, agent_id])  # ticket first, then agents: read capacity under lock
    agent = db.session.get(User, agent_id, populate_existing=True)
    if agent is None or not agent.active or agent.role not in (Role.agent, Role.supervisor):
        raise ValidationFailed(_("No active agent with id %(id)s.", id=agent_id),
                               {"fields": {"agent_id": ["unknown or inactive agent"]}})
    if ticket.status.value not in lifecycle.ASSIGNABLE:
        raise Conflict(_("A ticket in status %(status)s cannot be assigned.",
                         status=labels.staff_status(ticket.status.value)),
                       {"status": ticket.status.value}, code="not_assignable")
    if (override or pin) and not actor.is_supervisor:
        raise Forbidden(_("Only supervisors may pin a ticket or assign over capacity."))
    if ticket.assignee_id == agent.id:
        if ticket.pinned != pin:
            audit.set_field(ticket, "pinned", pin, actor)
            db.session.commit()
        return ticket
    load = routing.seat_load(agent.id)  # tickets held and offers open
    if load >= agent.capacity and not override:
        raise Conflict(_("%(name)s is at capacity (%(load)s of %(capacity)s).", name=agent.name, load=load,
                         capacity=agent.capacity),
                       {"load": load, "capacity": agent.capacity}, code="agent_at_capacity")
    apply_assignment(ticket, agent, actor, rule="manual", load_before=load, capacity=agent.capacity,
                     override=bool(override and load >= agent.capacity))
    agent.last_assigned_at = utcnow()  # manual work counts for fairness too
    if ticket.pinned != pin:
        audit.set_field(ticket, "pinned", pin, actor)
    db.session.commit()
    return ticket





def apply_assignment(ticket: Ticket, agent: User, actor: Actor, **why: Any) -> None:
    """Set the assignee with its audit and events; the caller commits (routing uses this too).

    The caller holds the locks of the ticket and of both agents (routing.lock_agents).
    """
    before = {"id": ticket.assignee.id, "name": ticket.assignee.name} if ticket.assignee else None
    previous_id = ticket.assignee_id
    withdraw_offers(ticket, actor)
    previous_rooms = rooms_for(ticket)
    ticket.assignee = agent
    ticket.assignee_id = agent.id
    ticket.assigned_at = utcnow()
    if ticket.team_id not in agent.team_ids and agent.teams:
        audit.set_field(ticket, "team_id", agent.teams[0].id, actor)
    audit.record(ticket, "assigned", actor, field="assignee", before=before,
                 after={"id": agent.id, "name": agent.name}, **why)
    new_status = lifecycle.status_after_assignment(ticket.status.value)
    if new_status != ticket.status.value:
        _apply_status(ticket, new_status, actor, reason="assigned")
    if previous_id and previous_id != agent.id and ticket.status.value in lifecycle.LOAD_STATUSES:
        enqueue_on_commit(routing.ROUTE_FOR_AGENT_JOB, previous_id, queue="high")  # transfer frees a seat
    payload = summary_payload(ticket, "assigned")
    payload["assignee_name"] = agent.name
    emit_on_commit("ticket.assigned", payload, previous_rooms + rooms_for(ticket))


# ---------------------------------------------------------------- fields and promises

def update_fields(ticket_id: int, changes: dict[str, Any], actor: Actor) -> Ticket:
    ticket = get_visible(ticket_id, actor, lock=True)
    if ticket.status.value in lifecycle.FINAL_STATUSES:
        raise Conflict(_("This ticket is %(status)s and can no longer change.",
                         status=labels.staff_status(ticket.status.value)),
                       {"status": ticket.status.value}, code="ticket_final")
    changed = False
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            continue
        if name == "category":
            category = _category(value)
            changed |= audit.set_field(ticket, "category_code", category.code if category else None, actor)
            continue
        if name == "priority":
            value = Priority(value)
        elif name == "severity":
            value = Severity(value) if value else None
        changed |= audit.set_field(ticket, name, value, actor)
    if changed:
        _emit_updated(ticket, "fields")
        if {"priority", "category", "severity"} & set(changes):
            sla.retarget(ticket, ticket.effective_tier, utcnow())
        if routing.is_waiting(ticket):  # new skills, team or priority may find an agent now
            enqueue_on_commit(routing.ROUTE_TICKET_JOB, ticket.id, queue="high")
    db.session.commit()
    return ticket


def _add_promises(ticket: Ticket, given: list[tuple[str, datetime]], actor: Actor) -> list[Promise]:
    """Promises with their audit rows and clocks; the ticket's own work is done once for all."""
    promises = [Promise(ticket_id=ticket.id, description=description.strip(), due_at=due_at,
                        created_by_id=actor.user_id) for description, due_at in given]
    db.session.add_all(promises)
    db.session.flush()
    for promise in promises:
        audit.record(ticket, "promise_made", actor, promise_id=promise.id, description=promise.description,
                     due_at=promise.due_at)
    sla.start_promises(ticket, promises, utcnow())
    return promises


def add_promise(ticket_id: int, description: str, due_at: datetime, actor: Actor) -> Promise:
    ticket = get_visible(ticket_id, actor, lock=True)
    if not ticket.is_open:
        raise Conflict(_("Promises are made on open tickets only."), {"status": ticket.status.value},
                       code="ticket_not_open")
    [promise] = _add_promises(ticket, [(description, due_at)], actor)
    _emit_updated(ticket, "promise")
    db.session.commit()
    return promise


def settle_promise(ticket_id: int, promise_id: int, outcome: str, actor: Actor) -> Promise:
    """Mark a promise kept (or cancelled). A settled promise stays settled."""
    ticket = get_visible(ticket_id, actor, lock=True)
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
    promise.settled_at = utcnow()
    sla.settle_promise(ticket, promise, promise.settled_at)
    audit.record(ticket, f"promise_{outcome}", actor, promise_id=promise.id, description=promise.description)
    _emit_updated(ticket, "promise")
    db.session.commit()
    return promise


# ---------------------------------------------------------------- who the ticket is from

def _suggest(ticket: Ticket, suggestions: list[tuple[Customer, tuple[str, ...]]]) -> None:
    """Records that hold the phone or email of a ticket from an unverified source, for staff to decide."""
    for customer, matched in suggestions:
        db.session.add(CustomerMatch(ticket_id=ticket.id, customer_id=customer.id, matched_on=list(matched)))
    if suggestions:
        audit.record(ticket, "customer_match_suggested", SYSTEM,
                     matches=[{"customer_id": c.id, "matched_on": list(m)} for c, m in suggestions])


def pending_matches(ticket_id: int) -> list[CustomerMatch]:
    return list(db.session.scalars(select(CustomerMatch).where(
        CustomerMatch.ticket_id == ticket_id, CustomerMatch.status == MatchStatus.pending).order_by(CustomerMatch.id)))


def _locked_match(ticket_id: int, match_id: int, actor: Actor) -> tuple[Ticket, CustomerMatch]:
    ticket = get_visible(ticket_id, actor, lock=True)
    if not actor.is_staff:
        raise Forbidden(_("Only staff decide who a ticket is from."))
    match = db.session.get(CustomerMatch, match_id)
    if match is None or match.ticket_id != ticket.id:
        raise NotFound(_("No such suggestion on this ticket."))
    if match.status is not MatchStatus.pending:
        raise Conflict(_("This suggestion was already decided."), {"status": match.status.value},
                       code="match_decided")
    return ticket, match


def confirm_match(ticket_id: int, match_id: int, actor: Actor) -> Ticket:
    """Staff confirm the ticket is from the person on record: it joins their history and tier."""
    ticket, match = _locked_match(ticket_id, match_id, actor)
    now = utcnow()
    for other in pending_matches(ticket.id):
        other.status = MatchStatus.confirmed if other.id == match.id else MatchStatus.rejected
        other.decided_at, other.decided_by_id = now, actor.user_id
    _link(ticket, match.customer, actor, now, matched_on=match.matched_on)
    db.session.commit()
    return ticket


def reject_match(ticket_id: int, match_id: int, actor: Actor) -> Ticket:
    """Not this person. When no suggestion is left, the ticket's contact becomes a record of its own."""
    ticket, match = _locked_match(ticket_id, match_id, actor)
    now = utcnow()
    match.status, match.decided_at, match.decided_by_id = MatchStatus.rejected, now, actor.user_id
    audit.record(ticket, "customer_match_rejected", actor, customer_id=match.customer_id)
    if ticket.customer_id is None and not pending_matches(ticket.id):
        _link_new_contact(ticket, actor, now)
    db.session.commit()
    return ticket


def _link_new_contact(ticket: Ticket, actor: Actor, now: datetime) -> None:
    contact = customers.Contact(ticket.contact_name, ticket.contact_phone, ticket.contact_email)
    _link(ticket, customers.create(contact, ticket.language), actor, now, matched_on=[], new=True)


def _link(ticket: Ticket, customer: Customer, actor: Actor, now: datetime, *, matched_on: list[str],
          new: bool = False) -> None:
    """Link and audit; the record's tier now counts, so priority, SLA and routing follow it."""
    ticket.customer, ticket.customer_id, ticket.customer_verified = customer, customer.id, True
    audit.record(ticket, "customer_linked", actor, field="customer_id", before=None, after=customer.id,
                 matched_on=matched_on, new_record=new)
    tier = ticket.effective_tier
    if ticket.is_open:
        wanted = triage.default_priority(ticket.kind.value, ticket.severity.value if ticket.severity else None, tier)
        if triage.PRIORITIES.index(wanted) < triage.PRIORITIES.index(ticket.priority.value):
            audit.set_field(ticket, "priority", Priority(wanted), actor)  # a confirmed VIP is raised, never lowered
        sla.retarget(ticket, tier, now)
        if routing.is_waiting(ticket):
            enqueue_on_commit(routing.ROUTE_TICKET_JOB, ticket.id, queue="high")
    _emit_updated(ticket, "customer")


# ---------------------------------------------------------------- status links

def new_status_link(ticket_id: int, actor: Actor) -> str:
    """Staff issue a fresh link to read to the caller (shown once)."""
    ticket = get_visible(ticket_id, actor, lock=True)
    token = status_links.issue(ticket.id)
    audit.record(ticket, "status_link_issued", actor)
    db.session.commit()
    return token


def revoke_status_links(ticket_id: int, actor: Actor) -> int:
    """Someone else has the link: every link of the ticket stops working."""
    ticket = get_visible(ticket_id, actor, lock=True)
    count = status_links.revoke_all(ticket.id, utcnow())
    audit.record(ticket, "status_links_revoked", actor, count=count)
    db.session.commit()
    return count


def resend_status_link(reference: str, contact: str) -> bool:
    """A customer who lost the link asks for it by reference and the phone or email on the ticket.

    The link goes to that contact only. The caller answers the same whatever this returns,
    so the form tells nobody which references or contacts exist.
    """
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == (reference or "").strip().upper()))
    if ticket is None or ticket.anonymised_at is not None:
        return False
    if status_links.expired(ticket, utcnow(), current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"]):
        return False
    email, phone = normalise_email(contact), normalise_phone(contact)
    if "@" in (contact or "") and email and email == ticket.contact_email_norm:
        queued = notify.status_link(ticket, "email")
    elif phone and phone == ticket.contact_phone_norm:
        queued = notify.status_link(ticket, "sms")
    else:
        return False
    audit.record(ticket, "status_link_resent", SYSTEM, channel=queued.channel if queued else None)
    db.session.commit()
    return queued is not None


__all__ = ["create_ticket", "transition", "add_message", "customer_reply", "assign", "apply_assignment",
           "update_fields", "add_promise", "settle_promise", "get_visible", "get_by_token", "SYSTEM"]

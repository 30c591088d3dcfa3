"""Ticket use cases: create, move, reply, edit, promise, decide who it is from, status links."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from ..actors import SYSTEM, Actor
from ..console.rooms import rooms_for, ticket_summary
from ..customers import services as customers
from ..customers.identity import TRUSTED_SOURCES
from ..customers.models import Customer
from ..customers.normalise import normalise_email, normalise_phone
from ..db_types import utcnow
from ..effects import Effects
from ..errors import Conflict, Forbidden
from ..extensions import db
from ..notifications import services as notify
from ..routing import service as routing
from ..sla import service as sla
from ..sla import summaries as sla_summaries
from ..tickets import access, audit, changes, collisions, lifecycle, status_links
from ..tickets.models import Promise, Ticket, TicketMessage
from . import routing as route_actions
from . import unit_of_work
from .status import change_status

log = logging.getLogger(__name__)


def _announce(ticket: Ticket, change: str, now: datetime, fx: Effects) -> None:
    fx.emit("ticket.updated", ticket_summary(ticket, change, now), rooms_for(ticket))


# ---------------------------------------------------------------- create

def create_ticket(data: dict[str, Any], actor: Actor, *, idempotency_key: str | None = None,
                  with_status_link: bool = False, now: datetime | None = None) -> tuple[Ticket, bool]:
    """A ticket from validated input, then routed at once. Returns (ticket, created).

    With an idempotency key a retry returns the first ticket and created=False. With
    with_status_link the new ticket carries a fresh status-page token in `status_token`
    (not stored: only its hash is), for the page that shows it to the customer.
    """
    now = now or utcnow()
    digest = changes.request_hash(data)
    keyed = bool(idempotency_key and actor.user_id)
    if keyed:
        existing = changes.replay(actor, idempotency_key, digest)
        if existing is not None:
            return existing, False
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False  # the answer is the rows in hand
    try:
        return _create(data, actor, digest, keyed, idempotency_key, with_status_link, now)
    finally:
        session.expire_on_commit = expiring


def _create(data: dict[str, Any], actor: Actor, digest: str, keyed: bool, idempotency_key: str | None,
            with_status_link: bool, now: datetime) -> tuple[Ticket, bool]:
    for route_here in (True, False):
        try:
            # Flushed where an id is needed and at the commit, not before every read: the rows
            # this transaction writes go out together (the reads here never need them).
            with unit_of_work(durable=True) as fx, db.session.no_autoflush:
                ticket = _new_ticket(data, actor, now, fx)
                ticket.status_token = status_links.issue(ticket.id) if with_status_link else None
                if keyed:
                    changes.remember(actor, idempotency_key, digest, ticket)
                _route(ticket, route_here, now, fx)  # last: the agent's row is locked until the commit
                clocks = sla_summaries.clock_summaries(ticket, now)  # for the answer, from the clocks in hand
            break
        except (_RoutingFailed, OperationalError):
            if not route_here:
                raise
            log.exception("routing a new ticket in its transaction failed; made again, a job routes it")
        except IntegrityError:
            if keyed:  # the same key raced us and won: answer with its ticket
                existing = changes.replay(actor, idempotency_key, digest)
                if existing is not None:
                    return existing, False
            raise
    # The commit left the rows as written (not expired): the answer reads them, and nothing
    # again from the database.
    ticket.clock_summaries = clocks
    return ticket, True


class _RoutingFailed(Exception):
    """Routing a new ticket failed inside its transaction: the ticket is made again without it."""


def _route(ticket: Ticket, here: bool, now: datetime, fx: Effects) -> None:
    """Route the new ticket in its own transaction (one commit for both); if that fails, the
    whole transaction is undone (a failed statement spoils it) and made again with a job to route."""
    if not here:
        routing.route_soon(ticket.id, fx)
        return
    try:
        route_actions.route_new(ticket, now, fx)
    except Exception as failure:
        raise _RoutingFailed from failure


def _new_ticket(data: dict[str, Any], actor: Actor, now: datetime, fx: Effects) -> Ticket:
    person = data["customer"]
    contact = customers.Contact.of(person)
    trusted = actor.kind in TRUSTED_SOURCES
    choice = person.get("id") or ("new" if person.get("new") else None)
    found = customers.resolve(contact, trusted=trusted, choice=choice if trusted else None,
                              language=data.get("language"))
    ticket = changes.new_ticket(data, actor, contact, found.customer, found.verified, now)
    changes.suggest(ticket, found.suggestions)
    tier = ticket.effective_tier
    routing.apply_rules(ticket, tier, explicit_priority=bool(data.get("priority")),
                        explicit_skills=bool(data.get("required_skills")))
    sla.start_clocks(ticket, tier, now, fx)
    given = [(p["description"], p["due_at"]) for p in data.get("promises") or []]
    sla.start_promises(ticket, changes.add_promises(ticket, given, actor, now), now, fx)
    notify.acknowledge(ticket, fx)
    _announce(ticket, "created", now, fx)
    return ticket


# ---------------------------------------------------------------- lifecycle

def transition(ticket_id: int, to: str, actor: Actor, *, reason: str | None = None,
               resolution: dict[str, str] | None = None, now: datetime | None = None) -> Ticket:
    """A person moves a ticket to another status the state machine allows."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        changes.check_transition(ticket, to)
        changes.check_promises_settled(ticket, to)
        if to == lifecycle.CLOSED:
            changes.record_resolution(ticket, resolution, actor)
        change_status(ticket, to, actor, now, fx, reason=reason)
    return ticket


# ---------------------------------------------------------------- messages

def add_message(ticket_id: int, body: str, internal: bool, actor: Actor, now: datetime | None = None,
                seen_event_id: int | None = None) -> TicketMessage:
    """An agent's reply (public) or note (internal). The first public reply is the first response.

    seen_event_id: the last audit event the author had seen when the draft began; the reply is
    refused (409 ticket_changed) if others wrote or changed the status since (checked under the lock).
    """
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        if not actor.is_staff:
            raise Forbidden(_("Only staff write on a ticket here."))
        collisions.check_seen(ticket.id, seen_event_id, actor)
        return _message(ticket, body, internal, actor, now, fx)


def customer_reply(token: str, body: str, now: datetime | None = None) -> TicketMessage:
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_by_token(token, now, current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"], lock=True)
        return _message(ticket, body, False, Actor.customer(ticket.contact_name), now, fx)


def _message(ticket: Ticket, body: str, internal: bool, actor: Actor, now: datetime, fx: Effects) -> TicketMessage:
    message = changes.append_message(ticket, body, internal, actor, now)
    if actor.is_staff and not internal:
        sla.on_agent_reply(ticket, now, fx)
        changes.record_first_response(ticket, message, actor)
        after = lifecycle.status_after_agent_reply(ticket.status.value)
        if after != ticket.status.value:
            change_status(ticket, after, actor, now, fx, reason="agent_replied")
        notify.agent_replied(ticket, message, fx)
    elif actor.kind == "customer":
        sla.on_customer_message(ticket, now, fx)
        after, _reopen = lifecycle.status_after_customer_reply(ticket.status.value)
        if after != ticket.status.value:
            change_status(ticket, after, actor, now, fx, reason="customer_replied")
    fx.emit("ticket.message", {
        "ticket_id": ticket.id, "message_id": message.id, "author_kind": actor.kind,
        "author_name": actor.name, "internal": internal, "body": message.body[:500],
        "created_at": message.created_at.isoformat(),
    }, rooms_for(ticket))
    return message


# ---------------------------------------------------------------- fields and promises

def priority_changed(ticket: Ticket, now: datetime, fx: Effects) -> None:
    """What a new priority (or category, or severity) sets off, whoever changed it: the SLA
    targets that match now, and routing for a ticket still waiting."""
    sla.retarget(ticket, ticket.effective_tier, now, fx)
    if routing.is_waiting(ticket):  # new skills, team or priority may find an agent now
        routing.route_soon(ticket.id, fx)
    _announce(ticket, "fields", now, fx)


def update_fields(ticket_id: int, edits: dict[str, Any], actor: Actor, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        changes.check_changeable(ticket)
        changed = changes.set_fields(ticket, edits, actor)
        if changed & {"priority", "category", "severity"}:
            priority_changed(ticket, now, fx)
        elif changed:
            _announce(ticket, "fields", now, fx)
            if routing.is_waiting(ticket):
                routing.route_soon(ticket.id, fx)
    return ticket


def add_promise(ticket_id: int, description: str, due_at: datetime, actor: Actor,
                now: datetime | None = None) -> Promise:
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        if not ticket.is_open:
            raise Conflict(_("Promises are made on open tickets only."), {"status": ticket.status.value},
                           code="ticket_not_open")
        promises = changes.add_promises(ticket, [(description, due_at)], actor, now)
        sla.start_promises(ticket, promises, now, fx)
        _announce(ticket, "promise", now, fx)
    return promises[0]


def settle_promise(ticket_id: int, promise_id: int, outcome: str, actor: Actor, now: datetime | None = None) -> Promise:
    """Mark a promise kept (or cancelled); its clock stops."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        changes.check_changeable(ticket)  # a closed or cancelled ticket's promises stay as they ended
        promise = changes.settle_promise(ticket, promise_id, outcome, actor, now)
        sla.settle_promise(ticket, promise, now, fx)
        _announce(ticket, "promise", now, fx)
    return promise


# ---------------------------------------------------------------- who the ticket is from

def confirm_match(ticket_id: int, match_id: int, actor: Actor, now: datetime | None = None) -> Ticket:
    """Staff confirm the ticket is from the person on record: it joins their history and tier."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        match = changes.locked_match(ticket, match_id, actor)
        others = [m for m in access.pending_matches(ticket.id) if m.id != match.id]
        changes.decide_matches(ticket, match, others, actor, now)
        _link(ticket, match.customer, actor, now, fx, matched_on=match.matched_on)
    return ticket


def reject_match(ticket_id: int, match_id: int, actor: Actor, now: datetime | None = None) -> Ticket:
    """Not this person. When no suggestion is left, the ticket's contact becomes a record of its own."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(ticket_id, actor, lock=True)
        match = changes.locked_match(ticket, match_id, actor)
        changes.decide_matches(ticket, None, [match], actor, now)
        if ticket.customer_id is None and not access.pending_matches(ticket.id):
            contact = customers.Contact(ticket.contact_name, ticket.contact_phone, ticket.contact_email)
            _link(ticket, customers.create(contact, ticket.language), actor, now, fx, matched_on=[], new=True)
    return ticket


def _link(ticket: Ticket, customer: Customer, actor: Actor, now: datetime, fx: Effects, *, matched_on: list[str],
          new: bool = False) -> None:
    """Link and audit; the record's tier now counts, so priority, SLA and routing follow it."""
    changes.link_customer(ticket, customer, actor, matched_on=matched_on, new=new)
    if ticket.is_open:
        changes.priority_for_tier(ticket, actor)
        sla.retarget(ticket, ticket.effective_tier, now, fx)
        if routing.is_waiting(ticket):
            routing.route_soon(ticket.id, fx)
    _announce(ticket, "customer", now, fx)


# ---------------------------------------------------------------- status links

def new_status_link(ticket_id: int, actor: Actor) -> str:
    """Staff issue a fresh link to read to the caller (shown once)."""
    with unit_of_work():
        ticket = access.get_visible(ticket_id, actor, lock=True)
        token = status_links.issue(ticket.id)
        audit.record(ticket, "status_link_issued", actor)
    return token


def revoke_status_links(ticket_id: int, actor: Actor, now: datetime | None = None) -> int:
    """Someone else has the link: every link of the ticket stops working."""
    now = now or utcnow()
    with unit_of_work():
        ticket = access.get_visible(ticket_id, actor, lock=True)
        count = status_links.revoke_all(ticket.id, now)
        audit.record(ticket, "status_links_revoked", actor, count=count)
    return count


def resend_status_link(reference: str, contact: str, now: datetime | None = None) -> bool:
    """A customer who lost the link asks for it by reference and the phone or email on the ticket.

    The link goes to that contact only. The caller answers the same whatever this returns,
    so the form tells nobody which references or contacts exist.
    """
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == (reference or "").strip().upper()))
        if ticket is None or ticket.anonymised_at is not None:
            return False
        if status_links.expired(ticket, now, current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"]):
            return False
        email, phone = normalise_email(contact), normalise_phone(contact)
        if "@" in (contact or "") and email and email == ticket.contact_email_norm:
            queued = notify.status_link(ticket, "email", fx)
        elif phone and phone == ticket.contact_phone_norm:
            queued = notify.status_link(ticket, "sms", fx)
        else:
            return False
        audit.record(ticket, "status_link_resent", SYSTEM, channel=queued.channel if queued else None)
    return queued is not None

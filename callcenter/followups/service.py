"""Follow-ups against the database: callbacks and revisits as rows, each try at reaching the
customer, surveys and service recoveries. Inside the caller's transaction; nothing here commits
or publishes (callcenter/actions/followups.py does), and routing decisions come from the
routing engine through the actions.

The row is the truth. A follow-up's timer is an RQ job at next_attempt_at whose id names the
try it is for, so a duplicated job collapses; the sweep finds what a lost job left behind.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, or_, select

from ..actors import SYSTEM, Actor
from ..auth.models import Presence, Skill, User
from ..console.rooms import SUPERVISORS, team_room, user_room
from ..customers.identity import effective_tier
from ..customers.models import Customer
from ..customers.normalise import normalise_phone
from ..db_types import utcnow
from ..effects import Effects
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..routing import engine
from ..sla.calendar import BusinessCalendar, NeverOpen
from ..sla.calendars import calendar_named
from ..sla.models import SlaCalendar
from ..tickets import audit, lifecycle
from ..tickets.models import Kind, Status, Ticket
from . import timing
from .models import (
    DEFAULT_REVISIT_RULES,
    OPEN_FOLLOWUP,
    FollowUp,
    FollowUpAttempt,
    FollowUpKind,
    FollowUpPolicy,
    FollowUpStatus,
    Outcome,
    Recovery,
    Survey,
)

DUE_JOB = "callcenter.followups.jobs.due"
WARN_JOB = "callcenter.followups.jobs.warn"
ROUTE_JOB = "callcenter.followups.jobs.route"
POLICY_ID = 1


# ---------------------------------------------------------------- the policy

@dataclass(frozen=True)
class Settings:
    """The follow-up policy as plain values (the row's, or the defaults before anyone saved one)."""
    calendar: str = "24x7"
    tz: str = "Asia/Shanghai"
    quiet_hours: str = ""  # the desk's do-not-call hours for everyone, e.g. 21:00-08:00
    retry_schedule: tuple[str, ...] = ("15m", "1h", "next_morning")
    max_attempts: int = 3
    callback_skill: str | None = None
    slot_minutes: int = 60
    warn_before_seconds: int = 600
    revisit_rules: tuple[dict[str, Any], ...] = field(default_factory=lambda: tuple(DEFAULT_REVISIT_RULES))
    revisit_window_seconds: int = 16 * 3600
    survey_expiry_days: int = 14
    survey_reminder_days: int = 3
    survey_per_customer_days: int = 7
    auto_close_days: int = 7

    @property
    def steps(self) -> tuple[timing.Step, ...]:
        return timing.parse_schedule(self.retry_schedule)

    def as_dict(self) -> dict[str, Any]:
        return {name: (list(value) if isinstance(value, tuple) else value)
                for name, value in self.__dict__.items()}


FIELDS = tuple(Settings.__dataclass_fields__)


def settings() -> Settings:
    row = db.session.get(FollowUpPolicy, POLICY_ID)
    if row is None:
        return Settings()
    return Settings(**{name: (tuple(getattr(row, name)) if name in ("retry_schedule", "revisit_rules")
                              else getattr(row, name)) for name in FIELDS})


def save_settings(changes: dict[str, Any], actor: Actor) -> Settings:
    """Write the policy (the caller validated the values) and log what changed."""
    row = db.session.get(FollowUpPolicy, POLICY_ID, with_for_update=True)
    if row is None:
        row = FollowUpPolicy(id=POLICY_ID, **Settings().as_dict())
        db.session.add(row)
    for name, value in changes.items():
        setattr(row, name, list(value) if isinstance(value, tuple) else value)
    db.session.flush()
    return settings()


def calendar_exists(name: str) -> bool:
    return name == "24x7" or bool(db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == name)))


def skill_exists(code: str) -> bool:
    return bool(db.session.scalar(select(Skill.code).where(Skill.code == code, Skill.active)))


def desk_calendar(st: Settings) -> BusinessCalendar:
    return calendar_named(st.calendar)


def quiet_hours(customer: Customer | None, st: Settings) -> tuple[timing.Interval, ...]:
    """When nobody is called: the desk's quiet hours for everyone, and the customer's own."""
    out: tuple[timing.Interval, ...] = ()
    for text in (st.quiet_hours, customer.do_not_call if customer else None):
        try:
            out += timing.parse_quiet_hours(text)
        except ValueError:
            pass  # a value saved before it was checked: nobody is kept from calling
    return out


# ---------------------------------------------------------------- callbacks

WINDOW_MESSAGES = {
    "ends_before_start": lambda: _("The window must end after it starts."),
    "in_past": lambda: _("The window has already begun: choose a later one."),
    "outside_open_hours": lambda: _("The window must lie inside our opening hours: choose one of the offered times."),
    "in_quiet_hours": lambda: _("The window falls in the customer's do-not-call hours."),
    "too_far_ahead": lambda: _("The window is too far ahead: choose one within 30 days."),
}


def check_window(start: datetime, end: datetime, now: datetime, st: Settings, customer: Customer | None) -> None:
    problem = timing.window_problem(start, end, now, desk_calendar(st), st.tz, quiet_hours(customer, st))
    if problem:
        raise ValidationFailed(WINDOW_MESSAGES[problem](), {"fields": {"window_start": [problem]}}, code=problem)


def slots(now: datetime, st: Settings, customer: Customer | None, count: int = 12) -> list[tuple[datetime, datetime]]:
    """The windows offered: "as soon as possible" first when a call may be made now (the
    callback then waits in the queue like a call would), then whole slots."""
    calendar, quiet = desk_calendar(st), quiet_hours(customer, st)
    try:
        asap = timing.asap_window(now, calendar, st.tz, quiet, st.slot_minutes)
    except NeverOpen:  # do-not-call hours cover every open hour: no time to offer
        return []
    later = timing.offered_slots(now, calendar, st.tz, quiet, st.slot_minutes, count=count - (asap is not None))
    return ([asap] if asap else []) + later


def leaves_time_to_call(st: Settings, customer_hours: str | None = None) -> bool:
    """Whether the desk's quiet hours and a customer's leave any open time to call in."""
    quiet = quiet_hours(None, st) + timing.parse_quiet_hours(customer_hours)
    try:
        timing.earliest_allowed(utcnow(), desk_calendar(st), st.tz, quiet)
    except NeverOpen:
        return False
    return True


def not_now(followup: FollowUp, now: datetime, st: Settings, fx: Effects) -> bool:
    """Checked as it is given to an agent: a follow-up that waited into closing time or
    do-not-call hours is scheduled again for the next time it may be made. True if so."""
    customer = db.session.get(Customer, followup.customer_id) if followup.customer_id else None
    calendar, quiet = desk_calendar(st), quiet_hours(customer, st)
    try:
        if timing.allowed(now, calendar, st.tz, quiet):
            return False
        followup.next_attempt_at = timing.earliest_allowed(now, calendar, st.tz, quiet)
    except NeverOpen:
        _close(followup, FollowUpStatus.unreachable, "no_time_to_call", now)
        announce(followup, "followup.updated", fx)
        return True
    followup.status = FollowUpStatus.scheduled
    schedule_timer(followup, fx)
    announce(followup, "followup.updated", fx)
    return True


def customer_by_phone(phone_norm: str | None) -> Customer | None:
    if not phone_norm:
        return None
    return db.session.scalar(select(Customer).where(Customer.phone_norm == phone_norm, Customer.erased_at.is_(None))
                             .order_by(Customer.id).limit(1))


def new_callback(data: dict[str, Any], ticket: Ticket | None, actor: Actor, now: datetime, st: Settings,
                 fx: Effects, *, requested_by: str) -> FollowUp:
    """A callback at the window the customer chose. Its place in the queue: the ticket's, while
    that ticket still waits (its waiting time is not reset); else the window's start."""
    phone_norm = normalise_phone(data["phone"])
    if not phone_norm:
        raise ValidationFailed(_("This is not a phone number we can call."), {"fields": {"phone": ["invalid"]}})
    customer = ticket.customer if ticket is not None and ticket.customer else customer_by_phone(phone_norm)
    check_window(data["window_start"], data["window_end"], now, st, customer)
    waiting_ticket = ticket is not None and ticket.status is Status.new and ticket.assignee_id is None
    skills = dict(ticket.required_skills or {}) if ticket is not None else {}
    if not skills and st.callback_skill:
        skills = {st.callback_skill: 1}
    followup = FollowUp(
        kind=FollowUpKind.callback, status=FollowUpStatus.scheduled, ticket_id=ticket.id if ticket else None,
        customer_id=customer.id if customer else None, name=data.get("name") or (ticket.contact_name if ticket else ""),
        phone=data["phone"].strip(), phone_norm=phone_norm, note=data.get("note"),
        language=data.get("language") or (ticket.language if ticket else None) or (customer.language if customer else None)
        or "zh",
        window_start=data["window_start"], window_end=data["window_end"], next_attempt_at=data["window_start"],
        priority=ticket.priority.value if ticket else "P2",
        tier=ticket.effective_tier if ticket else effective_tier(customer.tier.value if customer else None, False),
        required_skills=skills, team_id=ticket.team_id if ticket else None,
        waiting_since=(ticket.waiting_since or ticket.created_at) if waiting_ticket else None,
        preferred_agent_id=ticket.assignee_id if ticket else None, declined_by=[],
        created_by_id=actor.user_id, requested_by=requested_by, created_at=now)
    db.session.add(followup)
    db.session.flush()
    if ticket is not None:
        audit.record(ticket, "callback_requested", actor, followup_id=followup.id, phone=followup.phone,
                     window_start=followup.window_start, window_end=followup.window_end, note=followup.note)
    schedule_timer(followup, fx)
    return followup


def schedule_timer(followup: FollowUp, fx: Effects) -> None:
    """The job that makes it work at next_attempt_at; its id names that time, so duplicates collapse."""
    fx.enqueue(DUE_JOB, followup.id, queue="high", at=followup.next_attempt_at,
               job_id=f"followup-due-{followup.id}-{int(followup.next_attempt_at.timestamp())}")


def schedule_warning(followup: FollowUp, st: Settings, fx: Effects) -> None:
    if followup.kind is FollowUpKind.callback and followup.warned_at is None and st.warn_before_seconds > 0:
        fx.enqueue(WARN_JOB, followup.id, queue="high", at=followup.window_end - timedelta(seconds=st.warn_before_seconds),
                   job_id=f"followup-warn-{followup.id}")


# ---------------------------------------------------------------- reads and locks

def get(followup_id: int, kind: FollowUpKind | None = None) -> FollowUp:
    followup = db.session.get(FollowUp, followup_id)
    if followup is None or (kind is not None and followup.kind is not kind):
        raise NotFound(_("No such follow-up."))
    return followup


def lock(followup_id: int, *, skip_locked: bool = False) -> FollowUp | None:
    stmt = select(FollowUp).where(FollowUp.id == followup_id).with_for_update(skip_locked=skip_locked, key_share=True)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).first()


def ticket_of(followup: FollowUp, *, lock_row: bool = False) -> Ticket | None:
    if followup.ticket_id is None:
        return None
    if lock_row:
        return db.session.scalars(select(Ticket).where(Ticket.id == followup.ticket_id).with_for_update(key_share=True)
                                  .execution_options(populate_existing=True)).first()
    return db.session.get(Ticket, followup.ticket_id)


def overdue_scheduled(now: datetime, limit: int = 500) -> list[int]:
    """Scheduled work whose time came (its job was lost, say to a Redis flush): the sweep's."""
    return list(db.session.scalars(select(FollowUp.id).where(
        FollowUp.status == FollowUpStatus.scheduled, FollowUp.next_attempt_at <= now)
        .order_by(FollowUp.next_attempt_at).limit(limit)))


def to_warn(now: datetime, st: Settings, limit: int = 500) -> list[int]:
    if st.warn_before_seconds <= 0:
        return []
    return list(db.session.scalars(select(FollowUp.id).where(
        FollowUp.kind == FollowUpKind.callback, FollowUp.status.in_([FollowUpStatus.due, FollowUpStatus.assigned]),
        FollowUp.warned_at.is_(None), FollowUp.attempts_made == 0,
        FollowUp.window_end <= now + timedelta(seconds=st.warn_before_seconds)).limit(limit)))


def held_by(agent_id: int) -> list[FollowUp]:
    """The follow-ups an agent holds, locked, skipping rows another transaction holds (the
    sweep hands those back: absent_holders)."""
    return list(db.session.scalars(select(FollowUp).where(
        FollowUp.assignee_id == agent_id, FollowUp.status == FollowUpStatus.assigned)
        .with_for_update(skip_locked=True, key_share=True).execution_options(populate_existing=True)))


def absent_holders() -> list[int]:
    """Agents away, offline or deactivated who still hold follow-ups (their hand-back skipped a
    row another transaction held)."""
    return list(db.session.scalars(select(User.id).where(
        or_(User.presence != Presence.available, User.active.is_(False)),
        User.id.in_(select(FollowUp.assignee_id).where(FollowUp.status == FollowUpStatus.assigned)))))


def open_for_ticket(ticket_id: int, kinds: tuple[FollowUpKind, ...]) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(
        FollowUp.ticket_id == ticket_id, FollowUp.kind.in_(kinds), FollowUp.status.in_(OPEN_FOLLOWUP))
        .with_for_update(key_share=True).execution_options(populate_existing=True)))


# ---------------------------------------------------------------- routing facts

def facts(followup: FollowUp) -> engine.TicketFacts:
    """The follow-up as the routing engine sees a ticket."""
    return engine.TicketFacts(
        id=followup.id, priority=followup.priority, tier=followup.tier,
        waiting_since=followup.waiting_since or followup.next_attempt_at or followup.window_start,
        required_skills=dict(followup.required_skills or {}), language=followup.language, team_id=followup.team_id,
        excluded_agents=frozenset(followup.declined_by or ()), work="followup")


def waiting_facts() -> list[engine.TicketFacts]:
    rows = db.session.scalars(select(FollowUp).where(FollowUp.status == FollowUpStatus.due,
                                                     FollowUp.assignee_id.is_(None))).all()
    return [facts(f) for f in rows]


def waiting_reasons(ids: list[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    return dict(db.session.execute(select(FollowUp.id, FollowUp.waiting_reason).where(FollowUp.id.in_(ids))).all())


def payload(followup: FollowUp, reference: str | None = None) -> dict[str, Any]:
    return {
        "followup_id": followup.id, "kind": followup.kind.value, "status": followup.status.value,
        "ticket_id": followup.ticket_id, "reference": reference, "name": followup.name, "phone": followup.phone,
        "assignee_id": followup.assignee_id, "attempts_made": followup.attempts_made,
        "window_start": followup.window_start.isoformat(), "window_end": followup.window_end.isoformat(),
        "next_attempt_at": followup.next_attempt_at.isoformat() if followup.next_attempt_at else None,
    }


def rooms(followup: FollowUp) -> list[str]:
    out = [SUPERVISORS]
    if followup.team_id:
        out.append(team_room(followup.team_id))
    if followup.assignee_id:
        out.append(user_room(followup.assignee_id))
    return out


def announce(followup: FollowUp, event: str, fx: Effects) -> None:
    ticket = ticket_of(followup)
    fx.emit(event, payload(followup, ticket.reference if ticket else None), rooms(followup))


# ---------------------------------------------------------------- its life

def make_due(followup: FollowUp, now: datetime, fx: Effects) -> bool:
    """Its time came: it waits for an agent. False when it is not scheduled or not yet due."""
    if followup.status is not FollowUpStatus.scheduled or followup.next_attempt_at is None \
            or followup.next_attempt_at > now:
        return False
    followup.status = FollowUpStatus.due
    if followup.waiting_since is None:
        followup.waiting_since = followup.next_attempt_at
    announce(followup, "followup.updated", fx)
    return True


def note_waiting(followup: FollowUp, reason: str | None) -> bool:
    if followup.waiting_reason == reason:
        return False
    followup.waiting_reason = reason
    return True


def assign(followup: FollowUp, agent: User, now: datetime, fx: Effects, why: dict[str, Any]) -> None:
    """It becomes the agent's work: a seat of their capacity until they record a try."""
    followup.status, followup.assignee_id, followup.assigned_at = FollowUpStatus.assigned, agent.id, now
    followup.waiting_reason = None
    ticket = ticket_of(followup)
    if ticket is not None:
        audit.record(ticket, f"{followup.kind.value}_assigned", SYSTEM, followup_id=followup.id,
                     after={"id": agent.id, "name": agent.name}, **why)
    fx.emit("callback.due", payload(followup, ticket.reference if ticket else None), rooms(followup))


def hand_back(followup: FollowUp, reason: str, now: datetime, fx: Effects, *, decline_by: int | None = None) -> None:
    """Back to waiting for an agent, its place kept; a decline keeps it from that agent."""
    agent_id = followup.assignee_id
    if decline_by is not None:
        followup.declined_by = sorted({*(followup.declined_by or ()), decline_by})
    followup.status, followup.assignee_id, followup.assigned_at = FollowUpStatus.due, None, None
    ticket = ticket_of(followup)
    if ticket is not None:
        audit.record(ticket, f"{followup.kind.value}_handed_back", SYSTEM, followup_id=followup.id,
                     agent_id=agent_id, reason=reason)
    fx.emit("followup.updated", payload(followup, ticket.reference if ticket else None),
            rooms(followup) + ([user_room(agent_id)] if agent_id else []))


def hand_back_held(agent: User, reason: str, now: datetime, fx: Effects) -> list[int]:
    """An agent went away, offline or was deactivated: the follow-ups they hold wait for the
    next agent, their places kept. The caller holds the agent's row."""
    held = held_by(agent.id)
    for followup in held:
        hand_back(followup, reason, now, fx)
        fx.enqueue(ROUTE_JOB, followup.id, queue="high")
    return [f.id for f in held]


def check_holder(followup: FollowUp, actor: Actor) -> None:
    """Only the agent it was given to (or a supervisor) records its tries or declines it."""
    if followup.status is not FollowUpStatus.assigned:
        raise Conflict(_("Nobody holds this follow-up now: it is no longer waiting for this call."),
                       {"status": followup.status.value}, code="not_assigned")
    if followup.assignee_id != actor.user_id and not actor.is_supervisor:
        raise Forbidden(_("Only the agent this follow-up was given to records its calls."))


def record_attempt(followup: FollowUp, actor: Actor, outcome: Outcome, note: str | None, answers: dict[str, Any],
                   now: datetime, st: Settings, fx: Effects) -> FollowUpAttempt:
    """One try, on the follow-up and the ticket's timeline; what follows from its outcome. The
    follow-up row is locked by the caller, and the try's number is unique per follow-up."""
    check_holder(followup, actor)
    # Numbered across the follow-up's life (a revisit rescheduled after a reopening keeps its
    # earlier tries); attempts_made counts this round's, which the retry schedule reads.
    number = (db.session.scalar(select(func.max(FollowUpAttempt.number))
                                .where(FollowUpAttempt.followup_id == followup.id)) or 0) + 1
    attempt = FollowUpAttempt(followup_id=followup.id, number=number, outcome=outcome, note=note,
                              agent_id=actor.user_id, agent_name=actor.name, created_at=now)
    if outcome is Outcome.reached and followup.kind is FollowUpKind.revisit:
        attempt.solved = answers.get("solved")
        attempt.score = answers.get("score")
        attempt.comment = answers.get("comment")
        attempt.may_contact_again = answers.get("may_contact_again")
    db.session.add(attempt)
    followup.attempts_made += 1
    followup.assignee_id, followup.assigned_at = None, None
    customer = db.session.get(Customer, followup.customer_id) if followup.customer_id else None
    if outcome is Outcome.reached:
        _close(followup, FollowUpStatus.completed, "reached", now)
    elif outcome is Outcome.wrong_number:
        _close(followup, FollowUpStatus.unreachable, "wrong_number", now)
        if customer is not None and customer.phone_norm == followup.phone_norm:
            customer.phone_suspect_at = now
    else:
        _retry_or_close(followup, attempt, customer, now, st, fx)
    db.session.flush()
    ticket = ticket_of(followup)
    if ticket is not None:
        audit.record(ticket, f"{followup.kind.value}_attempt", actor, followup_id=followup.id, number=number,
                     outcome=outcome.value, note=note, next_attempt_at=followup.next_attempt_at
                     if followup.status is FollowUpStatus.scheduled else None, status=followup.status.value,
                     **{k: v for k, v in answers.items() if v is not None})
    fx.emit("followup.updated", payload(followup, ticket.reference if ticket else None),
            rooms(followup) + ([user_room(actor.user_id)] if actor.user_id else []))
    return attempt


def _retry_or_close(followup: FollowUp, attempt: FollowUpAttempt, customer: Customer | None, now: datetime,
                    st: Settings, fx: Effects) -> None:
    """Not reached: the next try on the schedule, or unreachable when the tries are used up (or
    the customer's do-not-call hours cover every open hour)."""
    try:
        retry = timing.next_try(now, followup.attempts_made, st.steps, st.max_attempts, desk_calendar(st), st.tz,
                                quiet_hours(customer, st))
    except NeverOpen:
        _close(followup, FollowUpStatus.unreachable, "no_time_to_call", now)
        return
    if retry is None:
        _close(followup, FollowUpStatus.unreachable, "attempts_used", now)
        return
    followup.status, followup.next_attempt_at = FollowUpStatus.scheduled, retry
    attempt.next_attempt_at = retry
    schedule_timer(followup, fx)


def _close(followup: FollowUp, status: FollowUpStatus, outcome: str, now: datetime) -> None:
    followup.status, followup.outcome, followup.closed_at, followup.next_attempt_at = status, outcome, now, None


def cancel(followup: FollowUp, actor: Actor, reason: str, now: datetime, fx: Effects) -> None:
    if not followup.is_open:
        raise Conflict(_("This follow-up is already over."), {"status": followup.status.value}, code="not_open")
    _close(followup, FollowUpStatus.cancelled, reason, now)
    followup.assignee_id = None
    ticket = ticket_of(followup)
    if ticket is not None:
        audit.record(ticket, f"{followup.kind.value}_cancelled", actor, followup_id=followup.id, reason=reason)
    announce(followup, "followup.updated", fx)


def mark_warned(followup: FollowUp, now: datetime, fx: Effects) -> bool:
    if followup.warned_at is not None or followup.status not in (FollowUpStatus.due, FollowUpStatus.assigned) \
            or followup.attempts_made:
        return False
    followup.warned_at = now
    announce(followup, "followup.warning", fx)
    return True


# ---------------------------------------------------------------- revisits

def recoveries_of(ticket_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Recovery).where(Recovery.ticket_id == ticket_id)) or 0


def asked_not_to_be_contacted(ticket_id: int) -> bool:
    """The customer said on a revisit of this ticket that we may not contact them again."""
    return bool(db.session.scalar(select(FollowUpAttempt.id).join(FollowUp).where(
        FollowUp.ticket_id == ticket_id, FollowUpAttempt.may_contact_again.is_(False)).limit(1)))


def revisit_on_resolved(ticket: Ticket, now: datetime, st: Settings, fx: Effects) -> FollowUp | None:
    """A resolved ticket gets its revisit when the policy says so; after a service recovery,
    always (the second revisit). One per round: a second resolution in the same round
    reschedules a revisit its reopening cancelled, and makes none once one was made."""
    round_ = 1 + recoveries_of(ticket.id)
    existing = db.session.scalar(select(FollowUp).where(
        FollowUp.ticket_id == ticket.id, FollowUp.kind == FollowUpKind.revisit, FollowUp.round == round_)
        .with_for_update(key_share=True))
    if existing is not None and existing.status is not FollowUpStatus.cancelled:
        return None
    if asked_not_to_be_contacted(ticket.id):
        audit.record(ticket, "revisit_skipped", SYSTEM, round=round_, reason="asked_not_to_be_contacted")
        return None
    tier = ticket.effective_tier
    if round_ > 1:
        rule = {"after_seconds": 0, "match": {}, "sample": 1.0, "why": "service_recovery"}
    else:
        rule = timing.revisit_rule({"id": ticket.id, "status": ticket.status.value, "kind": ticket.kind.value,
                                    "tier": tier, "priority": ticket.priority.value, "category": ticket.category_code,
                                    "channel": ticket.channel.value}, st.revisit_rules)
    if rule is None:
        return None
    calendar = desk_calendar(st)
    customer = ticket.customer
    try:
        start = timing.earliest_allowed(calendar.add(now, int(rule.get("after_seconds", 0))), calendar, st.tz,
                                        quiet_hours(customer, st))
    except NeverOpen:  # the customer's do-not-call hours cover every open hour: nobody may call
        audit.record(ticket, "revisit_skipped", SYSTEM, round=round_, reason="no_time_to_call")
        return None
    end = calendar.add(start, st.revisit_window_seconds)
    followup = existing or FollowUp(kind=FollowUpKind.revisit, ticket_id=ticket.id, round=round_)
    followup.status, followup.outcome, followup.closed_at = FollowUpStatus.scheduled, None, None
    followup.customer_id = ticket.customer_id
    followup.name, followup.phone = ticket.contact_name, ticket.contact_phone or (customer.phone if customer else "") or ""
    followup.phone_norm = normalise_phone(followup.phone)
    followup.language, followup.priority, followup.tier = ticket.language, ticket.priority.value, tier
    followup.required_skills, followup.team_id = {}, ticket.team_id
    followup.window_start, followup.window_end, followup.next_attempt_at = start, end, start
    followup.attempts_made, followup.declined_by, followup.waiting_since = 0, [], None
    followup.avoid_agent_id, followup.requested_by, followup.created_at = ticket.assignee_id, "system", now
    if existing is None:
        db.session.add(followup)
    db.session.flush()
    audit.record(ticket, "revisit_scheduled", SYSTEM, followup_id=followup.id, round=round_, due_at=end,
                 starts_at=start, rule=rule.get("why") or rule.get("match"))
    schedule_timer(followup, fx)
    return followup


def cancel_for_ticket(ticket: Ticket, kinds: tuple[FollowUpKind, ...], reason: str, now: datetime,
                      fx: Effects) -> list[int]:
    """A reopened ticket's pending revisit, a cancelled ticket's callbacks: no longer to be made.
    Returns the agents who held one (the caller frees their seats)."""
    holders = []
    for followup in open_for_ticket(ticket.id, kinds):
        if followup.assignee_id:
            holders.append(followup.assignee_id)
        cancel(followup, SYSTEM, reason, now, fx)
    return holders


# ---------------------------------------------------------------- service recovery

def recovery_reason(*, solved: bool | None = None, score: int | None = None, csat: int | None = None,
                    nps: int | None = None) -> dict[str, Any] | None:
    """Why an answer calls for a service recovery (not solved, a score or CSAT of 1-2, NPS 0-6)."""
    reason = {}
    if solved is False:
        reason["solved"] = False
    if score is not None and score <= 2:
        reason["score"] = score
    if csat is not None and csat <= 2:
        reason["csat"] = csat
    if nps is not None and nps <= 6:
        reason["nps"] = nps
    return reason or None


def record_recovery(ticket: Ticket, source: str, source_id: int, reason: dict[str, Any], now: datetime) -> Recovery | None:
    """The recovery of this cause, once: None if it was recorded already."""
    if db.session.scalar(select(Recovery.id).where(Recovery.source == source, Recovery.source_id == source_id)):
        return None
    recovery = Recovery(ticket_id=ticket.id, source=source, source_id=source_id, reason=reason,
                        number=recoveries_of(ticket.id) + 1, created_at=now)
    db.session.add(recovery)
    db.session.flush()
    audit.record(ticket, "service_recovery", SYSTEM, recovery_id=recovery.id, source=source, source_id=source_id,
                 number=recovery.number, **reason)
    return recovery


def mark_at_risk(ticket: Ticket, now: datetime) -> bool:
    customer = ticket.customer
    if customer is None or customer.at_risk_at is not None:
        return False
    customer.at_risk_at = now
    audit.record(ticket, "customer_at_risk", SYSTEM, customer_id=customer.id)
    return True


def recovery_reopens(ticket: Ticket) -> str | None:
    """The status a recovery moves the ticket to, or None when it is still being worked."""
    if ticket.status.value in (lifecycle.RESOLVED, lifecycle.CLOSED):
        return lifecycle.IN_PROGRESS
    return None


# ---------------------------------------------------------------- surveys

def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="callcenter-survey")


def survey_token(survey: Survey) -> str:
    return _signer().dumps({"s": survey.id, "n": survey.nonce})


class SurveyLinkGone(Exception):
    """A survey link that opens nothing: why is one of forged, expired, used."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def survey_from_token(token: str, now: datetime, *, lock_row: bool = False) -> Survey:
    """The survey a link opens, or SurveyLinkGone. lock_row: its ticket's row, then its own, are
    locked (the ticket first, as everywhere), and it is checked again under the lock."""
    survey = _survey_of_token(token, now)
    if not lock_row:
        return survey
    lock_ticket(survey.ticket_id)
    survey = db.session.scalars(select(Survey).where(Survey.id == survey.id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    if survey.answered_at is not None:
        raise SurveyLinkGone("used")
    return survey


def _survey_of_token(token: str, now: datetime) -> Survey:
    try:
        data = _signer().loads(token)
        survey_id, nonce = int(data["s"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise SurveyLinkGone("forged") from None
    survey = db.session.get(Survey, survey_id)
    if survey is None or not secrets.compare_digest(survey.nonce, nonce):
        raise SurveyLinkGone("forged")
    if survey.answered_at is not None:
        raise SurveyLinkGone("used")
    if now >= survey.expires_at:
        raise SurveyLinkGone("expired")
    return survey


def issue_survey(ticket: Ticket, now: datetime, st: Settings) -> Survey | None:
    """The ticket's survey on its (first) resolution; none for a customer surveyed in the last
    survey_per_customer_days."""
    if ticket.status is not Status.resolved or db.session.scalar(select(Survey.id).where(Survey.ticket_id == ticket.id)):
        return None
    if asked_not_to_be_contacted(ticket.id):
        return None
    if ticket.customer_id and db.session.scalar(select(Survey.id).where(
            Survey.customer_id == ticket.customer_id,
            Survey.created_at > now - timedelta(days=st.survey_per_customer_days)).limit(1)):
        return None
    survey = Survey(ticket_id=ticket.id, customer_id=ticket.customer_id, nonce=secrets.token_hex(8), created_at=now,
                    expires_at=now + timedelta(days=st.survey_expiry_days))
    db.session.add(survey)
    db.session.flush()
    audit.record(ticket, "survey_sent", SYSTEM, survey_id=survey.id, expires_at=survey.expires_at)
    return survey


def answer_survey(survey: Survey, csat: int, nps: int | None, comment: str | None, now: datetime) -> Ticket:
    survey.csat, survey.nps, survey.comment, survey.answered_at = csat, nps, comment, now
    ticket = db.session.get(Ticket, survey.ticket_id)  # locked by survey_from_token
    audit.record(ticket, "survey_answered", Actor.customer(ticket.contact_name), survey_id=survey.id, csat=csat,
                 nps=nps, comment=comment)
    return ticket


def survey_for_ticket(ticket_id: int) -> Survey | None:
    return db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id))


def reminders_due(now: datetime, st: Settings, limit: int = 500) -> list[int]:
    return list(db.session.scalars(select(Survey.id).where(
        Survey.answered_at.is_(None), Survey.reminded_at.is_(None), Survey.expires_at > now,
        Survey.created_at <= now - timedelta(days=st.survey_reminder_days)).limit(limit)))


def lock_survey(survey_id: int) -> Survey | None:
    return db.session.scalars(select(Survey).where(Survey.id == survey_id).with_for_update()
                              .execution_options(populate_existing=True)).first()


# ---------------------------------------------------------------- closing resolved tickets

def overdue_revisits(now: datetime, limit: int = 500) -> list[int]:
    """Revisits nobody took before their due time: past it, a call is no revisit any more."""
    return list(db.session.scalars(select(FollowUp.id).where(
        FollowUp.kind == FollowUpKind.revisit, FollowUp.status.in_([FollowUpStatus.scheduled, FollowUpStatus.due]),
        FollowUp.window_end < now).limit(limit)))


def lock_ticket(ticket_id: int) -> Ticket | None:
    return db.session.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update(key_share=True)
                              .execution_options(populate_existing=True)).first()


def _open_revisit(ticket_id: int):
    return select(FollowUp.id).where(FollowUp.ticket_id == ticket_id, FollowUp.kind == FollowUpKind.revisit,
                                     FollowUp.status.in_(OPEN_FOLLOWUP)).exists()


def closes_by_itself(ticket: Ticket, now: datetime, st: Settings) -> bool:
    """Checked under the ticket's lock: still resolved, long enough, no revisit to make, and (a
    complaint) its resolution recorded, as a person's close requires."""
    if ticket.status is not Status.resolved or ticket.resolved_at is None \
            or ticket.resolved_at > now - timedelta(days=st.auto_close_days):
        return False
    if lifecycle.missing_close_fields(ticket.kind.value, {f: getattr(ticket, f) for f in lifecycle.COMPLAINT_CLOSE_FIELDS}):
        return False
    return not db.session.scalar(select(_open_revisit(ticket.id)))


def resolved_to_close(now: datetime, st: Settings, limit: int = 500) -> list[int]:
    """Tickets resolved auto_close_days ago that the customer did not answer, with no revisit
    still to make (its answer may reopen the ticket)."""
    pending_revisit = select(FollowUp.ticket_id).where(FollowUp.kind == FollowUpKind.revisit,
                                                       FollowUp.status.in_(OPEN_FOLLOWUP),
                                                       FollowUp.ticket_id.is_not(None))
    recorded = and_(*(and_(getattr(Ticket, f).is_not(None), getattr(Ticket, f) != "")
                      for f in lifecycle.COMPLAINT_CLOSE_FIELDS))
    return list(db.session.scalars(select(Ticket.id).where(
        Ticket.status == Status.resolved, Ticket.resolved_at <= now - timedelta(days=st.auto_close_days),
        or_(Ticket.kind != Kind.complaint, recorded), Ticket.id.not_in(pending_revisit))
        .order_by(Ticket.resolved_at).limit(limit)))

"""Follow-ups: a callback asked for, work that falls due and is routed like a ticket, each try
at reaching the customer, revisits, surveys and the service recovery a bad answer starts.

Lock order, as everywhere: the ticket, then the follow-up, then agents by id.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from ..actors import SYSTEM, Actor
from ..auth.models import Presence, Role
from ..console.rooms import SUPERVISORS, user_room
from ..db_types import utcnow
from ..directory import catalogue, log
from ..directory.lookups import refused
from ..effects import Effects
from ..errors import Conflict, Forbidden
from ..extensions import db
from ..followups import service as followups
from ..followups.models import FollowUp, FollowUpKind, FollowUpStatus, Outcome, Survey
from ..notifications import services as notify
from ..routing import service as routing
from ..tickets import access, changes, lifecycle
from ..tickets.models import Ticket
from . import end_read, unit_of_work
from .followup_routing import due, route_waiting
from .status import change_status
from .tickets import priority_changed

# ---------------------------------------------------------------- asking for a callback

def request_callback(data: dict[str, Any], actor: Actor, *, requested_by: str = "agent",
                     now: datetime | None = None) -> FollowUp:
    """Staff (from a ticket or a call) or an API client book a callback."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_visible(data["ticket_id"], actor, lock=True) if data.get("ticket_id") else None
        return _book(data, ticket, actor, now, fx, requested_by)


def request_callback_by_customer(token: str, data: dict[str, Any], days_after_end: int,
                                 now: datetime | None = None) -> FollowUp:
    """The customer asks on their status page: the number is the ticket's unless they give one."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket = access.get_by_token(token, now, days_after_end, lock=True)
        _customer_may_ask(ticket)
        data = {**data, "ticket_id": ticket.id, "name": ticket.contact_name,
                "phone": data.get("phone") or ticket.contact_phone or ""}
        return _book(data, ticket, Actor.customer(ticket.contact_name), now, fx, "customer")


def _customer_may_ask(ticket: Ticket) -> None:
    """Checked under the ticket's lock, so a double click books one callback: none on a finished
    request, and one open callback at a time from the customer."""
    if ticket.status.value in lifecycle.FINAL_STATUSES:
        raise Conflict(_("This request is finished: no callback can be booked on it."), code="ticket_final")
    if any(f.requested_by == "customer" for f in followups.open_for_ticket(ticket.id, (FollowUpKind.callback,))):
        raise Conflict(_("You already asked for a callback on this request: we will call you in the window you "
                         "chose."), code="callback_open")


def _book(data: dict[str, Any], ticket: Ticket | None, actor: Actor, now: datetime, fx: Effects,
          requested_by: str) -> FollowUp:
    st = followups.settings()
    followup = followups.new_callback(data, ticket, actor, now, st, fx, requested_by=requested_by)
    followups.announce(followup, "followup.updated", fx)
    notify.callback_scheduled(followup, ticket, st.tz, fx)
    return followup


# ---------------------------------------------------------------- the policy

def save_policy(changes: dict[str, Any], actor: Actor, now: datetime | None = None) -> followups.Settings:
    """Admins change the follow-up policy; what is not given stays. A calendar or skill that does
    not exist is refused naming the field, as everywhere in the set-up."""
    now = now or utcnow()
    catalogue.require_admin(actor)
    with unit_of_work():
        if "calendar" in changes and not followups.calendar_exists(changes["calendar"]):
            raise refused("calendar", _("No business calendar is called %(name)s.", name=changes["calendar"]))
        if not followups.leaves_time_to_call(followups.Settings(**{**followups.settings().as_dict(), **changes})):
            raise refused("quiet_hours", _("These quiet hours leave no open time to call anyone in."))
        if changes.get("callback_skill") and not followups.skill_exists(changes["callback_skill"]):
            raise refused("callback_skill", _("No skill %(code)s in the catalogue.", code=changes["callback_skill"]))
        before = followups.settings().as_dict()
        saved = followups.save_settings(changes, actor)
        after = saved.as_dict()
        log.record(actor, "followup_policy.saved", "follow-up policy", now,
                   changed={k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]})
    return saved


# ---------------------------------------------------------------- the agent's side

def record_attempt(followup_id: int, actor: Actor, outcome: str, note: str | None = None,
                   answers: dict[str, Any] | None = None, now: datetime | None = None) -> FollowUp:
    """One try at reaching the customer, and all that follows from it: the retry or the close,
    the message to the customer, the freed seat, and for a bad revisit the service recovery."""
    now = now or utcnow()
    answers = {k: v for k, v in (answers or {}).items() if k in ("solved", "score", "comment", "may_contact_again")}
    with unit_of_work() as fx:
        st = followups.settings()
        ticket_id = followups.get(followup_id).ticket_id
        ticket = followups.lock_ticket(ticket_id) if ticket_id else None  # the ticket, then the follow-up
        followup = followups.lock(followup_id)
        holder = followup.assignee_id
        attempt = followups.record_attempt(followup, actor, Outcome(outcome), note, answers, now, st, fx)
        # The agents last, together and in id order: a recovery below moves the ticket's owner's seat too.
        routing.lock_agents([holder, ticket.assignee_id if ticket else None])
        if holder:
            fx.enqueue(routing.ROUTE_FOR_AGENT_JOB, holder, queue="high")  # the seat is free again
        if followup.status is FollowUpStatus.unreachable and followup.kind is FollowUpKind.callback \
                and attempt.outcome is not Outcome.wrong_number:  # a wrong number is nobody to write to
            notify.callback_failed(followup, ticket, fx)
        if followup.kind is FollowUpKind.revisit and ticket is not None and attempt.outcome is Outcome.reached:
            reason = followups.recovery_reason(solved=attempt.solved, score=attempt.score)
            if reason:
                _recover(ticket, "revisit", attempt.id, reason, now, fx)
            notify.revisit_outcome(ticket, recovered=bool(reason), fx=fx)
    return followup


def decline(followup_id: int, actor: Actor, now: datetime | None = None) -> FollowUp:
    """The agent will not take it: not a failed try; it goes to the next agent."""
    now = now or utcnow()
    with unit_of_work() as fx:
        followup = followups.lock(followup_id)
        followups.check_holder(followup, actor)
        holder = followup.assignee_id
        routing.lock_agents([holder])
        followups.hand_back(followup, "declined", now, fx, decline_by=holder)
        fx.enqueue(followups.ROUTE_JOB, followup.id, queue="high")
        fx.enqueue(routing.ROUTE_FOR_AGENT_JOB, holder, queue="high")
    return followup


def cancel(followup_id: int, actor: Actor, now: datetime | None = None) -> FollowUp:
    """Not to be made after all: supervisors, the agent holding it, or whoever may change its ticket."""
    now = now or utcnow()
    with unit_of_work() as fx:
        ticket_id = followups.get(followup_id).ticket_id
        if ticket_id and not actor.is_supervisor:
            access.get_changeable(ticket_id, actor)  # who may change the ticket (its row locked)
        elif ticket_id:
            followups.lock_ticket(ticket_id)
        followup = followups.lock(followup_id)
        if ticket_id is None and not (actor.is_supervisor or followup.assignee_id == actor.user_id):
            raise Forbidden(_("Only supervisors cancel a callback that belongs to no ticket."))
        holder = followup.assignee_id
        followups.cancel(followup, actor, "cancelled_by_staff", now, fx)
        if holder:
            routing.lock_agents([holder])
            fx.enqueue(routing.ROUTE_FOR_AGENT_JOB, holder, queue="high")
    return followup


def warn(followup_id: int, now: datetime | None = None) -> bool:
    """A callback nears its window's end with nobody having called: tell its agent and the supervisors."""
    now = now or utcnow()
    with unit_of_work(durable=True) as fx:
        followup = followups.lock(followup_id)
        st = followups.settings()
        if followup is None:
            return False
        if now < followup.window_end - timedelta(seconds=st.warn_before_seconds):
            followups.schedule_warning(followup, st, fx)  # run early (RQ keeps whole seconds): again at its time
            return False
        return followups.mark_warned(followup, now, fx)


# ---------------------------------------------------------------- service recovery

def _recover(ticket: Ticket, source: str, source_id: int, reason: dict[str, Any], now: datetime, fx: Effects) -> None:
    """A bad answer: reopen the ticket one priority step higher, alert its team's supervisors
    live, and (by the next resolution) a second revisit. A second recovery marks the customer at
    risk. Recorded once per cause, so a repeated answer or job starts nothing twice."""
    recovery = followups.record_recovery(ticket, source, source_id, reason, now)
    if recovery is None:
        return
    reopen_to = followups.recovery_reopens(ticket)
    if reopen_to is not None:
        change_status(ticket, reopen_to, SYSTEM, now, fx, reason="service_recovery")
        _to_queue_unless_owner_works(ticket, now, fx)
    if changes.raise_priority(ticket, SYSTEM):
        priority_changed(ticket, now, fx)
    if recovery.number >= 2:
        followups.mark_at_risk(ticket, now)
    fx.emit("recovery.started", {"ticket_id": ticket.id, "reference": ticket.reference, "source": source,
                                 "number": recovery.number, "reason": reason, "priority": ticket.priority.value},
            _team_supervisor_rooms(ticket))


def _to_queue_unless_owner_works(ticket: Ticket, now: datetime, fx: Effects) -> None:
    """A reopened ticket goes back to whoever resolved it while they are here to work it; else
    (deactivated, away, offline, or nobody) to the front of the queue, and routing places it."""
    owner = ticket.assignee
    if owner is not None and owner.active and owner.presence is Presence.available:
        return
    if owner is not None:
        changes.mark_handed_back(ticket, owner, now, reason="service_recovery")
    change_status(ticket, lifecycle.NEW, SYSTEM, now, fx, reason="service_recovery")
    routing.route_soon(ticket.id, fx)


def _team_supervisor_rooms(ticket: Ticket) -> list[str]:
    """The supervisors of the ticket's team; all supervisors when the team has none."""
    team = ticket.team
    rooms = [user_room(u.id) for u in (team.members if team is not None else [])
             if u.active and u.role in (Role.supervisor, Role.admin)]
    return rooms or [SUPERVISORS]


# ---------------------------------------------------------------- surveys

def answer_survey(token: str, csat: int, nps: int | None, comment: str | None, now: datetime | None = None) -> Survey:
    """The customer's one answer. A bad one starts the same recovery as a bad revisit."""
    now = now or utcnow()
    with unit_of_work() as fx:
        survey = followups.survey_from_token(token, now, lock_row=True)
        ticket = followups.answer_survey(survey, csat, nps, comment, now)
        reason = followups.recovery_reason(csat=csat, nps=nps)
        if reason:
            _recover(ticket, "survey", survey.id, reason, now, fx)
    return survey


def remind_survey(survey_id: int, now: datetime | None = None) -> bool:
    now = now or utcnow()
    with unit_of_work(durable=True) as fx:
        survey = followups.lock_survey(survey_id)
        if survey is None or survey.answered_at is not None or survey.reminded_at is not None:
            return False
        survey.reminded_at = now
        ticket = db.session.get(Ticket, survey.ticket_id)
        notify.survey_reminder(ticket, fx)
    return True


# ---------------------------------------------------------------- the sweep

def close_resolved(ticket_id: int, now: datetime | None = None) -> bool:
    """A resolved ticket the customer did not answer closes by itself."""
    now = now or utcnow()
    st = followups.settings()
    with unit_of_work(durable=True) as fx:
        ticket = followups.lock_ticket(ticket_id)
        if ticket is None or not followups.closes_by_itself(ticket, now, st):
            return False
        change_status(ticket, lifecycle.CLOSED, SYSTEM, now, fx, reason="auto_closed")
    return True


def sweep(now: datetime | None = None) -> dict[str, int]:
    """The safety net: work whose timer was lost (a Redis flush) falls due, waiting work is
    routed, windows near their end warn, unanswered surveys get their reminder, resolved
    tickets close. The database is the truth; each step is a no-op when nothing calls for it."""
    now = now or utcnow()
    st = followups.settings()
    overdue = followups.overdue_revisits(now)
    absent = followups.absent_holders()
    late = followups.overdue_scheduled(now)
    warn_ids = followups.to_warn(now, st)
    remind = followups.reminders_due(now, st)
    close = followups.resolved_to_close(now, st)
    end_read()
    expired = sum(1 for i in overdue if _expire_revisit(i, now))
    handed_back = sum(_hand_back_from(agent_id, now) for agent_id in absent)
    made_due = sum(1 for i in late if due(i, now) == "due")
    routed = route_waiting(now)
    warned = sum(1 for i in warn_ids if warn(i, now))
    reminded = sum(1 for i in remind if remind_survey(i, now))
    closed = sum(1 for i in close if close_resolved(i, now))
    return {"expired": expired, "handed_back": handed_back, "due": made_due, "routed": routed, "warned": warned,
            "reminded": reminded, "closed": closed}


def _expire_revisit(followup_id: int, now: datetime) -> bool:
    """A revisit nobody took before its due time is not made late: cancelled, on the timeline."""
    with unit_of_work(durable=True) as fx:
        ticket_id = followups.get(followup_id).ticket_id
        if ticket_id:
            followups.lock_ticket(ticket_id)
        followup = followups.lock(followup_id)
        if followup.status not in (FollowUpStatus.scheduled, FollowUpStatus.due) or followup.window_end >= now:
            return False
        followups.cancel(followup, SYSTEM, "overdue", now, fx)
    return True


def _hand_back_from(agent_id: int, now: datetime) -> int:
    """Follow-ups still held by an agent who is not available (their hand-back skipped a row
    another transaction held then): back to the queue, their places kept."""
    with unit_of_work(durable=True) as fx:
        agent = routing.lock_absent(agent_id)
        if agent is None:
            return 0
        return len(followups.hand_back_held(agent, f"agent_{agent.presence.value}", now, fx))

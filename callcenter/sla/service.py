"""SLA clocks on tickets: started by policy, paused and stopped by the ticket's life, checked
by jobs at their warning and due instants, with a sweep as the safety net.

Callers (tickets.services) own the transaction for start/on_status/on_agent_reply; check()
and sweep() own theirs. Every warning and breach is one SlaFired row (unique per clock, level
and cycle), one audit event and one socket event: a job that runs twice fires nothing twice.
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..actors import SYSTEM
from ..db_types import utcnow
from ..events import emit_on_commit, enqueue_on_commit
from ..extensions import db
from ..routing.rules import matches
from ..tickets import audit
from ..tickets.models import Ticket
from .calendar import BusinessCalendar, closed_stretch, parse_hours
from .clock import BREACHED, MET, PAUSE, PAUSED, RESUME, START, STOP, WARNING, ClockEvent, ClockState, clock_state
from .holidays_source import country_calendar
from .models import DEFAULT_ESCALATION, SlaCalendar, SlaClock, SlaFired, SlaPolicy

log = logging.getLogger(__name__)

CHECK_JOB = "callcenter.sla.jobs.check_clock"
CLOCKS = (("first_response", "first_response_seconds"), ("resolution", "resolution_seconds"),
          ("final_response", "final_response_seconds"), ("next_response", "next_response_seconds"))
STARTED_WITH_TICKET = ("first_response", "resolution", "final_response")
FINAL = ("resolved", "closed", "cancelled")
SEVERITY = {None: 0, MET: 0, PAUSED: 1, "running": 1, WARNING: 2, BREACHED: 3}
SWEEP_BATCH = 50  # clocks the sweep checks in one transaction


# ---------------------------------------------------------------- calendars and policies

@lru_cache(maxsize=64)
def _calendar_from(spec: str) -> BusinessCalendar:
    row = json.loads(spec)
    weekly = {int(k): parse_hours(v) for k, v in row["weekly"].items()}
    closed = [date.fromisoformat(d) for d in row["extra_closed"]]
    extra = {date.fromisoformat(d): parse_hours(h) for d, h in row["extra_open"].items()}
    if row["country"]:
        row["country"] = row["country"].upper()
        year = utcnow().year
        calendar = country_calendar(row["country"], range(year - 1, year + 3), row["tz"], weekly,
                                    extra_closed=closed, extra_open=extra)
    else:
        calendar = BusinessCalendar(tz=row["tz"], weekly=weekly, closed=frozenset(closed), extra_open=extra)
    if closed_stretch(calendar, utcnow().date()):
        # Saved before calendars were checked for this: its clocks would never fall due. Like a
        # policy naming a missing calendar, the tickets stay protected around the clock.
        log.error("business calendar %s never opens; its clocks run around the clock", spec[:120])
        return BusinessCalendar.twenty_four_seven()
    return calendar


_calendars_read: ContextVar[dict[str, BusinessCalendar] | None] = ContextVar("sla_calendars_read", default=None)


@contextmanager
def _each_calendar_read_once():
    """Inside this block calendar_named() reads each calendar row once: a check computes a
    clock's state several times and a page of tickets has many clocks, each a SELECT without
    it. The block is one check, sweep batch or page, so an edited calendar is seen next time."""
    if _calendars_read.get() is not None:
        yield
        return
    token = _calendars_read.set({})
    try:
        yield
    finally:
        _calendars_read.reset(token)


def never_open_stretch(data: dict) -> tuple[date, int] | None:
    """For a calendar about to be saved (validated fields): where it would stay shut too long."""
    try:
        weekly = {int(k): parse_hours(v) for k, v in data.get("weekly", {}).items()}
        extra = {d: parse_hours(h) for d, h in data.get("extra_open", {}).items()}
    except (ValueError, TypeError):
        return None  # the field validators say what is wrong
    closed = list(data.get("extra_closed", []))
    if data.get("country"):
        year = utcnow().year
        calendar = country_calendar(data["country"].upper(), range(year - 1, year + 3), data.get("tz", "UTC"),
                                    weekly, extra_closed=closed, extra_open=extra)
    else:
        calendar = BusinessCalendar(tz=data.get("tz", "UTC"), weekly=weekly, closed=frozenset(closed), extra_open=extra)
    return closed_stretch(calendar, utcnow().date())


def calendar_named(name: str) -> BusinessCalendar:
    if name == "24x7":
        return BusinessCalendar.twenty_four_seven()
    read = _calendars_read.get()
    if read is not None and name in read:
        return read[name]
    row = db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))
    # a policy naming a missing calendar still protects
    calendar = BusinessCalendar.twenty_four_seven() if row is None else calendar_of(row)
    if read is not None:
        read[name] = calendar
    return calendar


def calendar_of(row: SlaCalendar) -> BusinessCalendar:
    return _calendar_from(json.dumps({"tz": row.tz, "weekly": row.weekly, "country": row.country,
                                      "extra_closed": row.extra_closed, "extra_open": row.extra_open},
                                     sort_keys=True))


def policy_for(ticket: Ticket, tier: str) -> SlaPolicy | None:
    facts = {"kind": ticket.kind.value, "priority": ticket.priority.value, "category": ticket.category_code,
             "channel": ticket.channel.value, "tier": tier}
    for policy in db.session.scalars(select(SlaPolicy).where(SlaPolicy.active)
                                     .order_by(SlaPolicy.position, SlaPolicy.id)):
        if matches(policy.match or {}, facts):
            return policy
    return None


# ---------------------------------------------------------------- the clocks' history

def _events(clock: SlaClock) -> list[ClockEvent]:
    return [ClockEvent(datetime.fromisoformat(at), kind) for at, kind in clock.history]


def _append(clock: SlaClock, kind: str, now: datetime) -> None:
    clock.history = [*clock.history, [now.isoformat(), kind]]  # a new list, so the JSON column is saved


def _state(clock: SlaClock, now: datetime) -> ClockState:
    return clock_state(_events(clock), clock.target_seconds, calendar_named(clock.calendar), now, clock.warn_at)


def _fired(clock: SlaClock) -> set[str]:
    return set(db.session.scalars(select(SlaFired.level).where(SlaFired.clock_id == clock.id,
                                                               SlaFired.cycle == clock.cycle)))


def _refresh(clock: SlaClock, ticket: Ticket, now: datetime, fired: set[str] | None = None) -> ClockState:
    """Cache the clock's state and due time, and schedule its next check. fired: the levels the
    clock has fired in its cycle, when the caller knows them already."""
    state = _state(clock, now)
    clock.state, clock.due_at = state.state, state.due_at
    if fired is None:
        fired = _fired(clock) if clock.id else set()
    pending = [at for fraction, at in state.warnings if at is not None and f"warning:{fraction}" not in fired]
    if state.due_at is not None and "breach" not in fired:
        pending.append(state.due_at)
    pending += [at for level, at, _step in _escalations(clock, state) if level not in fired]
    clock.next_check_at = min(pending) if pending and state.running else None
    if not state.running and state.state == BREACHED and _last(clock) == PAUSE and "breach" not in fired:
        clock.next_check_at = now  # paused after its due time before the breach was recorded: the sweep records it
    if clock.name == "first_response":
        ticket.first_response_due_at = state.due_at
    elif clock.name == "resolution":
        ticket.resolution_due_at = state.due_at
    if clock.next_check_at is not None and clock.id:
        due = clock.next_check_at
        enqueue_on_commit(CHECK_JOB, clock.id, at=due, queue="high",
                          job_id=f"sla-{clock.id}-{clock.cycle}-{int(due.timestamp() * 1000)}")
    return state


def _escalations(clock: SlaClock, state: ClockState) -> list[tuple[str, datetime, dict]]:
    """The escalation steps after a breach, with the instant each falls due (business time)."""
    if not state.running or state.due_at is None:
        return []
    policy = db.session.get(SlaPolicy, clock.policy_id) if clock.policy_id else None
    steps = policy.escalation if policy is not None else list(DEFAULT_ESCALATION)
    calendar = calendar_named(clock.calendar)
    return [(f"escalation:{step['level']}", calendar.add(state.due_at, step.get("after_seconds", 0)), step)
            for step in sorted(steps, key=lambda s: s["level"])]


def _sum_up(ticket: Ticket, clocks: list[SlaClock], status: str | None = None) -> None:
    """The ticket's SLA state: the worst of the clocks still running (a first response answered
    late is history, not work), or of all of them once none runs or the ticket is finished (the
    final verdict: a promise still running after resolution does not hide a breach)."""
    status = status or ticket.status.value  # on_status runs before the ticket takes its new status
    live = [c for c in clocks if _last(c) != STOP] if status not in FINAL else []
    ticket.sla_state = max((c.state for c in live or clocks), key=lambda s: SEVERITY.get(s, 0), default=None)


def clocks_of(ticket: Ticket) -> list[SlaClock]:
    return list(db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.id)))


# ---------------------------------------------------------------- the ticket's life

def start_clocks(ticket: Ticket, tier: str, now: datetime) -> list[SlaClock]:
    """A new ticket: the first matching policy starts its clocks (inside the caller's transaction)."""
    policy = policy_for(ticket, tier)
    if policy is None:
        return []
    clocks = []
    for name, key in CLOCKS:
        if name not in STARTED_WITH_TICKET or not policy.targets.get(key):
            continue
        if name == "final_response" and ticket.kind.value != "complaint":
            continue  # the written final answer to a complaint, stopped when it is resolved
        clock = SlaClock(ticket_id=ticket.id, name=name, policy_id=policy.id, calendar=policy.calendar,
                         target_seconds=int(policy.targets[key]), warn_at=list(policy.warn_at or []),
                         history=[[now.isoformat(), START]])
        db.session.add(clock)
        db.session.flush()
        _refresh(clock, ticket, now)
        clocks.append(clock)
    audit.record(ticket, "sla_policy_applied", SYSTEM, policy_id=policy.id, policy=policy.name,
                 targets=policy.targets, calendar=policy.calendar)
    _sum_up(ticket, clocks)
    return clocks


def on_status(ticket: Ticket, before: str, after: str, now: datetime) -> None:
    """Pause while waiting on the customer, resume on their answer, stop when done."""
    clocks = clocks_of(ticket)
    if not clocks:
        return
    pause_in = set(_pause_statuses(clocks[0]))
    for clock in clocks:
        state = _state(clock, now)
        if clock.name.startswith(PROMISE):
            # A promise is the desk's own commitment: it does not pause for the customer; it ends
            # with the ticket only when the ticket closes or is cancelled.
            if after in ("closed", "cancelled") and state.running:
                _append(clock, STOP, now)
                _refresh(clock, ticket, now)
            continue
        last = _last(clock)
        if after in FINAL:
            if last != STOP:
                _append(clock, STOP, now)
        elif before == "resolved" and clock.name == "resolution":
            _reopen(clock, state, now)
        elif after in pause_in and before not in pause_in and state.running:
            _append(clock, PAUSE, now)
        elif before in pause_in and after not in pause_in and last == PAUSE:
            _append(clock, RESUME, now)  # also when it was already over its target
        _refresh(clock, ticket, now)
    _sum_up(ticket, clocks, after)


def _last(clock: SlaClock) -> str | None:
    """What the clock's history says last: paused and stopped are facts of the history, not of
    the computed state (a clock paused after its due time reads 'breached')."""
    return clock.history[-1][1] if clock.history else None


def _reopen(clock: SlaClock, state: ClockState, now: datetime) -> None:
    """Reopened: the resolution clock runs again in a new cycle, with the time used still used.
    Levels it had already crossed are carried into the new cycle at once (as they happened, and
    marked as carried over, so nobody counts them twice): a reopen does not fire them (or raise
    the priority) a second time."""
    crossed = db.session.scalars(select(SlaFired).where(SlaFired.clock_id == clock.id,
                                                        SlaFired.cycle == clock.cycle)).all()
    _append(clock, START, now)
    clock.cycle += 1
    for fired in crossed:
        _carry_over(clock, fired)


def _carry_over(clock: SlaClock, fired: SlaFired) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(SlaFired(ticket_id=clock.ticket_id, clock_id=clock.id, level=fired.level, cycle=clock.cycle,
                                    fired_at=fired.fired_at, due_at=fired.due_at, carried_over=True))
    except IntegrityError:
        pass


def on_agent_reply(ticket: Ticket, now: datetime) -> None:
    """A public reply meets the first-response (or next-response) target at once, even with
    its check already queued."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        if clock.name in ("first_response", "next_response") and clock.history[-1][1] != STOP:
            _append(clock, STOP, now)
            _refresh(clock, ticket, now)
    _sum_up(ticket, clocks)


def on_customer_message(ticket: Ticket, now: datetime) -> None:
    """A customer wrote: the next-response clock starts afresh (a new cycle), if the policy has one."""
    clocks = clocks_of(ticket)
    base = next((c for c in clocks if c.name in ("first_response", "resolution") and c.policy_id), None)
    policy = db.session.get(SlaPolicy, base.policy_id) if base else None
    target = (policy.targets or {}).get("next_response_seconds") if policy else None
    if not target:
        return
    clock = next((c for c in clocks if c.name == "next_response"), None)
    if clock is None:
        clock = SlaClock(ticket_id=ticket.id, name="next_response", policy_id=policy.id, calendar=policy.calendar,
                         target_seconds=int(target), warn_at=list(policy.warn_at or []), history=[])
        db.session.add(clock)
        db.session.flush()
        clocks.append(clock)
    elif _state(clock, now).running:
        return  # still waiting for our answer to an earlier message
    else:
        clock.cycle += 1
    clock.history = [[now.isoformat(), START]]  # each wait for an answer is measured on its own
    _refresh(clock, ticket, now)
    _sum_up(ticket, clocks)


PROMISE = "promise:"


def start_promises(ticket: Ticket, promises: list, now: datetime) -> None:
    """Each promise to the customer is a clock to its due time (24x7): it warns, breaks,
    escalates. The ticket's clocks are read, and its state summed up, once for all of them."""
    if not promises:
        return
    existing = clocks_of(ticket)
    policy_id = next((c.policy_id for c in existing if c.policy_id), None)
    clocks = [SlaClock(ticket_id=ticket.id, name=f"{PROMISE}{p.id}", policy_id=policy_id, calendar="24x7",
                       target_seconds=max(1, int((p.due_at - now).total_seconds())), warn_at=[0.75],
                       history=[[now.isoformat(), START]]) for p in promises]
    db.session.add_all(clocks)
    db.session.flush()
    for clock in clocks:
        _refresh(clock, ticket, now, fired=set())  # new: nothing fired yet
    _sum_up(ticket, existing + clocks)


def settle_promise(ticket: Ticket, promise, now: datetime) -> None:
    for clock in clocks_of(ticket):
        if clock.name == f"{PROMISE}{promise.id}" and clock.history[-1][1] != STOP:
            _append(clock, STOP, now)
            _refresh(clock, ticket, now)
    _sum_up(ticket, clocks_of(ticket))


def retarget(ticket: Ticket, tier: str, now: datetime) -> None:
    """Priority, category or kind changed: the policy that matches now sets the targets; the
    business time already used stays used, the due times move."""
    policy = policy_for(ticket, tier)
    clocks = clocks_of(ticket)
    if policy is None or not clocks:
        return
    for clock in clocks:
        key = dict(CLOCKS).get(clock.name)  # promises keep their own due time
        if _last(clock) == STOP:
            continue  # a finished clock keeps the target it was measured against
        if key and policy.targets.get(key) and (clock.policy_id != policy.id or clock.target_seconds != policy.targets[key]):
            audit.record(ticket, "sla_retargeted", SYSTEM, clock=clock.name, field="target_seconds",
                         before=clock.target_seconds, after=int(policy.targets[key]), policy=policy.name)
            clock.policy_id, clock.calendar = policy.id, policy.calendar
            clock.target_seconds, clock.warn_at = int(policy.targets[key]), list(policy.warn_at or [])
            _refresh(clock, ticket, now)
    _sum_up(ticket, clocks)


def _pause_statuses(clock: SlaClock) -> list[str]:
    policy = db.session.get(SlaPolicy, clock.policy_id) if clock.policy_id else None
    return policy.pause_statuses if policy else ["pending_customer"]


# ---------------------------------------------------------------- checks (jobs and the sweep)

def check(clock_id: int, now: datetime | None = None) -> list[str]:
    """Fire what is due on this clock now and not fired yet; reschedule the next check."""
    now = now or utcnow()
    ticket_id = db.session.scalar(select(SlaClock.ticket_id).where(SlaClock.id == clock_id))
    if ticket_id is None:
        return []
    [fired] = _check_many([(clock_id, ticket_id)], now)
    db.session.commit()
    return fired


def _check_many(due: list[tuple[int, int]], now: datetime) -> list[list[str]]:
    """Check clocks, given as (clock id, ticket id), in the caller's transaction: the levels
    each fired, in order. Their tickets are locked first, in id order; their clocks and what
    these fired are read in one query each. An escalation may lock agent rows, which come
    after every ticket row: the list stops after a clock that escalated, and the caller
    commits before checking the rest."""
    ticket_ids = sorted({ticket_id for _clock_id, ticket_id in due})
    tickets = {t.id: t for t in db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id)
        .with_for_update(key_share=True).execution_options(populate_existing=True))}
    clocks: dict[int, list[SlaClock]] = {}
    for clock in db.session.scalars(select(SlaClock).where(SlaClock.ticket_id.in_(ticket_ids))
                                    .order_by(SlaClock.id).execution_options(populate_existing=True)):
        clocks.setdefault(clock.ticket_id, []).append(clock)
    by_id = {c.id: c for listed in clocks.values() for c in listed}
    fired = _fired_levels([by_id[clock_id] for clock_id, _ticket_id in due if clock_id in by_id])
    results: list[list[str]] = []
    with _each_calendar_read_once():
        for clock_id, ticket_id in due:
            clock = by_id.get(clock_id)  # None: deleted with its ticket since the caller looked
            results.append([] if clock is None else
                           _check(tickets[ticket_id], clock, clocks[ticket_id], fired[clock_id], now))
            if any(level.startswith("escalation:") for level in results[-1]):
                break
    return results


def _fired_levels(clocks: list[SlaClock]) -> dict[int, set[str]]:
    """What each clock has fired in its current cycle, for many clocks in one query."""
    cycles = {c.id: c.cycle for c in clocks}
    fired: dict[int, set[str]] = {clock_id: set() for clock_id in cycles}
    if cycles:
        for clock_id, cycle, level in db.session.execute(
                select(SlaFired.clock_id, SlaFired.cycle, SlaFired.level).where(SlaFired.clock_id.in_(list(cycles)))):
            if cycle == cycles[clock_id]:
                fired[clock_id].add(level)
    return fired


def _check(ticket: Ticket, clock: SlaClock, clocks: list[SlaClock], already: set[str], now: datetime) -> list[str]:
    """check() of one clock, its ticket locked. clocks: all the ticket's; already: the levels
    the clock has fired in its cycle, kept up to date here for _refresh."""
    from ..tickets.services import rooms_for

    state = _state(clock, now)
    fired_now = []
    if not state.running and state.state == BREACHED and _last(clock) == PAUSE and "breach" not in already:
        # paused after its due time: the breach is a fact even though the clock waits now
        already.add("breach")
        if _record(ticket, clock, "breach", now, state.due_at or clock.due_at):
            fired_now.append("breach")
            audit.record(ticket, "sla_breached", SYSTEM, clock=clock.name, level="breach", due_at=None,
                         percent=state.percent_used)
            emit_on_commit("sla.breached", {"ticket_id": ticket.id, "reference": ticket.reference,
                                            "clock": clock.name, "level": "breach", "due_at": None,
                                            "percent_used": state.percent_used, "assignee_id": ticket.assignee_id},
                           rooms_for(ticket))
    if state.running:
        due = [(f"warning:{fraction}", at) for fraction, at in state.warnings if at is not None and at <= now]
        if state.state == BREACHED:
            due.append(("breach", state.due_at))
            due += [(level, at) for level, at, _step in _escalations(clock, state) if at <= now]
        steps = {level: step for level, _at, step in _escalations(clock, state)}
        for level, at in due:
            if level in already:
                continue
            already.add(level)  # recorded now, or by a concurrent job if _record says no
            if _record(ticket, clock, level, now, at):
                fired_now.append(level)
                if level in steps:
                    _escalate(ticket, steps[level])
                if level == "breach" and clock.name.startswith(PROMISE):
                    _break_promise(ticket, int(clock.name[len(PROMISE):]), now)
                # An escalation follows a breach: it travels as sla.breached with its level, and
                # has its own audit kind so the timeline and reports can tell them apart.
                event = "sla.warning" if level.startswith("warning") else "sla.breached"
                kind = "sla_escalated" if level in steps else event.replace(".", "_")
                audit.record(ticket, kind, SYSTEM, clock=clock.name, level=level, due_at=state.due_at,
                             percent=state.percent_used)
                emit_on_commit(event, {"ticket_id": ticket.id, "reference": ticket.reference, "clock": clock.name,
                                       "level": level, "due_at": state.due_at.isoformat() if state.due_at else None,
                                       "percent_used": state.percent_used, "assignee_id": ticket.assignee_id},
                               rooms_for(ticket))
    _refresh(clock, ticket, now, already)
    _sum_up(ticket, clocks)
    return fired_now


PRIORITIES = ("P1", "P2", "P3", "P4")


def _break_promise(ticket: Ticket, promise_id: int, now: datetime) -> None:
    from ..tickets.models import Promise, PromiseStatus

    promise = db.session.get(Promise, promise_id)
    if promise is not None and promise.status is PromiseStatus.open:
        promise.status, promise.settled_at = PromiseStatus.broken, now
        audit.record(ticket, "promise_broken", SYSTEM, promise_id=promise.id, description=promise.description)


def _escalate(ticket: Ticket, step: dict) -> None:
    """Act on an escalation step: raise the priority, hand the ticket to a supervisor or team."""
    from ..auth.models import Role, User
    from ..routing.service import lock_agents, request_sweep
    from ..tickets.models import Priority
    from ..tickets.services import apply_assignment

    if step.get("raise_priority"):
        current = PRIORITIES.index(ticket.priority.value)
        if current > 0:
            audit.set_field(ticket, "priority", Priority(PRIORITIES[current - 1]), SYSTEM)
    target = step.get("reassign_to")
    if not target:
        return
    from ..tickets import lifecycle

    if ticket.status.value not in lifecycle.ASSIGNABLE:
        audit.record(ticket, "sla_escalation_skipped", SYSTEM, reason="ticket_not_open", to=target)
        return  # a promise broken after resolution: tell people, do not reopen by the back door
    kind, _sep, name = target.partition(":")
    name = name.strip()
    if kind == "team":
        from ..auth.models import Team

        team = db.session.scalar(select(Team).where(Team.name == name))
        if team is None:
            audit.record(ticket, "sla_escalation_skipped", SYSTEM, reason="unknown_team", to=target)
            return
        if ticket.team_id != team.id:
            audit.set_field(ticket, "team_id", team.id, SYSTEM)
            request_sweep()
        return
    if kind == "user":
        agent = db.session.scalar(select(User).where(User.email == name.lower(), User.active))
    else:  # "supervisor": a supervisor of the ticket's team
        agent = db.session.scalar(select(User).where(User.active, User.role == Role.supervisor,
                                                     User.teams.any(id=ticket.team_id)).order_by(User.id))
    if agent is not None and agent.id != ticket.assignee_id:
        lock_agents([ticket.assignee_id, agent.id])
        apply_assignment(ticket, agent, SYSTEM, rule="sla_escalation", level=target)


def _record(ticket: Ticket, clock: SlaClock, level: str, now: datetime, due_at: datetime | None) -> bool:
    """Record the level as fired (now) and when it fell due; False when it already was (by a
    concurrent job): once is enough. One INSERT .. ON CONFLICT DO NOTHING: a savepoint around a
    plain INSERT took three statements."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (insert(SlaFired).values(ticket_id=ticket.id, clock_id=clock.id, level=level, cycle=clock.cycle, fired_at=now,
                                    due_at=due_at or now)
            .on_conflict_do_nothing(index_elements=["clock_id", "level", "cycle"]).returning(SlaFired.id))
    with db.session.no_autoflush:  # the other changes wait for the commit, flushed together with the batch's
        return db.session.execute(stmt).first() is not None


def sweep(now: datetime | None = None, limit: int = 5000) -> int:
    """Every clock whose next check is due: catches what a lost job (Redis flushed, worker
    down) missed. Up to SWEEP_BATCH clocks share a transaction (a commit per clock was most of
    the time of a catch-up). A batch that fails is rolled back whole, its side effects with it,
    and its clocks are checked again one per transaction: one broken clock blocks no other."""
    now = now or utcnow()
    due = db.session.execute(select(SlaClock.id, SlaClock.ticket_id).where(SlaClock.next_check_at <= now)
                             .order_by(SlaClock.next_check_at).limit(limit)).all()
    db.session.rollback()
    fired = 0
    while due:
        batch = due[:SWEEP_BATCH]
        try:
            results = _check_many(batch, now)
            db.session.commit()
        except Exception:
            log.warning("SLA sweep: a batch of %d clocks failed; checking them one by one", len(batch), exc_info=True)
            db.session.rollback()
            results = [_check_alone(clock_id, now) for clock_id, _ticket_id in batch]
        fired += sum(len(levels) for levels in results)
        due = due[len(results):]
    return fired


def _check_alone(clock_id: int, now: datetime) -> list[str]:
    try:
        return check(clock_id, now)
    except Exception:  # one broken clock must not block the safety net for the others
        log.exception("SLA check of clock %s failed; the sweep goes on", clock_id)
        db.session.rollback()
        return []


def retarget_policy(policy_id: int, now: datetime | None = None) -> int:
    """A policy was edited: the open tickets it governs get the new targets (time used stays)."""
    from ..tickets import lifecycle

    now = now or utcnow()
    ticket_ids = db.session.scalars(select(SlaClock.ticket_id).distinct().join(Ticket, Ticket.id == SlaClock.ticket_id)
                                    .where(SlaClock.policy_id == policy_id,
                                           Ticket.status.in_(lifecycle.OPEN_STATUSES))).all()
    db.session.rollback()
    for ticket_id in ticket_ids:
        try:
            ticket = db.session.get(Ticket, ticket_id, with_for_update={"key_share": True}, populate_existing=True)
            retarget(ticket, ticket.effective_tier, now)
            db.session.commit()
        except Exception:
            log.exception("retargeting ticket %s failed; going on", ticket_id)
            db.session.rollback()
    return len(ticket_ids)


def recompute_calendar(calendar_id: int, now: datetime | None = None) -> int:
    """A business calendar was edited: the unfinished clocks on it get new due times (the
    business time already used is recomputed on the new hours too); each move is audited."""
    from ..tickets import lifecycle

    now = now or utcnow()
    row = db.session.get(SlaCalendar, calendar_id)
    if row is None:
        return 0
    name = row.name
    ticket_ids = db.session.scalars(select(SlaClock.ticket_id).distinct().join(Ticket, Ticket.id == SlaClock.ticket_id)
                                    .where(SlaClock.calendar == name,
                                           Ticket.status.in_(lifecycle.OPEN_STATUSES))).all()
    db.session.rollback()
    for ticket_id in ticket_ids:
        try:
            ticket = db.session.get(Ticket, ticket_id, with_for_update={"key_share": True}, populate_existing=True)
            clocks = clocks_of(ticket)
            for clock in clocks:
                if clock.calendar != name or _last(clock) == STOP:
                    continue
                before = clock.due_at
                _refresh(clock, ticket, now)
                if clock.due_at != before:
                    audit.record(ticket, "sla_due_moved", SYSTEM, clock=clock.name, field="due_at", before=before,
                                 after=clock.due_at, calendar=name)
            _sum_up(ticket, clocks)
            db.session.commit()
        except Exception:
            log.exception("recomputing the clocks of ticket %s failed; going on", ticket_id)
            db.session.rollback()
    return len(ticket_ids)


def clock_summaries(ticket: Ticket, now: datetime | None = None, clocks: list[SlaClock] | None = None) -> list[dict]:
    """Each clock as a person reads it: state, due time, business time left, percent used.
    clocks: the ticket's clocks, when the caller has read them already."""
    now = now or utcnow()
    out = []
    for clock in clocks_of(ticket) if clocks is None else clocks:
        state = _state(clock, now)
        out.append({"name": clock.name, "state": state.state, "stopped": _last(clock) == STOP, "due_at": state.due_at,
                    "remaining_seconds": round(state.remaining_seconds), "percent_used": state.percent_used,
                    "target_seconds": clock.target_seconds})
    return out


def clock_summaries_by_ticket(tickets: list[Ticket], now: datetime | None = None) -> dict[int, list[dict]]:
    """clock_summaries() of many tickets (a page of a list) by ticket id: their clocks in one
    query, each calendar read once."""
    now = now or utcnow()
    clocks: dict[int, list[SlaClock]] = {t.id: [] for t in tickets}
    if clocks:
        for clock in db.session.scalars(select(SlaClock).where(SlaClock.ticket_id.in_(list(clocks)))
                                        .order_by(SlaClock.id)):
            clocks[clock.ticket_id].append(clock)
    with _each_calendar_read_once():
        return {t.id: clock_summaries(t, now, clocks[t.id]) for t in tickets}

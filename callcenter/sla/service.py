"""SLA clocks on tickets: started by policy, paused and stopped by the ticket's life, checked
by jobs at their warning and due instants, with a sweep as the safety net.

Inside the caller's transaction: the actions (callcenter/actions/sla.py and the ticket actions)
commit and carry out what a check asks for (an escalation). Every warning and breach is one
SlaFired row (unique per clock, level and cycle), one audit event and one socket event: a job
that runs twice fires nothing twice.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import setup_cache, transaction_facts
from ..actors import SYSTEM
from ..auth.models import Role, Team, User
from ..console.rooms import rooms_for
from ..effects import Effects, RowId
from ..extensions import db
from ..routing.rules import matches
from ..tickets import audit, lifecycle
from ..tickets.models import Ticket
from .calendars import calendar_named, each_calendar_read_once
from .clock import BREACHED, MET, PAUSE, RESUME, START, STOP, ClockState, decided_at, severity
from .models import DEFAULT_ESCALATION, SlaCalendar, SlaClock, SlaFired, SlaPolicy
from .summaries import clocks_of, last_entry, state_of

CHECK_JOB = "callcenter.sla.jobs.check_clock"
CLOCKS = (("first_response", "first_response_seconds"), ("resolution", "resolution_seconds"),
          ("final_response", "final_response_seconds"), ("next_response", "next_response_seconds"))
STARTED_WITH_TICKET = ("first_response", "resolution", "final_response")


# ---------------------------------------------------------------- policies

def _policy(policy_id: int | None) -> SlaPolicy | None:
    """A policy by id, read once a transaction (the session forgets rows nothing holds on to)."""
    if policy_id is None:
        return None
    kept = transaction_facts.kept("sla_policies")
    if policy_id not in kept:
        kept[policy_id] = db.session.get(SlaPolicy, policy_id)
    return kept[policy_id]


setup_cache.watch(SlaPolicy)
_POLICY_FIELDS = ("id", "name", "match", "calendar", "targets", "warn_at", "pause_statuses", "escalation")


def active_policies() -> list:
    """The active SLA policies in the order they are tried (plain values, kept per set-up version)."""
    return setup_cache.cached("sla_policies", lambda: [
        setup_cache.plain(policy, *_POLICY_FIELDS) for policy in db.session.scalars(
            select(SlaPolicy).where(SlaPolicy.active).order_by(SlaPolicy.position, SlaPolicy.id))])


def policy_for(ticket: Ticket, tier: str):
    """The first active policy that matches the ticket (plain values: id, targets, calendar ...)."""
    facts = {"kind": ticket.kind.value, "priority": ticket.priority.value, "category": ticket.category_code,
             "channel": ticket.channel.value, "tier": tier}
    for policy in active_policies():
        if matches(policy.match or {}, facts):
            transaction_facts.kept("sla_policies")[policy.id] = policy
            return policy
    return None


# ---------------------------------------------------------------- the clocks' history

def _append(clock: SlaClock, kind: str, now: datetime) -> None:
    clock.history = [*clock.history, [now.isoformat(), kind]]  # a new list, so the JSON column is saved


def _fired(clock: SlaClock) -> set[str]:
    return set(db.session.scalars(select(SlaFired.level).where(SlaFired.clock_id == clock.id,
                                                               SlaFired.cycle == clock.cycle)))


def _refresh(clock: SlaClock, ticket: Ticket, now: datetime, fx: Effects, fired: set[str] | None = None) -> ClockState:
    """Cache the clock's state and due time, and schedule its next check. fired: the levels the
    clock has fired in its cycle, when the caller knows them already."""
    state = _settle(clock, ticket, now, fired)
    _schedule(clock, fx)
    return state


def _settle(clock: SlaClock, ticket: Ticket, now: datetime, fired: set[str] | None = None) -> ClockState:
    """The clock's state, due time and next check, and the ticket's due times, from its history."""
    state = state_of(clock, now)
    previous_due_at = clock.due_at
    clock.state, clock.due_at = state.state, state.due_at
    if state.state not in (MET, BREACHED):
        clock.decided_at = None
    elif clock.decided_at is None:
        clock.decided_at = decided_at(state.state, clock.history, state.due_at, previous_due_at, now)
    if fired is None:
        fired = _fired(clock) if clock.id and not _made_here(clock) else set()
    pending = [at for fraction, at in state.warnings if at is not None and f"warning:{fraction}" not in fired]
    if state.due_at is not None and "breach" not in fired:
        pending.append(state.due_at)
    pending += [at for level, at, _step in _escalations(clock, state) if level not in fired]
    clock.next_check_at = min(pending) if pending and state.running else None
    if not state.running and state.state == BREACHED and last_entry(clock) == PAUSE and "breach" not in fired:
        clock.next_check_at = now  # paused after its due time before the breach was recorded: the sweep records it
    if clock.name == "first_response":
        ticket.first_response_due_at = state.due_at
    elif clock.name == "resolution":
        ticket.resolution_due_at = state.due_at
    return state


def _schedule(clock: SlaClock, fx: Effects) -> None:
    """The clock's next check, as a job at its instant (ids in the job's id: queued once)."""
    if clock.next_check_at is None:
        return
    due = clock.next_check_at
    job_id = f"sla-{{}}-{clock.cycle}-{int(due.timestamp() * 1000)}"
    if clock.id is None:  # not written yet: the job names it by the id it will have
        fx.enqueue(CHECK_JOB, RowId(clock), at=due, queue="high", job_id=RowId(clock, job_id))
    else:
        fx.enqueue(CHECK_JOB, clock.id, at=due, queue="high", job_id=job_id.format(clock.id))


def _made(ticket: Ticket, clocks: list[SlaClock]) -> None:
    """Clocks made for a ticket made in this transaction: clocks_of reads them from here."""
    made = transaction_facts.made_tickets().get(ticket.id)
    if made is not None:
        made.extend(clocks)


def _made_here(clock: SlaClock) -> bool:
    return any(c is clock for c in transaction_facts.made_tickets().get(clock.ticket_id, ()))


def _escalations(clock: SlaClock, state: ClockState) -> list[tuple[str, datetime, dict]]:
    """The escalation steps after a breach, with the instant each falls due (business time)."""
    if not state.running or state.due_at is None:
        return []
    policy = _policy(clock.policy_id)
    steps = policy.escalation if policy is not None else list(DEFAULT_ESCALATION)
    calendar = calendar_named(clock.calendar)
    return [(f"escalation:{step['level']}", calendar.add(state.due_at, step.get("after_seconds", 0)), step)
            for step in sorted(steps, key=lambda s: s["level"])]


def _sum_up(ticket: Ticket, clocks: list[SlaClock], status: str | None = None) -> None:
    """The ticket's SLA state: the worst of the clocks still running (a first response answered
    late is history, not work), or of all of them once none runs or the ticket is finished (the
    final verdict: a promise still running after resolution does not hide a breach)."""
    status = status or ticket.status.value  # on_status runs before the ticket takes its new status
    live = [c for c in clocks if last_entry(c) != STOP] if status not in lifecycle.DONE_STATUSES else []
    ticket.sla_state = max((c.state for c in live or clocks), key=severity, default=None)


# ---------------------------------------------------------------- the ticket's life

def start_clocks(ticket: Ticket, tier: str, now: datetime, fx: Effects) -> list[SlaClock]:
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
        clocks.append(SlaClock(ticket_id=ticket.id, name=name, policy_id=policy.id, calendar=policy.calendar,
                               target_seconds=int(policy.targets[key]), warn_at=list(policy.warn_at or []),
                               history=[[now.isoformat(), START]], cycle=1))
    for clock in clocks:
        _settle(clock, ticket, now, fired=set())  # new: nothing fired yet, and its due time goes in the insert
    db.session.add_all(clocks)  # written at the commit, with the rest; the checks name them by RowId
    _made(ticket, clocks)
    for clock in clocks:
        _schedule(clock, fx)
    audit.record(ticket, "sla_policy_applied", SYSTEM, policy_id=policy.id, policy=policy.name,
                 targets=policy.targets, calendar=policy.calendar)
    _sum_up(ticket, clocks)
    return clocks


def on_status(ticket: Ticket, before: str, after: str, now: datetime, fx: Effects) -> None:
    """Pause while waiting on the customer, resume on their answer, stop when done."""
    clocks = clocks_of(ticket)
    if not clocks:
        return
    pause_in = set(_pause_statuses(clocks[0]))
    for clock in clocks:
        state = state_of(clock, now)
        if clock.name.startswith(PROMISE):
            # A promise is the desk's own commitment: it does not pause for the customer; it ends
            # with the ticket only when the ticket closes or is cancelled.
            if after in lifecycle.FINAL_STATUSES and state.running:
                _append(clock, STOP, now)
                _refresh(clock, ticket, now, fx)
            continue
        last, entries = last_entry(clock), len(clock.history)
        if after in lifecycle.DONE_STATUSES:
            if last != STOP:
                _append(clock, STOP, now)
        elif before in ("resolved", "closed") and clock.name == "resolution":
            _reopen(clock, state, now)
        elif after in pause_in and before not in pause_in and state.running:
            _append(clock, PAUSE, now)
        elif before in pause_in and after not in pause_in and last == PAUSE:
            _append(clock, RESUME, now)  # also when it was already over its target
        if len(clock.history) == entries:  # the status change did nothing to this clock
            _keep_timer(clock, ticket, now, fx)
        else:
            _refresh(clock, ticket, now, fx)
    _sum_up(ticket, clocks, after)


def _keep_timer(clock: SlaClock, ticket: Ticket, now: datetime, fx: Effects) -> None:
    """The clock's state brought up to date; its timer scheduled again only if its next check
    moved. The one already scheduled (in this transaction, for a ticket routed as it is made)
    stands; a timer Redis lost is the sweep's to rebuild, as it always is."""
    scheduled = clock.next_check_at
    _settle(clock, ticket, now)
    if clock.next_check_at != scheduled:
        _schedule(clock, fx)


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


def on_agent_reply(ticket: Ticket, now: datetime, fx: Effects) -> None:
    """A public reply meets the first-response (or next-response) target at once, even with
    its check already queued."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        if clock.name in ("first_response", "next_response") and clock.history[-1][1] != STOP:
            _append(clock, STOP, now)
            _refresh(clock, ticket, now, fx)
    _sum_up(ticket, clocks)


def on_customer_message(ticket: Ticket, now: datetime, fx: Effects) -> None:
    """A customer wrote: the next-response clock starts afresh (a new cycle), if the policy has one."""
    clocks = clocks_of(ticket)
    base = next((c for c in clocks if c.name in ("first_response", "resolution") and c.policy_id), None)
    policy = _policy(base.policy_id) if base else None
    target = (policy.targets or {}).get("next_response_seconds") if policy else None
    if not target:
        return
    clock = next((c for c in clocks if c.name == "next_response"), None)
    if clock is None:
        clock = SlaClock(ticket_id=ticket.id, name="next_response", policy_id=policy.id, calendar=policy.calendar,
                         target_seconds=int(target), warn_at=list(policy.warn_at or []), history=[])
        db.session.add(clock)
        db.session.flush()
        _made(ticket, [clock])
        clocks.append(clock)
    elif state_of(clock, now).running:
        return  # still waiting for our answer to an earlier message
    else:
        clock.cycle += 1
    clock.history = [[now.isoformat(), START]]  # each wait for an answer is measured on its own
    _refresh(clock, ticket, now, fx)
    _sum_up(ticket, clocks)


PROMISE = "promise:"


def start_promises(ticket: Ticket, promises: list, now: datetime, fx: Effects) -> None:
    """Each promise to the customer is a clock to its due time (24x7): it warns, breaks,
    escalates. The ticket's clocks are read, and its state summed up, once for all of them.
    Whole seconds rounded up: the clock falls due at the promise's time, never a moment before
    (truncated, a promise due 17:00 read 16:59)."""
    if not promises:
        return
    existing = clocks_of(ticket)
    policy_id = next((c.policy_id for c in existing if c.policy_id), None)
    clocks = [SlaClock(ticket_id=ticket.id, name=f"{PROMISE}{p.id}", policy_id=policy_id, calendar="24x7",
                       target_seconds=max(1, math.ceil((p.due_at - now).total_seconds())), warn_at=[0.75],
                       history=[[now.isoformat(), START]]) for p in promises]
    db.session.add_all(clocks)
    db.session.flush()
    _made(ticket, clocks)
    for clock in clocks:
        _refresh(clock, ticket, now, fx, fired=set())  # new: nothing fired yet
    _sum_up(ticket, existing + clocks)


def settle_promise(ticket: Ticket, promise, now: datetime, fx: Effects) -> None:
    for clock in clocks_of(ticket):
        if clock.name == f"{PROMISE}{promise.id}" and clock.history[-1][1] != STOP:
            _append(clock, STOP, now)
            _refresh(clock, ticket, now, fx)
    _sum_up(ticket, clocks_of(ticket))


def retarget(ticket: Ticket, tier: str, now: datetime, fx: Effects) -> None:
    """Priority, category or kind changed: the policy that matches now sets the targets; the
    business time already used stays used, the due times move."""
    policy = policy_for(ticket, tier)
    clocks = clocks_of(ticket)
    if policy is None or not clocks:
        return
    for clock in clocks:
        key = dict(CLOCKS).get(clock.name)  # promises keep their own due time
        if last_entry(clock) == STOP:
            continue  # a finished clock keeps the target it was measured against
        if key and policy.targets.get(key) and (clock.policy_id != policy.id or clock.target_seconds != policy.targets[key]):
            audit.record(ticket, "sla_retargeted", SYSTEM, clock=clock.name, field="target_seconds",
                         before=clock.target_seconds, after=int(policy.targets[key]), policy=policy.name)
            clock.policy_id, clock.calendar = policy.id, policy.calendar
            clock.target_seconds, clock.warn_at = int(policy.targets[key]), list(policy.warn_at or [])
            _refresh(clock, ticket, now, fx)
    _sum_up(ticket, clocks)


def _pause_statuses(clock: SlaClock) -> list[str]:
    policy = _policy(clock.policy_id)
    return policy.pause_statuses if policy else ["pending_customer"]


# ---------------------------------------------------------------- checks (jobs and the sweep)

@dataclass
class Fired:
    """What one check fired on a clock, and the escalation steps that call for action: the
    caller carries them out through the same paths as a person's change."""

    ticket: Ticket | None = None
    levels: list[str] = field(default_factory=list)
    escalations: list[dict] = field(default_factory=list)
    broken_promises: list[int] = field(default_factory=list)


def ticket_of_clock(clock_id: int) -> int | None:
    return db.session.scalar(select(SlaClock.ticket_id).where(SlaClock.id == clock_id))


def due_clocks(now: datetime, limit: int) -> list[tuple[int, int]]:
    """(clock id, ticket id) of every clock whose next check is due, soonest first."""
    return list(db.session.execute(select(SlaClock.id, SlaClock.ticket_id).where(SlaClock.next_check_at <= now)
                                   .order_by(SlaClock.next_check_at).limit(limit)).all())


def check_many(due: list[tuple[int, int]], now: datetime, fx: Effects) -> list[Fired]:
    """Check clocks, given as (clock id, ticket id), in the caller's transaction. Their tickets
    are locked first, in id order; their clocks and what these fired are read in one query each.
    Carrying out an escalation may lock agent rows, which come after every ticket row: the list
    stops after a clock that escalated, and the caller commits before checking the rest."""
    ticket_ids = sorted({ticket_id for _clock_id, ticket_id in due})
    tickets = {t.id: t for t in db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id)
        .options(selectinload(Ticket.promises))  # their creators hear the events (rooms_for): one query
        .with_for_update(key_share=True).execution_options(populate_existing=True))}
    clocks: dict[int, list[SlaClock]] = {}
    for clock in db.session.scalars(select(SlaClock).where(SlaClock.ticket_id.in_(ticket_ids))
                                    .order_by(SlaClock.id).execution_options(populate_existing=True)):
        clocks.setdefault(clock.ticket_id, []).append(clock)
    by_id = {c.id: c for listed in clocks.values() for c in listed}
    fired = _fired_levels([by_id[clock_id] for clock_id, _ticket_id in due if clock_id in by_id])
    results: list[Fired] = []
    with each_calendar_read_once():
        for clock_id, ticket_id in due:
            clock = by_id.get(clock_id)  # None: deleted with its ticket since the caller looked
            results.append(Fired() if clock is None else
                           _check(tickets[ticket_id], clock, clocks[ticket_id], fired[clock_id], now, fx))
            if results[-1].escalations:
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


def _announce(ticket: Ticket, clock: SlaClock, event: str, level: str, due_at: datetime | None, percent: float,
              fx: Effects) -> None:
    fx.emit(event, {"ticket_id": ticket.id, "reference": ticket.reference, "clock": clock.name, "level": level,
                    "due_at": due_at.isoformat() if due_at else None, "percent_used": percent,
                    "assignee_id": ticket.assignee_id}, rooms_for(ticket))


def _check(ticket: Ticket, clock: SlaClock, clocks: list[SlaClock], already: set[str], now: datetime,
           fx: Effects) -> Fired:
    """One clock, its ticket locked. clocks: all the ticket's; already: the levels the clock has
    fired in its cycle, kept up to date here for _refresh."""
    state = state_of(clock, now)
    result = Fired(ticket=ticket)
    # When the target passed, if the clock already knows it (it paused, stopped or was reopened past
    # its due time before any check): the due time worked out now would be the check's, the resume's
    # or the reopen's instant.
    breached_at = clock.decided_at if clock.state == BREACHED else None
    if not state.running and state.state == BREACHED and last_entry(clock) == PAUSE and "breach" not in already:
        # paused after its due time: the breach is a fact even though the clock waits now
        already.add("breach")
        if _record(ticket, clock, "breach", now, breached_at or state.due_at or clock.due_at):
            result.levels.append("breach")
            audit.record(ticket, "sla_breached", SYSTEM, clock=clock.name, level="breach", due_at=None,
                         percent=state.percent_used)
            _announce(ticket, clock, "sla.breached", "breach", None, state.percent_used, fx)
    if state.running:
        due = [(f"warning:{fraction}", at) for fraction, at in state.warnings if at is not None and at <= now]
        if state.state == BREACHED:
            due.append(("breach", breached_at or state.due_at))
            due += [(level, at) for level, at, _step in _escalations(clock, state) if at <= now]
        steps = {level: step for level, _at, step in _escalations(clock, state)}
        for level, at in due:
            if level in already:
                continue
            already.add(level)  # recorded now, or by a concurrent job if _record says no
            if _record(ticket, clock, level, now, at):
                result.levels.append(level)
                if level in steps:
                    result.escalations.append(steps[level])
                if level == "breach" and clock.name.startswith(PROMISE):
                    result.broken_promises.append(int(clock.name[len(PROMISE):]))
                # An escalation follows a breach: it travels as sla.breached with its level, and
                # has its own audit kind so the timeline and reports can tell them apart.
                event = "sla.warning" if level.startswith("warning") else "sla.breached"
                kind = "sla_escalated" if level in steps else event.replace(".", "_")
                audit.record(ticket, kind, SYSTEM, clock=clock.name, level=level, due_at=state.due_at,
                             percent=state.percent_used)
                _announce(ticket, clock, event, level, state.due_at, state.percent_used, fx)
    _refresh(clock, ticket, now, fx, already)
    _sum_up(ticket, clocks)
    return result


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


def escalation_target(ticket: Ticket, step: dict) -> tuple[str, object | None]:
    """Who an escalation step hands the ticket to: ("team", Team), ("agent", User), or
    ("skip", reason) / ("none", None)."""
    target = step.get("reassign_to")
    if not target:
        return "none", None
    if ticket.status.value not in lifecycle.ASSIGNABLE:
        return "skip", "ticket_not_open"  # a promise broken after resolution: tell people, do not reopen
    kind, _sep, name = target.partition(":")
    name = name.strip()
    if kind == "team":
        team = db.session.scalar(select(Team).where(Team.name == name))
        return ("team", team) if team is not None else ("skip", "unknown_team")
    if kind == "user":
        agent = db.session.scalar(select(User).where(User.email == name.lower(), User.active))
    else:  # "supervisor": a supervisor of the ticket's team
        agent = db.session.scalar(select(User).where(User.active, User.role == Role.supervisor,
                                                     User.teams.any(id=ticket.team_id)).order_by(User.id))
    return ("agent", agent) if agent is not None else ("none", None)


# ---------------------------------------------------------------- edits that move clocks

def tickets_on_policy(policy_id: int) -> list[int]:
    return list(db.session.scalars(select(SlaClock.ticket_id).distinct().join(Ticket, Ticket.id == SlaClock.ticket_id)
                                   .where(SlaClock.policy_id == policy_id,
                                          Ticket.status.in_(lifecycle.OPEN_STATUSES))))


def tickets_on_calendar(name: str) -> list[int]:
    return list(db.session.scalars(select(SlaClock.ticket_id).distinct().join(Ticket, Ticket.id == SlaClock.ticket_id)
                                   .where(SlaClock.calendar == name, Ticket.status.in_(lifecycle.OPEN_STATUSES))))


def calendar_name(calendar_id: int) -> str | None:
    row = db.session.get(SlaCalendar, calendar_id)
    return row.name if row else None


def lock_ticket(ticket_id: int) -> Ticket | None:
    return db.session.get(Ticket, ticket_id, with_for_update={"key_share": True}, populate_existing=True)


def recompute(ticket: Ticket, calendar: str, now: datetime, fx: Effects) -> None:
    """The calendar's hours changed: the ticket's unfinished clocks on it get new due times
    (the business time used is recomputed on the new hours too); each move is audited."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        if clock.calendar != calendar or last_entry(clock) == STOP:
            continue
        before = clock.due_at
        _refresh(clock, ticket, now, fx)
        if clock.due_at != before:
            audit.record(ticket, "sla_due_moved", SYSTEM, clock=clock.name, field="due_at", before=before,
                         after=clock.due_at, calendar=calendar)
    _sum_up(ticket, clocks)

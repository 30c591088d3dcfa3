"""The clocks of tickets as a person reads them: state, due time, business time left, percent
used. Read only: the list, the ticket page and the wallboard use it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .. import transaction_facts
from ..db_types import utcnow
from ..extensions import db
from ..tickets.models import Ticket
from .calendars import calendar_named, each_calendar_read_once
from .clock import STOP, ClockEvent, ClockState, clock_state
from .models import SlaClock


def clocks_of(ticket: Ticket) -> list[SlaClock]:
    made = transaction_facts.made_tickets().get(ticket.id)
    if made is not None:  # made in this transaction: its clocks are the ones made with it
        return list(made)
    return list(db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.id)))


def events_of(clock: SlaClock) -> list[ClockEvent]:
    return [ClockEvent(datetime.fromisoformat(at), kind) for at, kind in clock.history]


def state_of(clock: SlaClock, now: datetime) -> ClockState:
    """The clock's state at `now`. Kept on the clock object for the same instant and the same
    facts: a ticket made and routed in one request asks this of each clock four times over."""
    last = tuple(clock.history[-1]) if clock.history else None
    key = (now, id(clock.history), len(clock.history), last, clock.target_seconds, clock.calendar,
           tuple(clock.warn_at or ()))
    kept = getattr(clock, "_state_kept", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    state = clock_state(events_of(clock), clock.target_seconds, calendar_named(clock.calendar), now, clock.warn_at)
    if isinstance(clock, SlaClock):  # not a plain row (the lists read SUMMARY_COLUMNS)
        clock._state_kept = (key, state)
    return state


def last_entry(clock: SlaClock) -> str | None:
    """What the clock's history says last: paused and stopped are facts of the history, not of
    the computed state (a clock paused after its due time reads 'breached')."""
    return clock.history[-1][1] if clock.history else None


def clock_summaries(ticket: Ticket, now: datetime | None = None, clocks: list | None = None) -> list[dict]:
    """Each clock as a person reads it: state, due time, business time left, percent used.
    clocks: the ticket's clocks, when the caller has read them already (SlaClock objects, or
    rows of SUMMARY_COLUMNS)."""
    now = now or utcnow()
    out = []
    for clock in clocks_of(ticket) if clocks is None else clocks:
        state = state_of(clock, now)
        out.append({"name": clock.name, "state": state.state, "stopped": last_entry(clock) == STOP, "due_at": state.due_at,
                    "remaining_seconds": round(state.remaining_seconds), "percent_used": state.percent_used,
                    "target_seconds": clock.target_seconds})
    return out


# What a clock's summary reads of its row. Read as plain rows, not as SlaClock objects: building
# and tracking 120 objects was most of the wallboard's tickets at risk (benchmarks/kpi.py).
SUMMARY_COLUMNS = (SlaClock.ticket_id, SlaClock.name, SlaClock.calendar, SlaClock.target_seconds, SlaClock.warn_at,
                   SlaClock.history)


def clock_summaries_by_ticket(tickets: list[Ticket], now: datetime | None = None) -> dict[int, list[dict]]:
    """clock_summaries() of many tickets (a page of a list) by ticket id: their clocks in one
    query, each calendar read once."""
    now = now or utcnow()
    clocks: dict[int, list] = {t.id: [] for t in tickets}
    if clocks:
        for clock in db.session.execute(select(*SUMMARY_COLUMNS).where(SlaClock.ticket_id.in_(list(clocks)))
                                        .order_by(SlaClock.id)):
            clocks[clock.ticket_id].append(clock)
    with each_calendar_read_once():
        return {t.id: clock_summaries(t, now, clocks[t.id]) for t in tickets}

"""The state of one SLA clock, from its history and now. Pure.

A clock runs in business time from its start, pauses (the ticket waits on the customer),
resumes, and stops when its target is reached (first response sent, ticket resolved). Its
target can change mid-way (priority or policy edited): the time already used stays used, the
due time moves. Warnings fall at fractions of the target (default 75 % and 90 %).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from .calendar import BusinessCalendar

START, PAUSE, RESUME, STOP = "start", "pause", "resume", "stop"
RUNNING, PAUSED, WARNING, BREACHED, MET = "running", "paused", "warning", "breached", "met"
DEFAULT_WARN_AT = (0.75, 0.9)
# How bad a clock's state is, the one order everything sorts by (a ticket's SLA state, the
# board's worst clock, the tickets at risk): met, then paused, running, warning, breached.
SEVERITY = {MET: 0, PAUSED: 1, RUNNING: 2, WARNING: 3, BREACHED: 4}


def severity(state: str | None) -> int:
    return SEVERITY.get(state, 0)


@dataclass(frozen=True)
class ClockEvent:
    at: datetime
    kind: str  # start | pause | resume | stop


@dataclass(frozen=True)
class ClockState:
    state: str
    used_seconds: float  # business seconds used so far (to the stop, if stopped)
    target_seconds: float
    due_at: datetime | None  # None while paused or stopped
    remaining_seconds: float  # may be negative once breached
    percent_used: float
    running: bool
    warnings: tuple[tuple[float, datetime | None], ...]  # (fraction, instant it is reached if running)

    @property
    def breach_at(self) -> datetime | None:
        return self.due_at


def _segments(events: Sequence[ClockEvent], now: datetime) -> tuple[list[tuple[datetime, datetime]], datetime | None, bool]:
    """Running segments up to now; the start of the open segment if running; whether stopped."""
    segments, running_since, stopped = [], None, False
    for event in sorted(events, key=lambda e: e.at):
        if event.at > now:
            break
        if event.kind == START:
            stopped = False  # started again (a reopened ticket): time already used stays used
        if event.kind in (START, RESUME) and running_since is None and not stopped:
            running_since = event.at
        elif event.kind in (PAUSE, STOP) and running_since is not None:
            segments.append((running_since, event.at))
            running_since = None
        if event.kind == STOP:
            stopped = True
    return segments, running_since, stopped


def clock_state(events: Sequence[ClockEvent], target_seconds: float, calendar: BusinessCalendar, now: datetime,
                warn_at: Sequence[float] = DEFAULT_WARN_AT) -> ClockState:
    segments, running_since, stopped = _segments(events, now)
    used_before = sum(calendar.between(a, b) for a, b in segments)
    running = running_since is not None
    used = used_before + (calendar.between(running_since, now) if running else 0.0)
    remaining = target_seconds - used
    percent = used / target_seconds if target_seconds > 0 else 1.0
    due_at = calendar.add(running_since, target_seconds - used_before) if running else None
    warnings = tuple(
        (fraction, calendar.add(running_since, fraction * target_seconds - used_before) if running else None)
        for fraction in sorted(warn_at))
    if stopped:
        state = MET if used <= target_seconds else BREACHED
    elif used >= target_seconds:
        state = BREACHED
    elif not running:
        state = PAUSED
    elif warn_at and percent >= min(warn_at):
        state = WARNING
    else:
        state = RUNNING
    return ClockState(state=state, used_seconds=used, target_seconds=target_seconds,
                      due_at=due_at if not stopped else None, remaining_seconds=remaining,
                      percent_used=round(percent, 4), running=running and not stopped, warnings=warnings)


def decided_at(state: str, history: list, due_at: datetime | None, previous_due_at: datetime | None,
               now: datetime) -> datetime | None:
    """When a clock's outcome was settled, for the figures (docs/KPIS.md): a met clock at its
    stop, a breached one at the instant it breached (its due time, or the last due time known
    before a late stop); None while the outcome is open. Pure."""
    if state == MET:
        last_instant, last_kind = history[-1] if history else (None, None)
        return datetime.fromisoformat(last_instant) if last_kind == STOP else now
    if state == BREACHED:
        return due_at or previous_due_at or now
    return None

"""When follow-up work may be tried: the retry schedule, a callback's window, the customer's
do-not-call hours, the slots a customer is offered, and which resolved tickets get a revisit.

Pure: no Flask, no SQLAlchemy, no clock (`now` is always given). Instants are aware
datetimes; do-not-call hours are local to the calendar's time zone, like its opening hours.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from ..sla.calendar import MAX_DAYS, BusinessCalendar, Interval, NeverOpen

NEXT_MORNING = "next_morning"
_STEP = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
MAX_STEPS = 500  # moving past closed and quiet stretches: more is a calendar that never opens


# ---------------------------------------------------------------- the retry schedule

@dataclass(frozen=True)
class Step:
    seconds: int = 0
    next_morning: bool = False


def parse_step(text: str) -> Step:
    """'15m', '1h', '2d', '30s' (a plain delay) or 'next_morning' (the next working day's opening)."""
    if text.strip() == NEXT_MORNING:
        return Step(next_morning=True)
    found = _STEP.match(text)
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"not a retry step: {text!r} (like 15m, 1h, 1d or next_morning)")
    return Step(seconds=int(found.group(1)) * _UNIT[found.group(2)])


def parse_schedule(steps: Sequence[str]) -> tuple[Step, ...]:
    if not steps:
        raise ValueError("the retry schedule needs at least one step")
    return tuple(parse_step(s) for s in steps)


# ---------------------------------------------------------------- do-not-call hours

def parse_quiet_hours(text: str | None) -> tuple[Interval, ...]:
    """'21:00-09:00' or '12:00-13:30,21:00-08:00': local stretches in which nobody calls. An
    end before its start runs past midnight."""
    out = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        found = _HOURS.match(part)
        if not found:
            raise ValueError(f"not a stretch of hours: {part.strip()!r} (like 21:00-09:00)")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"not a time of day in {part.strip()!r}")
        begin, end = h1 * 60 + m1, h2 * 60 + m2
        if end == begin:
            raise ValueError(f"an empty stretch: {part.strip()!r}")
        out.append((begin, end if end > begin else end + 1440))
    return tuple(out)


def _wall(day: date, minute: int) -> datetime:
    days, minute = divmod(minute, 1440)
    return datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60))


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time as the calendar reads it (zoneinfo's fold=0 when clocks change)."""
    return _wall(day, minute).replace(tzinfo=zone).astimezone(timezone.utc)


def _both_readings(day: date, minute: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The earliest and the latest instant a wall-clock time may mean: one instant on most days,
    two in the hour that is skipped or repeated when clocks change."""
    wall = _wall(day, minute)
    first, second = (wall.replace(tzinfo=zone, fold=f).astimezone(timezone.utc) for f in (0, 1))
    return min(first, second), max(first, second)


def quiet_stretches(start: datetime, end: datetime, tz: str, quiet: Sequence[Interval]) -> Iterator[tuple[datetime, datetime]]:
    """The quiet stretches (UTC) that overlap [start, end). An edge in the hour that clocks skip
    or repeat is read the way that makes the stretch longer: no call while the customer's clock
    could read a time inside it."""
    if not quiet:
        return
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        for begin, finish in quiet:
            a, b = _both_readings(day, begin, zone)[0], _both_readings(day, finish, zone)[1]
            if a < end and b > start:
                yield a, b
        day += timedelta(days=1)


def quiet_until(at: datetime, tz: str, quiet: Sequence[Interval]) -> datetime | None:
    """When the quiet stretch `at` falls in ends (stretches that touch are one), or None."""
    until = None
    probe = at
    # Each pass moves to the end of one stretch; two days' worth of them is the longest chain
    # short of hours that never end (then the caller's search gives up).
    for _ in range(2 * len(quiet) + 2):
        ends = [b for a, b in quiet_stretches(probe, probe + timedelta(seconds=1), tz, quiet) if a <= probe]
        if not ends:
            break
        until = probe = max(ends)
    return until


# ---------------------------------------------------------------- open time

def _open_from(at: datetime, calendar: BusinessCalendar) -> tuple[datetime, datetime]:
    """The open stretch `at` is in, or the next one: (from, to), from >= at."""
    if calendar.always_open:
        return at, at + timedelta(days=3650)
    return next(calendar.intervals_from(at))


def _open_without_break(start: datetime, end: datetime, calendar: BusinessCalendar) -> bool:
    """Whether the desk is open all through [start, end): stretches that touch (12:00-12:00, a
    night shift ending as the morning starts) run on."""
    if calendar.always_open:
        return True
    reached = start
    for a, b in calendar.intervals_from(start):
        if a > reached:
            return False
        reached = max(reached, b)
        if reached >= end:
            return True
    return False


def earliest_allowed(at: datetime, calendar: BusinessCalendar, tz: str, quiet: Sequence[Interval]) -> datetime:
    """The first instant from `at` that is inside open hours and outside do-not-call hours."""
    moment = at
    for _ in range(MAX_STEPS):
        moment, _close = _open_from(moment, calendar)
        until = quiet_until(moment, tz, quiet)
        if until is None:
            return moment
        moment = until
    raise NeverOpen(f"no time to call within {MAX_STEPS} open stretches of {at.isoformat()}")


def allowed(at: datetime, calendar: BusinessCalendar, tz: str, quiet: Sequence[Interval]) -> bool:
    return earliest_allowed(at, calendar, tz, quiet) == at


def next_morning(after: datetime, calendar: BusinessCalendar, tz: str) -> datetime:
    """The opening of the first working day after `after`'s local day (09:00 on the wall clock
    on a desk open around the clock). A night shift still running at midnight is not an opening."""
    zone = ZoneInfo(calendar.tz if not calendar.always_open else tz)
    day = after.astimezone(zone).date() + timedelta(days=1)
    if calendar.always_open:
        return _local(day, 9 * 60, zone)
    for _ in range(MAX_DAYS):
        hours = sorted(span for span in calendar.hours_on(day) if span[1] > span[0])
        if hours:
            return next(calendar.intervals_from(_local(day, hours[0][0], zone)))[0]
        day += timedelta(days=1)
    raise NeverOpen(f"no working day within {MAX_DAYS} days of {after.isoformat()}")


def next_try(last_try: datetime, tries_made: int, schedule: Sequence[Step], max_tries: int,
             calendar: BusinessCalendar, tz: str, quiet: Sequence[Interval]) -> datetime | None:
    """When to try again after `tries_made` unanswered tries, or None when they are used up.
    Step n of the schedule waits before try n+1 (the last step repeats if the schedule is
    shorter). A retry that would fall outside open hours or in do-not-call hours moves to the
    next time it may be made."""
    if tries_made >= max_tries or tries_made < 1:
        return None
    step = schedule[min(tries_made - 1, len(schedule) - 1)]
    wanted = next_morning(last_try, calendar, tz) if step.next_morning else last_try + timedelta(seconds=step.seconds)
    return earliest_allowed(wanted, calendar, tz, quiet)


# ---------------------------------------------------------------- a callback's window

WINDOW_PROBLEMS = ("ends_before_start", "in_past", "outside_open_hours", "in_quiet_hours", "too_far_ahead")
LONGEST_AHEAD = timedelta(days=30)


def window_problem(start: datetime, end: datetime, now: datetime, calendar: BusinessCalendar, tz: str,
                   quiet: Sequence[Interval]) -> str | None:
    """Why a callback window cannot be booked (one of WINDOW_PROBLEMS), or None."""
    if end <= start:
        return "ends_before_start"
    if start < now - timedelta(minutes=1):  # a minute's grace: the form was filled a moment ago
        return "in_past"
    if start > now + LONGEST_AHEAD:
        return "too_far_ahead"
    if not _open_without_break(start, end, calendar):
        return "outside_open_hours"
    if any(True for _ in quiet_stretches(start, end, tz, quiet)):
        return "in_quiet_hours"
    return None


def offered_slots(now: datetime, calendar: BusinessCalendar, tz: str, quiet: Sequence[Interval],
                  slot_minutes: int = 60, lead: timedelta = timedelta(minutes=15), count: int = 12
                  ) -> list[tuple[datetime, datetime]]:
    """Windows a customer may choose: whole slots inside open hours, clear of do-not-call hours,
    starting at least `lead` from now, one after another, aligned to the hour in the calendar's
    zone (a slot that divides the hour, 15 or 30 minutes, to its own length)."""
    size = timedelta(minutes=slot_minutes)
    grid = slot_minutes if slot_minutes < 60 and 60 % slot_minutes == 0 else 60
    zone = ZoneInfo(calendar.tz if not calendar.always_open else tz)
    slots: list[tuple[datetime, datetime]] = []
    cursor = _aligned(now + lead, zone, grid)
    horizon = now + LONGEST_AHEAD
    while len(slots) < count and cursor <= horizon:
        end = cursor + size
        if window_problem(cursor, end, now, calendar, tz, quiet) is None:
            slots.append((cursor, end))
            cursor = _aligned(end, zone, grid)
            continue
        try:  # jump over closed and quiet time rather than walk through it
            free = earliest_allowed(cursor, calendar, tz, quiet)
        except NeverOpen:
            break
        cursor = _aligned(max(free, cursor + timedelta(minutes=grid)), zone, grid)
    return slots


SHORTEST_ASAP = timedelta(minutes=10)


def asap_window(now: datetime, calendar: BusinessCalendar, tz: str, quiet: Sequence[Interval],
                slot_minutes: int = 60) -> tuple[datetime, datetime] | None:
    """"As soon as possible": from now for a slot's length, cut at closing time or where quiet
    hours begin; None when nobody may be called now or less than ten minutes are left."""
    start = now.replace(microsecond=0)
    if not allowed(start, calendar, tz, quiet):
        return None
    end = min(start + timedelta(minutes=slot_minutes), _open_from(start, calendar)[1])
    for begin, _finish in quiet_stretches(start, end, tz, quiet):
        end = min(end, begin)
    if end - start < SHORTEST_ASAP:
        return None
    return start, end


def _aligned(at: datetime, zone: ZoneInfo, grid: int) -> datetime:
    """The first instant from `at` whose local minute is a multiple of `grid` (which divides 60)."""
    local = at.astimezone(zone)
    past = timedelta(minutes=local.minute % grid, seconds=local.second, microseconds=local.microsecond)
    return at if not past else at - past + timedelta(minutes=grid)


# ---------------------------------------------------------------- which tickets get a revisit

def _matches(match: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    for key, wanted in match.items():
        have = facts.get(key)
        if isinstance(wanted, (list, tuple)):
            if have not in wanted:
                return False
        elif have != wanted:
            return False
    return True


def sampled(ticket_id: int, rate: float) -> bool:
    """A fixed share of tickets, the same ones however often it is asked (a rerun job agrees)."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"revisit:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def revisit_rule(facts: Mapping[str, Any], rules: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first rule that matches the resolved ticket decides: a revisit if the ticket falls in
    its sample. Cancelled tickets never get one. facts: id, status, kind, tier, priority,
    category, channel."""
    if facts.get("status") == "cancelled":
        return None
    for rule in rules:
        if _matches(rule.get("match") or {}, facts):
            return rule if sampled(int(facts["id"]), float(rule.get("sample", 1.0))) else None
    return None

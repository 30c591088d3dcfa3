"""Business time: when a desk is open, and how much open time lies between two instants.

Pure: no Flask, no SQLAlchemy, no clock. Instants are aware datetimes; opening hours are
local to the calendar's time zone (daylight saving handled by zoneinfo). A day's opening
intervals are minutes from that day's local midnight; an end past 1440 runs into the next
day (a night shift 22:00-06:00 is (1320, 1800)). Holidays close a day; extra open days
(China's make-up workdays, a special Saturday) open one with the given hours.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Mapping
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # minutes from local midnight, end may exceed 1440
MAX_DAYS = 3 * 366  # a calendar with no open time in three years is a configuration error

OFFICE_HOURS: Mapping[int, tuple[Interval, ...]] = {d: ((9 * 60, 18 * 60),) for d in range(5)}


class NeverOpen(ValueError):
    """The calendar has no open time within MAX_DAYS of the start."""


@dataclass(frozen=True)
class BusinessCalendar:
    tz: str = "UTC"
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=lambda: dict(OFFICE_HOURS))
    closed: frozenset[date] = frozenset()
    extra_open: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    always_open: bool = False

    @classmethod
    def twenty_four_seven(cls) -> "BusinessCalendar":
        return cls(always_open=True)

    # ------------------------------------------------------------ opening intervals

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """Opening intervals that start on this local day."""
        if day in self.extra_open:
            return self.extra_open[day]
        if day in self.closed:
            return ()
        return self.weekly.get(day.weekday(), ())

    def _local(self, day: date, minute: int) -> datetime:
        zone = ZoneInfo(self.tz)
        days, minute = divmod(minute, 1440)
        local = datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60))
        # Wall-clock times that do not exist (spring forward) or exist twice (fall back) resolve
        # by zoneinfo's fold=0 rule; converting through UTC keeps the arithmetic exact.
        return local.replace(tzinfo=zone).astimezone(timezone.utc)

    def intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) that end after start, in time order."""
        zone = ZoneInfo(self.tz)
        day = start.astimezone(zone).date() - timedelta(days=1)  # yesterday's night shift may still run
        for _ in range(MAX_DAYS):
            for begin, end in sorted(self.hours_on(day)):
                a, b = self._local(day, begin), self._local(day, end)
                if b > start and b > a:
                    yield max(a, start), b
            day += timedelta(days=1)
        raise NeverOpen(f"no open time within {MAX_DAYS} days of {start.isoformat()}")

    # ------------------------------------------------------------ arithmetic

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of open time have passed since start."""
        _aware(start)
        if seconds <= 0:
            return start
        if self.always_open:
            return start + timedelta(seconds=seconds)
        left = seconds
        for a, b in self.intervals_from(start):
            span = (b - a).total_seconds()
            if span >= left:
                return a + timedelta(seconds=left)
            left -= span
        raise NeverOpen("unreachable")  # intervals_from raises first

    def between(self, a: datetime, b: datetime) -> float:
        """Seconds of open time in [a, b); zero when b is not after a."""
        _aware(a), _aware(b)
        if b <= a:
            return 0.0
        if self.always_open:
            return (b - a).total_seconds()
        total = 0.0
        for start, end in self.intervals_from(a):
            if start >= b:
                break
            total += (min(end, b) - start).total_seconds()
        return total

    def is_open(self, at: datetime) -> bool:
        if self.always_open:
            return True
        first = next(self.intervals_from(at))
        return first[0] <= at < first[1]


def closed_stretch(calendar: BusinessCalendar, start: date) -> tuple[date, int] | None:
    """Where the calendar stays shut for MAX_DAYS or more from some day after start (so a
    clock started then could never fall due), as (first day, length); None if it always
    reopens. Days past the last exception repeat the week, so the search ends there."""
    if calendar.always_open:
        return None
    exceptions = [*calendar.closed, *calendar.extra_open]
    last = max([d for d in exceptions if d >= start], default=start)
    run_start, run = None, 0
    day = start
    while day <= last + timedelta(days=MAX_DAYS + 7):
        if calendar.hours_on(day):
            if day > last:
                return None  # open again after every exception: it always reopens
            run_start, run = None, 0
        else:
            run_start, run = run_start or day, run + 1
            if run >= MAX_DAYS - 1:
                return run_start, run
        day += timedelta(days=1)
    return (run_start, run) if run else None


def _aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("business time needs aware datetimes")


def parse_hours(text: str) -> tuple[Interval, ...]:
    """'09:00-12:00,13:00-18:00' or '22:00-06:00' (past midnight) -> minute intervals."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        begin, _sep, end = part.partition("-")
        a, b = _minutes(begin), _minutes(end)
        if b <= a:
            b += 1440  # runs past midnight
        out.append((a, b))
    return tuple(out)


def format_hours(intervals: tuple[Interval, ...]) -> str:
    """The inverse of parse_hours: minute intervals -> '09:00-12:00,13:00-18:00'."""
    def hhmm(minute: int) -> str:
        minute %= 1440
        return f"{minute // 60:02d}:{minute % 60:02d}"

    return ",".join(f"{hhmm(a)}-{hhmm(b) if b != 1440 else '24:00'}" for a, b in sorted(intervals))


def _minutes(text: str) -> int:
    hours, _sep, minutes = text.strip().partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 1440:
        raise ValueError(f"not a time of day: {text!r}")
    return value


def overlaps(weekly: Mapping[int, tuple[Interval, ...]]) -> list[str]:
    """Overlapping opening hours (which would count twice), including a night shift running
    into the next day's first interval. Empty when the week is clean."""
    problems = []
    for day in range(7):
        spans = sorted(weekly.get(day, ()))
        spans += [(a + 1440, b + 1440) for a, b in sorted(weekly.get((day + 1) % 7, ()))]
        for (a1, b1), (a2, _b2) in zip(spans, spans[1:], strict=False):
            if a2 < b1 and a1 < 1440:
                problems.append(f"day {day}: {a1 // 60:02d}:{a1 % 60:02d} overlaps the next interval")
    return problems

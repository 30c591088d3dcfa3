"""Business calendars by name, as the clocks read them: built once per saved version (cached
by content), read from the database once per change of the desk's set-up (setup_cache.py),
and once per check, sweep batch or page inside each_calendar_read_once()."""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import lru_cache

from sqlalchemy import select

from .. import setup_cache
from ..db_types import utcnow
from ..extensions import db
from .calendar import BusinessCalendar, closed_stretch, parse_hours
from .holidays_source import country_calendar
from .models import SlaCalendar

log = logging.getLogger(__name__)


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
def each_calendar_read_once():
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


setup_cache.watch(SlaCalendar)


def _saved_calendars() -> dict[str, BusinessCalendar]:
    """Every saved calendar by name, built (set-up: kept per version, so a ticket's dozen clock
    computations read none)."""
    return setup_cache.cached("sla_calendars", lambda: {
        row.name: calendar_of(row) for row in db.session.scalars(select(SlaCalendar))})


def calendar_named(name: str) -> BusinessCalendar:
    if name == "24x7":
        return BusinessCalendar.twenty_four_seven()
    read = _calendars_read.get()
    if read is not None and name in read:
        return read[name]
    # a policy naming a missing calendar still protects
    calendar = _saved_calendars().get(name) or BusinessCalendar.twenty_four_seven()
    if read is not None:
        read[name] = calendar
    return calendar


def calendar_of(row: SlaCalendar) -> BusinessCalendar:
    return _calendar_from(json.dumps({"tz": row.tz, "weekly": row.weekly, "country": row.country,
                                      "extra_closed": row.extra_closed, "extra_open": row.extra_open},
                                     sort_keys=True))

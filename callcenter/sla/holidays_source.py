"""Public holidays and make-up workdays from the `holidays` package, as calendar data. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

import holidays

from .calendar import BusinessCalendar, Interval


def country_calendar(country: str, years: Iterable[int], tz: str, weekly: Mapping[int, tuple[Interval, ...]],
                     makeup_hours: tuple[Interval, ...] | None = None, subdivision: str | None = None,
                     extra_closed: Iterable[date] = (), extra_open: Mapping[date, tuple[Interval, ...]] | None = None,
                     ) -> BusinessCalendar:
    """A calendar closed on the country's public holidays and open on its make-up workdays
    (China's 调休 Saturdays and Sundays) with `makeup_hours` (default: Monday's hours).
    Custom closed and extra-open dates win over the package's."""
    table = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    makeup = makeup_hours if makeup_hours is not None else weekly.get(0, ())
    closed_by_us = set(extra_closed)
    opened = {d: makeup for d in getattr(table, "weekend_workdays", ())
              if d.year in set(table.years) and d not in closed_by_us}
    opened.update(extra_open or {})
    return BusinessCalendar(tz=tz, weekly=dict(weekly), closed=frozenset(table.keys()) | frozenset(extra_closed),
                            extra_open=opened)


@dataclass(frozen=True)
class Day:
    """One local day of a calendar as a person checks it: its opening hours and why they differ
    from the usual week (reason: holiday | makeup | closed | open | None)."""

    day: date
    hours: tuple[Interval, ...]
    reason: str | None = None
    name: str | None = None


def holiday_names(country: str | None, years: Iterable[int], language: str | None = None) -> Mapping[date, str]:
    """The country's public holidays with their names, in `language` when the package has it."""
    if not country:
        return {}
    supported = holidays.list_localized_countries().get(country.upper(), [])
    lang = language if language in supported else None
    return holidays.country_holidays(country, years=list(years), language=lang)


def describe_days(calendar: BusinessCalendar, names: Mapping[date, str], extra_closed: Iterable[date],
                  extra_open: Iterable[date], first: date, count: int, exceptions_only: bool = False) -> list[Day]:
    """`count` days from `first`, each with its hours and the reason they are special, if any."""
    closed, opened = set(extra_closed), set(extra_open)
    out = []
    for offset in range(count):
        day = first + timedelta(days=offset)
        if day in opened:
            reason, name = "open", None
        elif day in closed:
            reason, name = "closed", None
        elif day in names:
            reason, name = "holiday", names[day]
        elif day in calendar.extra_open:
            reason, name = "makeup", None
        else:
            reason, name = None, None
        if reason or not exceptions_only:
            out.append(Day(day, calendar.hours_on(day), reason, name))
    return out

"""Public holidays and make-up workdays from the `holidays` package, as calendar data. Pure."""
from __future__ import annotations

from datetime import date
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

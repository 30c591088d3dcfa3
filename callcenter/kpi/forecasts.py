"""The staffing forecast of each board, kept in Redis per team, hour and settings.

It reads only past weeks, so it cannot change within its hour: the periodic job (keep_ahead,
every few minutes) works out the current and the next hour of every team before a screen asks,
and a redraw only reads it. The first redraw of an hour then costs no more than any other. A
redraw that finds none (no worker running, Redis flushed) works it out itself and keeps it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select

from ..auth.models import Team
from ..extensions import db, redis_client
from . import snapshots, staffing

KEPT_AFTER_HOUR = timedelta(minutes=5)  # a key outlives its hour a little: a late clock still finds it
FORMAT = 1  # raised when the kept value's shape changes: a new release never reads an older one


def _name(hour: datetime, team_id: int | None, settings: dict) -> str:
    digest = hashlib.sha1(repr((FORMAT, sorted(settings.items()))).encode()).hexdigest()[:12]
    return "forecast:{}:{}:{}".format(team_id or "all", hour.strftime("%Y%m%d%H%M"), digest)


def _kept_seconds(hour: datetime, now: datetime) -> float:
    return max(60.0, (hour + timedelta(hours=1) + KEPT_AFTER_HOUR - now).total_seconds())


def for_board(now: datetime, team_id: int | None, settings: dict) -> dict:
    """The forecast from now's hour, as kept (or worked out now and kept)."""
    hour = staffing.hour_start(now, settings.get("tz") or "UTC")
    return snapshots.kept(_name(hour, team_id, settings), _kept_seconds(hour, now),
                          lambda: staffing.forecast(hour, settings, team_id))


def keep_ahead(now: datetime, settings: dict) -> int:
    """Work out the forecast of this hour and the next for everybody and each team, where it is
    not kept yet. Returns how many were worked out. Safe to run twice, or in two workers at once:
    both write the same value."""
    this_hour = staffing.hour_start(now, settings.get("tz") or "UTC")
    r = redis_client()
    made = 0
    for team_id in [None, *db.session.scalars(select(Team.id).order_by(Team.id))]:
        for hour in (this_hour, this_hour + timedelta(hours=1)):
            name = _name(hour, team_id, settings)
            if r.exists(snapshots.KEY.format(name)):
                continue
            snapshots.keep(name, _kept_seconds(hour, now), staffing.forecast(hour, settings, team_id))
            made += 1
    return made

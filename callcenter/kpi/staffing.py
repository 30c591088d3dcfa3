"""The staffing forecast for the coming hours (docs/KPIS.md): the arrivals and handle time seen
in the same hours of the same weekday in recent weeks, through Erlang C, beside the agents
online now. Two statements however many tickets: every window is a conditional count."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select

from ..extensions import db
from ..tickets.models import Status, Ticket
from . import formulas


def hour_start(now: datetime, tz: str = "UTC") -> datetime:
    """The start of now's hour where the desk is, in UTC: in a zone half an hour off UTC
    (Asia/Kolkata), 10:47 local starts at 10:00 local, not at the UTC hour (10:30 local)."""
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def forecast(now: datetime, settings: dict, team_id: int | None = None, online_now: int = 0) -> dict:
    """For each of the next `hours` hours from the current one: the mean arrivals of that hour in
    the last `weeks` weeks, the handle time, and the agents Erlang C asks for."""
    hours, weeks = settings["hours"], settings["weeks"]
    first = hour_start(now, settings.get("tz") or "UTC")
    windows = [[formulas.same_hour_weeks_before(first + timedelta(hours=h), w, settings.get("tz") or "UTC") for w in range(1, weeks + 1)]
               for h in range(hours)]
    flat = [window for hour in windows for window in hour]

    def count_in(column):
        return [func.coalesce(func.sum(case((and_(column >= a, column < b), 1), else_=0)), 0) for a, b in flat]

    arrivals = select(*count_in(Ticket.created_at)).where(or_(*(and_(Ticket.created_at >= a, Ticket.created_at < b)
                                                                for a, b in flat)))
    resolved_in = or_(*(and_(Ticket.resolved_at >= a, Ticket.resolved_at < b) for a, b in flat))
    handled = select(func.count(), func.coalesce(func.sum(Ticket.handle_seconds), 0)).where(
        Ticket.status.in_([Status.resolved, Status.closed]), resolved_in)
    if team_id is not None:
        arrivals = arrivals.where(Ticket.team_id == team_id)
        handled = handled.where(Ticket.team_id == team_id)
    counts = [int(n) for n in db.session.execute(arrivals).one()]
    resolved, handle_sum = db.session.execute(handled).one()
    measured_aht = formulas.average_handle_time(int(handle_sum), int(resolved)).value
    aht = settings.get("work_seconds") or measured_aht
    rows = []
    for h in range(hours):
        expected = formulas.expected_arrivals(counts[h * weeks:(h + 1) * weeks])
        row = {"hour_start": first + timedelta(hours=h), "arrivals": expected, "aht_seconds": aht}
        if aht:
            row.update(formulas.staffing(expected, 3600, aht, settings["target_seconds"], settings["goal"],
                                         settings["shrinkage"], settings["max_occupancy"]))
        rows.append(row)
    return {"hours": rows, "weeks": weeks, "measured_aht_seconds": measured_aht, "online_now": online_now,
            "work_seconds_set": bool(settings.get("work_seconds"))}


def settings_from(config) -> dict:
    return {"hours": config["KPI_STAFFING_HOURS"], "weeks": config["KPI_STAFFING_WEEKS"],
            "work_seconds": config["KPI_WORK_SECONDS_PER_TICKET"], "target_seconds": config["KPI_SERVICE_LEVEL_SECONDS"],
            "goal": config["KPI_SERVICE_LEVEL_GOAL"], "shrinkage": config["KPI_SHRINKAGE"],
            "max_occupancy": config["KPI_MAX_OCCUPANCY"], "tz": config["DISPLAY_TIMEZONE"]}

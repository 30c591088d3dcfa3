"""KPI arithmetic. Pure: plain numbers and dicts in, numbers out; no Flask, no SQLAlchemy."""
from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from ..sla.clock import severity


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (no tickets is not 0 %)."""
    return round(part / whole, 4) if whole else None


def worst_clock(clocks: Iterable[Mapping]) -> Mapping | None:
    """The clock a supervisor must look at: the worst state, then the least time left.
    Stopped clocks (met, or answered late) are history and never the answer."""
    live = [c for c in clocks if not c.get("stopped") and c["state"] != "met"]
    if not live:
        return None
    return max(live, key=lambda c: (severity(c["state"]), -c["remaining_seconds"]))


def at_risk_order(entries: Iterable[Mapping]) -> list[Mapping]:
    """Breached before warning, and within each the most overdue (least time left) first."""
    return sorted(entries, key=lambda e: (-severity(e["state"]), e["remaining_seconds"]))


def start_of_local_day(now: datetime, tz: str) -> datetime:
    """Midnight of now's day where the desk is (UTC): "today" on a board in Shanghai starts at
    16:00 UTC the evening before."""
    zone = ZoneInfo(tz)
    return datetime.combine(now.astimezone(zone).date(), time(0), zone).astimezone(timezone.utc)

"""KPI arithmetic. Pure: plain numbers and dicts in, numbers out; no Flask, no SQLAlchemy."""
from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

# How bad a clock's state is, for ordering a board: the worst first.
SEVERITY = {"breached": 3, "warning": 2, "running": 1, "paused": 0, "met": -1}


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (no tickets is not 0 %)."""
    return round(part / whole, 4) if whole else None


def worst_clock(clocks: Iterable[Mapping]) -> Mapping | None:
    """The clock a supervisor must look at: the worst state, then the least time left.
    Stopped clocks (met, or answered late) are history and never the answer."""
    live = [c for c in clocks if not c.get("stopped") and c["state"] != "met"]
    if not live:
        return None
    return max(live, key=lambda c: (SEVERITY.get(c["state"], 0), -c["remaining_seconds"]))


def at_risk_order(entries: Iterable[Mapping]) -> list[Mapping]:
    """Breached before warning, and within each the most overdue (least time left) first."""
    return sorted(entries, key=lambda e: (-SEVERITY.get(e["state"], 0), e["remaining_seconds"]))


def start_of_local_day(now: datetime, tz: str) -> datetime:
    """Midnight of now's day where the desk is (UTC): "today" on a board in Shanghai starts at
    16:00 UTC the evening before."""
    zone = ZoneInfo(tz)
    return datetime.combine(now.astimezone(zone).date(), time(0), zone).astimezone(timezone.utc)

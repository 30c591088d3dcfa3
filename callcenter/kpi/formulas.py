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


def csat_average(scores: Iterable[int]) -> float | None:
    """The mean satisfaction (1-5) of the answers, or None when nobody answered."""
    scores = list(scores)
    return round(sum(scores) / len(scores), 2) if scores else None


def net_promoter_score(scores: Iterable[int]) -> float | None:
    """Promoters (9-10) minus detractors (0-6), as a share of all answers, in points (-100 to 100)."""
    scores = list(scores)
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round(100 * (promoters - detractors) / len(scores), 1)


def callback_success_rate(reached: int, unreachable: int) -> float | None:
    """Of the callbacks that ended (reached or not), the share where the customer was reached.
    Cancelled ones are no try and do not count."""
    return share(reached, reached + unreachable)

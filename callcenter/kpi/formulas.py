"""KPI arithmetic. Pure: plain numbers and dicts in, numbers out; no Flask, no SQLAlchemy."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
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


def same_hour_weeks_before(hour: datetime, weeks: int, tz: str) -> tuple[datetime, datetime]:
    """The same local hour `weeks` weeks earlier, as a UTC window: across a daylight-saving
    change that is not 168 x weeks hours back (Python's aware arithmetic is wall-clock time)."""
    local = hour.astimezone(ZoneInfo(tz)) - timedelta(weeks=weeks)
    start = local.astimezone(timezone.utc)
    return start, start + timedelta(hours=1)


def last_complete_period(now: datetime, tz: str, frequency: str) -> tuple[datetime, datetime]:
    """The last whole day (or week, Monday to Monday) before now where the desk is, in UTC."""
    end = start_of_local_day(now, tz)
    if frequency == "daily":
        return start_of_local_day(end - timedelta(hours=12), tz), end
    local = end.astimezone(ZoneInfo(tz))
    week_end = start_of_local_day(end - timedelta(days=local.weekday()) + timedelta(hours=12), tz)
    return start_of_local_day(week_end - timedelta(days=6, hours=12), tz), week_end


# ---------------------------------------------------------------- queue, handling and quality
# Each figure is defined once here; docs/KPIS.md says for each which tickets count and whose
# definition it follows. The database sums and counts (kpi/queries.py); these divide.


@dataclass(frozen=True)
class ServiceLevelRules:
    """How service level and abandonment treat abandons (settings: vendors disagree).

    Defaults: 80/20's 20 seconds; abandons count against the service level (COPC, ICMI, and
    Genesys Cloud's default); abandons within short_abandon_seconds are left out of both the
    service level and the abandonment rate (Freshcaller removes short abandons; Genesys makes it
    an option)."""

    threshold_seconds: int = 20
    count_abandons: bool = True
    short_abandon_seconds: int = 10
    count_short_abandons: bool = False


def rules_from(config: Mapping) -> ServiceLevelRules:
    """The desk's settings (KPI_* in the app's config) as rules."""
    return ServiceLevelRules(threshold_seconds=config["KPI_SERVICE_LEVEL_SECONDS"],
                             count_abandons=config["KPI_COUNT_ABANDONS"],
                             short_abandon_seconds=config["KPI_SHORT_ABANDON_SECONDS"],
                             count_short_abandons=config["KPI_COUNT_SHORT_ABANDONS"])


@dataclass(frozen=True)
class QueueOutcomes:
    """The tickets whose first wait in the queue ended in a period: answered (first taken by an
    agent) or abandoned (cancelled before any agent took them)."""

    answered: int = 0
    answered_within_threshold: int = 0
    answered_wait_seconds: int = 0  # the sum of the answered tickets' waits
    abandoned: int = 0
    short_abandoned: int = 0  # of the abandoned, those within short_abandon_seconds


@dataclass(frozen=True)
class Ratio:
    """A figure with the two counts it is made of, so that every number can be checked."""

    value: float | None
    numerator: float
    denominator: float


def ratio(numerator: float, denominator: float, digits: int = 4) -> Ratio:
    return Ratio(round(numerator / denominator, digits) if denominator else None, numerator, denominator)


def counted_abandons(outcomes: QueueOutcomes, rules: ServiceLevelRules) -> int:
    """The abandons that count: all of them, or without the short ones."""
    return outcomes.abandoned - (0 if rules.count_short_abandons else outcomes.short_abandoned)


def service_level(outcomes: QueueOutcomes, rules: ServiceLevelRules) -> Ratio:
    """Answered within the threshold / (answered + the abandons that count), Genesys Cloud's
    formula with its switches; with count_abandons off, answered within / answered (Amazon
    Connect's historical "service level X")."""
    denominator = outcomes.answered + (counted_abandons(outcomes, rules) if rules.count_abandons else 0)
    return ratio(outcomes.answered_within_threshold, denominator)


def abandonment_rate(outcomes: QueueOutcomes, rules: ServiceLevelRules) -> Ratio:
    """The abandons that count / (answered + the abandons that count)."""
    abandons = counted_abandons(outcomes, rules)
    return ratio(abandons, outcomes.answered + abandons)


def average(total: float, count: int, digits: int = 1) -> Ratio:
    """total / count, to `digits` decimals: what the averages below are made of."""
    return ratio(total, count, digits)


def average_speed_of_answer(outcomes: QueueOutcomes) -> Ratio:
    """The waits of the answered / answered, in seconds to one decimal."""
    return average(outcomes.answered_wait_seconds, outcomes.answered)


def average_handle_time(handle_seconds: int, resolved: int) -> Ratio:
    """The handle seconds of the resolved tickets / resolved, in seconds to one decimal."""
    return average(handle_seconds, resolved)


def first_contact_resolution(first_contact: int, resolved: int) -> Ratio:
    """Of the tickets resolved in the period, the share resolved at first contact (never
    reopened, at most one agent reply): first_contact / resolved."""
    return ratio(first_contact, resolved)


def reopen_rate(reopened: int, ever_resolved: int) -> Ratio:
    """Of the tickets created in the period that were ever resolved, the share reopened at least
    once: reopened / ever_resolved."""
    return ratio(reopened, ever_resolved)


def sla_breach_rate(breached: int, decided: int) -> Ratio:
    """Of the SLA clocks decided in the period (met in time or breached), the share breached:
    breached / decided."""
    return ratio(breached, decided)


def sla_compliance(breached: int, decided: int) -> Ratio:
    """Of the SLA clocks decided in the period, the share met in time: (decided - breached) /
    decided (rounded on its own, not 1 - sla_breach_rate)."""
    return ratio(decided - breached, decided)


def csat_average(csat_sum: int, csat_count: int) -> Ratio:
    """The mean satisfaction (1-5) of the survey answers: their sum / how many, to two decimals;
    None when nobody answered."""
    return average(csat_sum, csat_count, 2)


def revisit_satisfaction(score_sum: int, scored: int) -> Ratio:
    """The mean satisfaction (1-5) the revisit calls that reached the customer were given: their
    sum / how many were scored, to two decimals."""
    return average(score_sum, scored, 2)


def revisit_solved_rate(solved: int, asked: int) -> Ratio:
    """Of the revisited customers asked whether their complaint was solved, the share who said
    yes: solved / asked."""
    return ratio(solved, asked)


# The net promoter score's answers (0-10): promoters answer PROMOTER_FROM or more, detractors
# DETRACTOR_UP_TO or less, the rest are passives; kpi/summary.py counts the answers by these.
PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6


def nps_ratio(promoters: int, detractors: int, answers: int) -> Ratio:
    """The net promoter score in points (-100 to 100): 100 x (promoters - detractors) / answers,
    rounded to one decimal; None when nobody answered."""
    return Ratio(round(100 * (promoters - detractors) / answers, 1) if answers else None,
                 promoters - detractors, answers)


def callback_success_rate(reached: int, unreachable: int) -> Ratio:
    """Of the callbacks that ended (reached or not), the share where the customer was reached:
    reached / (reached + unreachable). Cancelled ones are no try and do not count."""
    return ratio(reached, reached + unreachable)


# ---------------------------------------------------------------- wallboard thresholds

# Each tile's colours: warn and bad above or below a value (config KPI_TILE_THRESHOLDS, a JSON
# object, is laid over these per tile).
TILE_THRESHOLDS = {
    "service-level": {"warn_below": 0.85, "bad_below": 0.8},
    "asa": {"warn_above": 20, "bad_above": 60},
    "abandonment": {"warn_above": 0.05, "bad_above": 0.1},
    "waiting": {"warn_above": 5, "bad_above": 20},
    "oldest-wait": {"warn_above": 60, "bad_above": 300},
    "breached": {"bad_above": 0},
    "warning": {"warn_above": 0},
    "callbacks-overdue": {"bad_above": 0},
    "csat": {"warn_below": 4.0, "bad_below": 3.5},
    "nps": {"warn_below": 30, "bad_below": 0},
}


# The tiles a desk may colour: which way is worse, and the value's unit and bounds (a share is
# 0-1, shown as percent on the settings page).
TILE_RULES = {
    "service-level": ("below", "share"), "asa": ("above", "seconds"), "aht": ("above", "seconds"),
    "abandonment": ("above", "share"), "waiting": ("above", "count"), "oldest-wait": ("above", "seconds"),
    "available": ("below", "count"), "backlog": ("above", "count"), "warning": ("above", "count"),
    "breached": ("above", "count"), "breaches-today": ("above", "count"), "callbacks-due": ("above", "count"),
    "callbacks-overdue": ("above", "count"), "csat": ("below", "score"), "nps": ("below", "points"),
}
UNIT_BOUNDS = {"share": (0.0, 1.0), "seconds": (0.0, 10.0 ** 7), "count": (0.0, 10.0 ** 7), "score": (1.0, 5.0),
               "points": (-100.0, 100.0)}


def thresholds(overrides: Mapping | None, service_level_goal: float | None = None,
               saved: Mapping | None = None) -> dict:
    """The default thresholds with the desk's own laid over them, tile by tile: the
    configuration's (KPI_TILE_THRESHOLDS), then those saved on the settings page. The service
    level is bad below its goal and a warning within 5 points of it."""
    out = {name: dict(rule) for name, rule in TILE_THRESHOLDS.items()}
    if service_level_goal is not None:
        out["service-level"] = {"warn_below": min(1.0, round(service_level_goal + 0.05, 4)), "bad_below": service_level_goal}
    for layer in (overrides or {}, saved or {}):
        for name, rule in layer.items():
            out[name] = dict(rule)
    return out


def tile_rule(name: str, warn: float | None, bad: float | None) -> tuple[dict, dict[str, str]]:
    """A tile's rule from its two limits (None: that colour is not used), and what is wrong
    with them by limit ("warn"/"bad": "unknown", "range" or "order"). The bad limit lies beyond
    the warning one: above it for a tile where higher is worse, below it where lower is."""
    if name not in TILE_RULES:
        return {}, {"warn": "unknown"}
    direction, unit = TILE_RULES[name]
    low, high = UNIT_BOUNDS[unit]
    errors = {key: "range" for key, value in (("warn", warn), ("bad", bad))
              if value is not None and not (math.isfinite(value) and low <= value <= high)}
    if not errors and warn is not None and bad is not None and (bad < warn if direction == "above" else bad > warn):
        errors["bad"] = "order"
    rule = {f"{key}_{direction}": value for key, value in (("warn", warn), ("bad", bad)) if value is not None}
    return rule, errors


def tile_level(value: float | None, rule: dict | None) -> str:
    """'bad', 'warn' or '' for a tile's value against its thresholds ({"warn_above": x,
    "bad_above": y} or {"warn_below": x, "bad_below": y}). Pure."""
    if value is None or not rule:
        return ""
    if "bad_above" in rule and value > rule["bad_above"] or "bad_below" in rule and value < rule["bad_below"]:
        return "bad"
    if "warn_above" in rule and value > rule["warn_above"] or "warn_below" in rule and value < rule["warn_below"]:
        return "warn"
    return ""


# ---------------------------------------------------------------- Erlang C (staffing)


def traffic_intensity(arrivals: float, interval_seconds: float, aht_seconds: float) -> float:
    """The offered load in Erlangs: A = arrivals / interval x AHT."""
    return arrivals / interval_seconds * aht_seconds


def waiting_probability(agents: int, traffic: float) -> float:
    """Erlang C: the probability that a contact waits, with N agents and A Erlangs. Worked out
    through Erlang B's recurrence (B(0) = 1, B(n) = A·B / (n + A·B)), which stays exact where
    the factorials of the textbook form overflow."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def erlang_service_level(agents: int, traffic: float, target_seconds: float, aht_seconds: float) -> float:
    """The share answered within the target: 1 - P(wait)·e^(-(N - A)·T / AHT)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1 - waiting_probability(agents, traffic) * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def erlang_asa(agents: int, traffic: float, aht_seconds: float) -> float:
    """The average speed of answer: P(wait)·AHT / (N - A)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return waiting_probability(agents, traffic) * aht_seconds / (agents - traffic)


def expected_arrivals(counts: list[int]) -> float:
    """The arrivals to expect in an hour: the mean of that hour's counts in the weeks looked at."""
    return round(sum(counts) / len(counts), 2) if counts else 0.0


MAX_AGENTS = 100_000


def _service_level_from_b(agents: int, traffic: float, b: float, target_seconds: float, aht_seconds: float) -> float:
    """erlang_service_level from Erlang B's value for these agents (staffing's search keeps it)."""
    pw = agents * b / (agents - traffic * (1 - b))
    return 1 - pw * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def staffing(arrivals: float, interval_seconds: float, aht_seconds: float, target_seconds: float,
             service_level_goal: float, shrinkage: float = 0.0, max_occupancy: float = 1.0) -> dict:
    """The fewest agents that reach the service-level goal without passing the maximum
    occupancy, and the agents to schedule once shrinkage (breaks, training, absence) takes its
    share: ceil(N / (1 - shrinkage)). The search starts at the occupancy's floor and carries
    Erlang B one agent at a time, so each step costs the same however many agents."""
    traffic = traffic_intensity(arrivals, interval_seconds, aht_seconds)
    agents = 0
    if traffic > 0:
        agents = max(math.floor(traffic) + 1, math.ceil(traffic / max_occupancy))  # N > A, and A / N <= occupancy
        if agents > MAX_AGENTS:
            raise ValueError("more than 100,000 agents: check the arrivals and the handle time")
        b = 1.0
        for n in range(1, agents + 1):
            b = traffic * b / (n + traffic * b)
        while _service_level_from_b(agents, traffic, b, target_seconds, aht_seconds) < service_level_goal:
            agents += 1
            if agents > MAX_AGENTS:
                raise ValueError("more than 100,000 agents: check the arrivals and the handle time")
            b = traffic * b / (agents + traffic * b)
    scheduled = math.ceil(round(agents / (1 - shrinkage), 9)) if agents else 0
    return {
        "traffic_erlangs": round(traffic, 4),
        "agents": agents,
        "scheduled_agents": scheduled,
        "service_level": round(erlang_service_level(agents, traffic, target_seconds, aht_seconds), 4),
        "asa_seconds": round(erlang_asa(agents, traffic, aht_seconds), 1) if agents else 0.0,
        "occupancy": round(traffic / agents, 4) if agents else 0.0,
        "waiting_probability": round(waiting_probability(agents, traffic), 4),
    }

"""When follow-up work may be tried, with fixed clocks and no database: the retry schedule, the
customer's do-not-call hours, a callback's window, the slots a customer is offered, which
resolved tickets get a revisit, and routing that prefers (or avoids) one agent."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callcenter.followups.timing import (
    Step,
    allowed,
    asap_window,
    earliest_allowed,
    next_morning,
    next_try,
    offered_slots,
    parse_quiet_hours,
    parse_schedule,
    parse_step,
    quiet_stretches,
    quiet_until,
    revisit_rule,
    sampled,
    window_problem,
)
from callcenter.routing.engine import AgentState, TicketFacts, decide, decide_preferring
from callcenter.sla.calendar import BusinessCalendar, NeverOpen, overlaps, parse_hours
from callcenter.sla.holidays_source import country_calendar

# ---------------------------------------------------------------- calendars and clocks

SHANGHAI, BERLIN, KOLKATA = "Asia/Shanghai", "Europe/Berlin", "Asia/Kolkata"
SH, BER = ZoneInfo(SHANGHAI), ZoneInfo(BERLIN)
SPLIT_DAY = parse_hours("09:00-12:00,13:00-18:00")
WEEKDAYS = {d: SPLIT_DAY for d in range(5)}
DEFAULT_SCHEDULE = parse_schedule(["15m", "1h", "next_morning"])


def at(y, m, d, hh=0, mm=0, ss=0, tz=SH):
    return datetime(y, m, d, hh, mm, ss, tzinfo=tz)


def utc(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=timezone.utc)


def cn_desk() -> BusinessCalendar:
    """The Chinese desk as calendars.py builds it: weekdays 09:00-12:00 and 13:00-18:00, closed on
    statutory holidays, open on make-up workdays with Monday's hours."""
    return country_calendar("CN", range(2025, 2028), SHANGHAI, WEEKDAYS)


def desk(tz=SHANGHAI, hours="09:00-12:00,13:00-18:00", days=(0, 1, 2, 3, 4), **kw) -> BusinessCalendar:
    return BusinessCalendar(tz=tz, weekly={d: parse_hours(hours) for d in days}, **kw)


ALWAYS = BusinessCalendar.twenty_four_seven()
CN = cn_desk()


def retry(last, tries, calendar=CN, quiet="", schedule=DEFAULT_SCHEDULE, max_tries=3, tz=SHANGHAI):
    """When the next try falls after `tries` unanswered ones, the last at `last`."""
    return next_try(last, tries, schedule, max_tries, calendar, tz, parse_quiet_hours(quiet))


def wall_clock_quiet(instant: datetime, zone: ZoneInfo, quiet) -> bool:
    """Whether the customer's own clock reads a time inside one of their stretches."""
    local = instant.astimezone(zone)
    minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    return any(begin <= m < end for begin, end in quiet for m in (minute, minute + 1440))


# ---------------------------------------------------------------- random calendars (for the properties)

YEAR_START = utc(2026, 1, 1)
instants = st.integers(0, 366 * 86400 - 1).map(lambda s: YEAR_START + timedelta(seconds=s))


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def day_hours(draw, at_least=0):
    """Up to three stretches on a half-hour grid; the last may run past midnight."""
    marks = sorted(draw(st.sets(st.integers(0, 48), min_size=2 * at_least, max_size=6)))
    marks = marks[: len(marks) // 2 * 2]
    spans = [(marks[i] * 30, marks[i + 1] * 30) for i in range(0, len(marks), 2)]
    overnight = draw(st.sampled_from([0, 0, 0, 120, 360]))
    if spans and overnight:
        spans[-1] = (spans[-1][0], max(spans[-1][1], 1440 + overnight))
    return tuple(spans)


def ending_before_the_next_day(weekly):
    """A night shift cut where the next day's first stretch begins (open hours never overlap)."""
    out = {}
    for day, spans in weekly.items():
        following = weekly.get((day + 1) % 7)
        limit = 1440 + following[0][0] if following else 2880
        *rest, (a, b) = spans
        out[day] = (*rest, (a, min(b, limit)))
    return out


@st.composite
def calendars(draw):
    """(calendar, zone): mostly a random week with random closed and make-up days, now and then 24x7."""
    tz = draw(st.sampled_from([SHANGHAI, BERLIN]))
    if draw(st.integers(0, 9)) == 0:
        return ALWAYS, tz
    weekly = ending_before_the_next_day({day: hours for day in range(7) if (hours := draw(day_hours()))})
    assume(weekly)
    days = st.dates(date(2026, 1, 1), date(2027, 1, 31))
    closed = frozenset(draw(st.lists(days, max_size=20)))
    extra = draw(st.dictionaries(days, day_hours(at_least=1), max_size=3))
    assert not overlaps(weekly)
    return BusinessCalendar(tz=tz, weekly=weekly, closed=closed, extra_open=extra), tz


quiet_texts = st.lists(st.tuples(st.integers(0, 95), st.integers(1, 72)), max_size=3).map(
    lambda parts: ",".join(f"{hhmm(b * 15)}-{hhmm((b + n) * 15 % 1440)}" for b, n in parts))
steps = st.lists(st.sampled_from(["1m", "15m", "1h", "2h", "1d", "next_morning"]), min_size=1, max_size=4)


def every_open_minute_is_quiet(calendar: BusinessCalendar, quiet) -> bool:
    """Whether every open minute of the week falls in do-not-call hours (then no time is ever callable)."""
    quiet_minutes = {m % 1440 for begin, end in quiet for m in range(begin, end)}
    if calendar.always_open:
        return len(quiet_minutes) == 1440
    return all(m % 1440 in quiet_minutes for spans in calendar.weekly.values() for a, b in spans for m in range(a, b))


def callable_at(instant, calendar, tz, quiet) -> bool:
    return (calendar.always_open or calendar.is_open(instant)) and not wall_clock_quiet(instant, ZoneInfo(tz), quiet)


# ---------------------------------------------------------------- the retry schedule

def test_steps_read_minutes_hours_days_and_next_morning():
    assert parse_step("15m") == Step(seconds=900)
    assert parse_step(" 1h ") == Step(seconds=3600)
    assert parse_step("2d") == Step(seconds=2 * 86400)
    assert parse_step("next_morning") == Step(next_morning=True)
    assert DEFAULT_SCHEDULE == (Step(900), Step(3600), Step(next_morning=True))


def test_a_step_in_seconds_is_a_delay():
    assert parse_step("30s") == Step(30)


@pytest.mark.parametrize("text", ["0m", "0s", "x", "", "  ", "15", "m", "1.5h", "-5m", "15sec", "next morning"])
def test_a_step_that_is_not_a_delay_is_refused(text):
    with pytest.raises(ValueError):
        parse_step(text)


def test_an_empty_schedule_is_refused():
    with pytest.raises(ValueError):
        parse_schedule([])
    with pytest.raises(ValueError):
        parse_schedule(["15m", "0h"])


def test_the_default_schedule_waits_15_minutes_then_an_hour_then_gives_up():
    first = at(2026, 11, 24, 10, 0)  # a Tuesday
    second = retry(first, 1)
    assert second == at(2026, 11, 24, 10, 15)
    third = retry(second, 2)
    assert third == at(2026, 11, 24, 11, 15)
    assert retry(third, 3) is None


def test_no_retry_before_a_first_try_or_past_the_last():
    assert retry(at(2026, 11, 24, 10), 0) is None
    assert retry(at(2026, 11, 24, 10), 5, max_tries=5) is None


def test_the_last_step_repeats_when_more_tries_are_allowed_than_steps():
    schedule = parse_schedule(["15m", "1h"])
    last = at(2026, 11, 24, 9, 0)
    assert retry(last, 4, schedule=schedule, max_tries=6) == at(2026, 11, 24, 10, 0)


def test_a_retry_after_closing_time_moves_to_the_next_working_morning():
    assert retry(at(2026, 11, 24, 17, 50), 1) == at(2026, 11, 25, 9, 0)  # Tuesday evening: Wednesday
    assert retry(at(2026, 11, 27, 17, 50), 1) == at(2026, 11, 30, 9, 0)  # Friday evening: Monday


def test_a_retry_in_the_lunch_break_waits_for_the_afternoon():
    assert retry(at(2026, 11, 24, 11, 50), 1) == at(2026, 11, 24, 13, 0)


def test_a_retry_on_the_eve_of_national_day_waits_for_the_holiday_to_end():
    assert retry(at(2026, 9, 30, 17, 50), 1) == at(2026, 10, 8, 9, 0)


def test_the_2026_dates_below_are_the_holidays_package_own():
    table = holidays.country_holidays("CN", years=[2026])
    national_day = {date(2026, 10, d) for d in (1, 2, 3, 5, 6, 7)}  # 4 October is a Sunday
    spring_festival = {date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)}  # 21-22 February: a weekend
    assert national_day <= set(table) and spring_festival <= set(table)
    makeup_workdays = {date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)}
    assert makeup_workdays <= set(table.weekend_workdays)
    assert date(2026, 10, 4) not in table.weekend_workdays and date(2026, 2, 15) not in table.weekend_workdays


@pytest.mark.parametrize("last, expected", [
    (at(2026, 11, 24, 16, 0), at(2026, 11, 25, 9, 0)),  # Tuesday: Wednesday
    (at(2026, 11, 24, 8, 0), at(2026, 11, 25, 9, 0)),  # before opening: still the next day's
    (at(2026, 11, 27, 10, 0), at(2026, 11, 30, 9, 0)),  # Friday: Monday
    (at(2026, 9, 30, 10, 0), at(2026, 10, 8, 9, 0)),  # National Day 1-7 October
    (at(2026, 10, 9, 10, 0), at(2026, 10, 10, 9, 0)),  # Saturday 10 October is a make-up workday
    (at(2026, 9, 19, 10, 0), at(2026, 9, 20, 9, 0)),  # so is Sunday 20 September
    (at(2026, 2, 13, 10, 0), at(2026, 2, 14, 9, 0)),  # Saturday 14 February: make-up workday
    (at(2026, 2, 14, 10, 0), at(2026, 2, 24, 9, 0)),  # Spring Festival 15-23 February
    (at(2026, 2, 27, 10, 0), at(2026, 2, 28, 9, 0)),  # Saturday 28 February: make-up workday
])
def test_next_morning_is_the_opening_of_the_next_working_day(last, expected):
    assert next_morning(last, CN, SHANGHAI) == expected
    assert retry(last, 1, schedule=parse_schedule(["next_morning"])) == expected


def test_the_default_schedule_tries_the_next_morning_when_a_fourth_try_is_allowed():
    assert retry(at(2026, 9, 30, 11, 15), 3, max_tries=4) == at(2026, 10, 8, 9, 0)


def test_next_morning_on_a_desk_open_around_the_clock_is_nine_in_the_desk_zone():
    assert next_morning(at(2026, 11, 24, 23, 0), ALWAYS, SHANGHAI) == at(2026, 11, 25, 9, 0)


@pytest.mark.parametrize("last, expected", [
    (at(2026, 3, 28, 18, 0, tz=BER), at(2026, 3, 29, 9, 0, tz=BER)),  # clocks go forward that night
    (at(2026, 10, 24, 18, 0, tz=BER), at(2026, 10, 25, 9, 0, tz=BER)),  # and back
])
def test_next_morning_around_the_clock_keeps_nine_on_the_wall_when_clocks_change(last, expected):
    assert next_morning(last, ALWAYS, BERLIN) == expected


def test_next_morning_of_a_night_desk_is_the_next_shift_not_midnight():
    nights = desk(hours="22:00-06:00")
    assert next_morning(at(2026, 11, 23, 23, 0), nights, SHANGHAI) == at(2026, 11, 24, 22, 0)
    assert next_morning(at(2026, 11, 27, 23, 0), nights, SHANGHAI) == at(2026, 11, 30, 22, 0)


def test_next_morning_still_keeps_out_of_do_not_call_hours():
    assert retry(at(2026, 11, 24, 16, 0), 1, quiet="21:00-10:00", schedule=parse_schedule(["next_morning"])) \
        == at(2026, 11, 25, 10, 0)


# ---------------------------------------------------------------- do-not-call hours

def test_quiet_hours_read_stretches_past_midnight_and_several_at_once():
    assert parse_quiet_hours("21:00-09:00") == ((1260, 1980),)
    assert parse_quiet_hours("12:00-13:30, 21:00-08:00") == ((720, 810), (1260, 1920))
    assert parse_quiet_hours("22:00-24:00") == ((1320, 1440),)
    assert parse_quiet_hours(None) == () and parse_quiet_hours("") == () and parse_quiet_hours(" , ") == ()


@pytest.mark.parametrize("text", ["21:00", "9-10", "abc", "25:00-26:00", "10:60-11:00", "09:00-09:00",
                                  "21:00-09:00;12:00-13:00", "24:00-06:00", "21:00-24:30"])
def test_quiet_hours_that_are_not_stretches_of_the_day_are_refused(text):
    with pytest.raises(ValueError):
        parse_quiet_hours(text)


def test_a_stretch_past_midnight_holds_from_its_start_until_its_end_next_morning():
    quiet = parse_quiet_hours("21:00-09:00")
    assert quiet_until(at(2026, 11, 24, 23, 0), SHANGHAI, quiet) == at(2026, 11, 25, 9, 0)
    assert quiet_until(at(2026, 11, 25, 8, 59), SHANGHAI, quiet) == at(2026, 11, 25, 9, 0)
    assert quiet_until(at(2026, 11, 24, 21, 0), SHANGHAI, quiet) == at(2026, 11, 25, 9, 0)
    assert quiet_until(at(2026, 11, 25, 9, 0), SHANGHAI, quiet) is None
    assert quiet_until(at(2026, 11, 24, 20, 59, 59), SHANGHAI, quiet) is None


def test_quiet_stretches_lists_each_night_that_overlaps():
    quiet = parse_quiet_hours("21:00-09:00")
    nights = list(quiet_stretches(at(2026, 11, 24, 12), at(2026, 11, 26, 12), SHANGHAI, quiet))
    assert nights == [(at(2026, 11, 24, 21), at(2026, 11, 25, 9)), (at(2026, 11, 25, 21), at(2026, 11, 26, 9))]


def test_several_stretches_each_keep_calls_out():
    quiet = parse_quiet_hours("12:00-13:30,21:00-08:00")
    assert quiet_until(at(2026, 11, 24, 12, 30), SHANGHAI, quiet) == at(2026, 11, 24, 13, 30)
    assert quiet_until(at(2026, 11, 24, 7, 0), SHANGHAI, quiet) == at(2026, 11, 24, 8, 0)
    assert allowed(at(2026, 11, 24, 10, 0), ALWAYS, SHANGHAI, quiet)


def test_touching_stretches_are_one():
    quiet = parse_quiet_hours("21:00-23:00,23:00-09:00")
    assert quiet_until(at(2026, 11, 24, 22, 0), SHANGHAI, quiet) == at(2026, 11, 25, 9, 0)


def test_many_touching_stretches_are_one_too():
    quiet = parse_quiet_hours("18:00-19:00,19:00-20:00,20:00-21:00,21:00-22:00,22:00-23:00,23:00-09:00")
    assert quiet_until(at(2026, 11, 24, 18, 30), SHANGHAI, quiet) == at(2026, 11, 25, 9, 0)


def test_a_retry_never_lands_in_do_not_call_hours():
    # a desk open around the clock, a customer who sleeps from nine
    assert retry(at(2026, 11, 24, 20, 50), 1, calendar=ALWAYS, quiet="21:00-09:00") == at(2026, 11, 25, 9, 0)
    # the desk's hours and the customer's lunch together
    assert retry(at(2026, 11, 24, 11, 50), 1, quiet="12:00-14:00") == at(2026, 11, 24, 14, 0)
    # Friday evening, and the customer takes no calls before ten: Monday at ten
    assert retry(at(2026, 11, 27, 17, 50), 1, quiet="21:00-10:00") == at(2026, 11, 30, 10, 0)


def test_a_stretch_without_daylight_saving_is_always_twelve_hours():
    quiet = parse_quiet_hours("21:00-09:00")
    for start in (at(2026, 3, 28, 21), at(2026, 10, 24, 21), at(2026, 6, 1, 21)):
        assert quiet_until(start, SHANGHAI, quiet) - start == timedelta(hours=12)


def test_a_night_stretch_follows_the_wall_clock_when_clocks_change():
    quiet = parse_quiet_hours("21:00-09:00")
    # 29 March 2026 Berlin skips 02:00-03:00; 25 October repeats 02:00-03:00
    assert quiet_until(at(2026, 3, 28, 22, tz=BER), BERLIN, quiet) == at(2026, 3, 29, 9, tz=BER) == utc(2026, 3, 29, 7)
    assert quiet_until(at(2026, 10, 24, 22, tz=BER), BERLIN, quiet) == at(2026, 10, 25, 9, tz=BER) \
        == utc(2026, 10, 25, 8)
    assert retry(at(2026, 3, 28, 20, 50, tz=BER), 1, calendar=ALWAYS, quiet="21:00-09:00", tz=BERLIN) == \
        at(2026, 3, 29, 9, tz=BER)


def test_a_stretch_that_starts_in_the_skipped_hour_holds_once_the_clock_has_passed_its_start():
    quiet = parse_quiet_hours("02:30-06:00")
    # 29 March 2026: at 02:00 CET the clock jumps to 03:00 CEST, past 02:30
    ten_past_three = at(2026, 3, 29, 3, 10, tz=BER)
    assert not allowed(ten_past_three, ALWAYS, BERLIN, quiet)
    assert quiet_until(ten_past_three, BERLIN, quiet) == at(2026, 3, 29, 6, tz=BER)
    assert earliest_allowed(at(2026, 3, 29, 3, 0, tz=BER), ALWAYS, BERLIN, quiet) == at(2026, 3, 29, 6, tz=BER)
    assert allowed(utc(2026, 3, 29, 0, 0), ALWAYS, BERLIN, quiet)  # 01:00 CET


def test_a_stretch_that_ends_in_the_repeated_hour_holds_until_its_second_pass():
    quiet = parse_quiet_hours("22:00-02:30")
    # 25 October 2026: 02:00-03:00 happens twice, first CEST (00:00-01:00 UTC), then CET (01:00-02:00 UTC)
    second_pass = utc(2026, 10, 25, 1, 15)  # 02:15 CET
    assert not allowed(second_pass, ALWAYS, BERLIN, quiet)
    assert quiet_until(second_pass, BERLIN, quiet) == utc(2026, 10, 25, 1, 30)
    assert allowed(utc(2026, 10, 25, 1, 30), ALWAYS, BERLIN, quiet)


# ---------------------------------------------------------------- a callback's window

NOW = at(2026, 11, 23, 10, 0)  # a Monday


def problem(start, end, calendar=CN, quiet="", now=NOW, tz=SHANGHAI):
    return window_problem(start, end, now, calendar, tz, parse_quiet_hours(quiet))


def test_a_window_inside_open_hours_and_clear_of_quiet_hours_is_fine():
    assert problem(at(2026, 11, 23, 14), at(2026, 11, 23, 15)) is None
    assert problem(at(2026, 11, 23, 17), at(2026, 11, 23, 18)) is None  # ends at closing time
    assert problem(at(2026, 11, 23, 13), at(2026, 11, 23, 14), quiet="12:00-13:00") is None  # starts as it ends


def test_a_window_must_end_after_it_starts():
    assert problem(at(2026, 11, 23, 15), at(2026, 11, 23, 15)) == "ends_before_start"
    assert problem(at(2026, 11, 23, 15), at(2026, 11, 23, 14)) == "ends_before_start"


def test_a_window_that_began_more_than_a_minute_ago_is_in_the_past():
    assert problem(NOW - timedelta(seconds=59), NOW + timedelta(hours=1)) is None
    assert problem(NOW - timedelta(seconds=61), NOW + timedelta(hours=1)) == "in_past"
    assert problem(at(2026, 11, 20, 10), at(2026, 11, 20, 11)) == "in_past"


def test_a_window_more_than_thirty_days_ahead_is_refused():
    assert problem(at(2026, 12, 22, 10), at(2026, 12, 22, 11)) is None  # 29 days
    assert problem(at(2026, 12, 24, 10), at(2026, 12, 24, 11)) == "too_far_ahead"  # 31 days


@pytest.mark.parametrize("start, end", [
    (at(2026, 11, 23, 17, 30), at(2026, 11, 23, 18, 30)),  # runs past closing time
    (at(2026, 11, 23, 8, 30), at(2026, 11, 23, 9, 30)),  # starts before opening
    (at(2026, 11, 23, 11, 30), at(2026, 11, 23, 13, 30)),  # across the lunch break
    (at(2026, 11, 23, 12, 0), at(2026, 11, 23, 13, 0)),  # the lunch break itself
    (at(2026, 11, 28, 10, 0), at(2026, 11, 28, 11, 0)),  # a Saturday
    (at(2026, 10, 2, 10, 0), at(2026, 10, 2, 11, 0)),  # National Day
])
def test_a_window_partly_or_wholly_outside_open_hours_is_refused(start, end):
    assert problem(start, end, now=min(start, NOW)) == "outside_open_hours"


def test_a_window_on_a_make_up_workday_is_fine():
    assert problem(at(2026, 10, 10, 10), at(2026, 10, 10, 11), now=at(2026, 10, 9, 10)) is None


def test_a_window_across_touching_open_stretches_is_inside_open_hours():
    seamless = desk(hours="09:00-12:00,12:00-18:00")
    assert problem(at(2026, 11, 23, 11), at(2026, 11, 23, 13), calendar=seamless) is None
    night_then_day = BusinessCalendar(tz=SHANGHAI, weekly={0: parse_hours("22:00-06:00"), 1: parse_hours("06:00-14:00")})
    assert problem(at(2026, 11, 24, 5), at(2026, 11, 24, 7), calendar=night_then_day) is None


def test_a_window_overlapping_do_not_call_hours_is_refused():
    assert problem(at(2026, 11, 23, 13), at(2026, 11, 23, 15), quiet="12:00-14:00") == "in_quiet_hours"
    assert problem(at(2026, 11, 23, 20, 30), at(2026, 11, 23, 21, 30), calendar=ALWAYS, quiet="21:00-09:00") \
        == "in_quiet_hours"


def test_a_desk_open_around_the_clock_takes_any_hour_the_customer_allows():
    assert problem(at(2026, 11, 29, 3), at(2026, 11, 29, 4), calendar=ALWAYS) is None  # a Sunday night
    assert problem(at(2026, 11, 29, 3), at(2026, 11, 29, 4), calendar=ALWAYS, quiet="21:00-09:00") == "in_quiet_hours"


# ---------------------------------------------------------------- offered slots

def slots(now=NOW, calendar=CN, quiet="", tz=SHANGHAI, **kw):
    return offered_slots(now, calendar, tz, parse_quiet_hours(quiet), **kw)


def test_offered_slots_are_whole_hours_inside_open_hours():
    offered = slots(count=12)
    assert len(offered) == 12
    for start, end in offered:
        assert end - start == timedelta(hours=1)
        assert CN.between(start, end) == 3600  # every second of it is open


def test_offered_slots_follow_the_days_hours():
    offered = slots(now=at(2026, 11, 23, 8, 0), count=9)
    starts = [s.astimezone(SH).hour for s, _e in offered]
    assert starts == [9, 10, 11, 13, 14, 15, 16, 17, 9]
    assert offered[-1][0] == at(2026, 11, 24, 9)


def test_offered_slots_start_no_sooner_than_the_lead():
    now = at(2026, 11, 23, 10, 50)
    offered = slots(now=now, count=3)
    assert all(start >= now + timedelta(minutes=15) for start, _e in offered)
    assert offered[0][0] == at(2026, 11, 23, 13)
    assert slots(now=at(2026, 11, 23, 10, 45), count=1)[0][0] == at(2026, 11, 23, 11)
    assert slots(now=at(2026, 11, 23, 10, 46), count=1)[0][0] == at(2026, 11, 23, 13)


def test_offered_slots_are_aligned_to_the_hour_after_an_odd_now():
    offered = slots(now=at(2026, 11, 23, 10, 5), count=4)
    assert [s for s, _e in offered] == [at(2026, 11, 23, 11), at(2026, 11, 23, 13), at(2026, 11, 23, 14),
                                         at(2026, 11, 23, 15)]


def test_offered_slots_are_aligned_to_the_hour_when_the_desk_opens_at_half_past():
    half_past = desk(hours="09:30-18:00")
    offered = slots(now=at(2026, 11, 23, 7, 0), calendar=half_past, count=3)
    assert [s for s, _e in offered] == [at(2026, 11, 23, 10), at(2026, 11, 23, 11), at(2026, 11, 23, 12)]


def test_offered_slots_are_aligned_to_the_hour_after_quiet_hours_end_at_half_past():
    offered = slots(now=at(2026, 11, 23, 7, 0), calendar=ALWAYS, quiet="21:00-08:30", count=2)
    assert [s for s, _e in offered] == [at(2026, 11, 23, 9), at(2026, 11, 23, 10)]


def test_offered_slots_are_aligned_to_the_hour_of_the_calendar_zone():
    kolkata = desk(tz=KOLKATA, hours="09:00-18:00")  # UTC+05:30: the local hour is half past in UTC
    offered = slots(now=utc(2026, 11, 23, 4, 10), calendar=kolkata, tz=KOLKATA, count=3)
    assert [s.astimezone(ZoneInfo(KOLKATA)).minute for s, _e in offered] == [0, 0, 0]
    assert offered[0][0] == datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo(KOLKATA))


def test_shorter_slots_are_aligned_to_their_own_length():
    offered = slots(now=at(2026, 11, 23, 10, 5), slot_minutes=30, count=4)
    assert [s for s, _e in offered] == [at(2026, 11, 23, 10, 30), at(2026, 11, 23, 11), at(2026, 11, 23, 11, 30),
                                         at(2026, 11, 23, 13)]


def test_offered_slots_leave_out_do_not_call_hours():
    quiet = "16:00-17:00"
    offered = slots(now=at(2026, 11, 23, 13, 0), quiet=quiet, count=4)
    assert [s.astimezone(SH).hour for s, _e in offered] == [14, 15, 17, 9]
    stretches = parse_quiet_hours(quiet)
    assert not any(list(quiet_stretches(s, e, SHANGHAI, stretches)) for s, e in offered)


def test_offered_slots_respect_the_count():
    assert len(slots(count=5)) == 5
    assert slots(count=0) == []
    assert len(slots(calendar=ALWAYS, count=30)) == 30


def test_offered_slots_skip_a_weekend_to_the_next_workday():
    offered = slots(now=at(2026, 11, 27, 16, 30), count=3)  # a Friday afternoon
    assert [s for s, _e in offered] == [at(2026, 11, 27, 17), at(2026, 11, 30, 9), at(2026, 11, 30, 10)]


def test_offered_slots_skip_national_day_to_the_next_workday():
    offered = slots(now=at(2026, 9, 30, 16, 30), count=3)
    assert [s for s, _e in offered] == [at(2026, 9, 30, 17), at(2026, 10, 8, 9), at(2026, 10, 8, 10)]


def test_offered_slots_are_in_order_and_do_not_overlap():
    offered = slots(count=12, slot_minutes=90)
    assert all(e1 <= s2 for (_s1, e1), (s2, _e2) in zip(offered, offered[1:], strict=False))
    assert all(e - s == timedelta(minutes=90) for s, e in offered)


def test_a_customer_who_never_takes_calls_is_offered_nothing():
    assert slots(calendar=ALWAYS, quiet="00:00-24:00") == []
    assert slots(quiet="08:00-19:00") == []


# ---------------------------------------------------------------- revisits

def facts(id=1, status="resolved", **kw):
    return {"id": id, "status": status, "kind": "incident", "tier": "C", "priority": "P3", "category": "billing",
            "channel": "phone", **kw}


P1_ALWAYS = {"match": {"priority": "P1"}, "sample": 1.0, "why": "p1"}
VIP_NEVER = {"match": {"tier": "VIP"}, "sample": 0.0, "why": "vip"}
EVERYONE = {"match": {}, "sample": 1.0, "why": "everyone"}


def test_the_first_matching_rule_decides():
    rules = [P1_ALWAYS, EVERYONE]
    assert revisit_rule(facts(priority="P1"), rules)["why"] == "p1"
    assert revisit_rule(facts(priority="P3"), rules)["why"] == "everyone"


def test_a_first_matching_rule_that_samples_none_is_not_overruled_by_a_later_one():
    assert revisit_rule(facts(tier="VIP"), [VIP_NEVER, EVERYONE]) is None
    assert revisit_rule(facts(tier="A"), [VIP_NEVER, EVERYONE])["why"] == "everyone"


def test_a_rule_may_list_the_values_it_matches():
    rules = [{"match": {"channel": ["phone", "chat"], "tier": "C"}, "sample": 1.0, "why": "voice"}]
    assert revisit_rule(facts(channel="chat"), rules)["why"] == "voice"
    assert revisit_rule(facts(channel="email"), rules) is None
    assert revisit_rule(facts(channel="chat", tier="A"), rules) is None


def test_no_matching_rule_means_no_revisit():
    assert revisit_rule(facts(), [P1_ALWAYS]) is None
    assert revisit_rule(facts(), []) is None


def test_a_cancelled_ticket_never_gets_a_revisit():
    assert revisit_rule(facts(status="cancelled"), [EVERYONE]) is None


def test_sampling_gives_the_same_answer_every_time():
    first = [sampled(ticket_id, 0.3) for ticket_id in range(1, 2001)]
    assert first == [sampled(ticket_id, 0.3) for ticket_id in range(1, 2001)]
    rule = {"match": {}, "sample": 0.3}
    assert [revisit_rule(facts(id=i), [rule]) is not None for i in range(1, 2001)] == first


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_the_sampled_share_is_close_to_the_rate(rate):
    share = sum(sampled(ticket_id, rate) for ticket_id in range(1, 10_001)) / 10_000
    assert abs(share - rate) <= 0.02


def test_a_rate_of_nothing_or_everything_is_exact():
    assert not any(sampled(i, 0.0) for i in range(1, 1001))
    assert all(sampled(i, 1.0) for i in range(1, 1001))


# ---------------------------------------------------------------- routing that prefers one agent

ROUTED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def agent(id, level=3, presence="available", load=0):
    return AgentState(id=id, skills={"billing": level}, languages=frozenset({"zh"}), team_ids=frozenset({1}),
                      capacity=5, load=load, presence=presence)


def callback():
    return TicketFacts(id=7, priority="P3", tier="C", waiting_since=ROUTED_AT, required_skills={"billing": 3},
                       language="zh", team_id=1, work="followup")


def test_the_preferred_agent_takes_it_though_another_ranks_higher():
    agents = [agent(1, level=5), agent(2, level=3)]
    assert decide(callback(), agents, ROUTED_AT).agent_id == 1
    assert decide_preferring(callback(), agents, ROUTED_AT, preferred=2).agent_id == 2


def test_a_preferred_agent_who_may_not_take_it_leaves_it_to_the_usual_order():
    agents = [agent(1, level=5), agent(2, level=3, presence="away"), agent(3, level=3, load=5)]
    assert decide_preferring(callback(), agents, ROUTED_AT, preferred=2).agent_id == 1
    assert decide_preferring(callback(), agents, ROUTED_AT, preferred=3).agent_id == 1
    assert decide_preferring(callback(), [agent(2, presence="away")], ROUTED_AT, preferred=2).agent_id is None


def test_an_avoided_agent_is_passed_over_while_someone_else_may_take_it():
    agents = [agent(1, level=5), agent(2, level=3)]
    assert decide_preferring(callback(), agents, ROUTED_AT, avoid=1).agent_id == 2


def test_an_avoided_agent_takes_it_when_nobody_else_may():
    agents = [agent(1, level=5), agent(2, level=3, presence="away"), agent(3, level=1)]
    assert decide_preferring(callback(), agents, ROUTED_AT, avoid=1).agent_id == 1


def test_with_nobody_preferred_or_avoided_it_is_the_usual_decision():
    agents = [agent(1, level=4), agent(2, level=5), agent(3, presence="away")]
    plain = decide(callback(), agents, ROUTED_AT)
    assert decide_preferring(callback(), agents, ROUTED_AT) == plain


# ---------------------------------------------------------------- properties

@settings(deadline=None, max_examples=200)
@given(calendars(), quiet_texts, instants, st.integers(1, 5), st.integers(1, 6), steps)
def test_a_retry_is_in_open_hours_outside_quiet_hours_and_after_the_last_try(cal, quiet_text, last, tries,
                                                                             max_tries, schedule):
    calendar, tz = cal
    quiet = parse_quiet_hours(quiet_text)
    try:
        answer = next_try(last, tries, parse_schedule(schedule), max_tries, calendar, tz, quiet)
    except NeverOpen:
        assert every_open_minute_is_quiet(calendar, quiet)
        return
    if tries >= max_tries:
        assert answer is None
        return
    assert answer is not None and answer > last
    assert callable_at(answer, calendar, tz, quiet)


@settings(deadline=None, max_examples=200)
@given(calendars(), quiet_texts, instants, st.floats(0, 1, exclude_max=True))
def test_earliest_allowed_is_allowed_and_nothing_before_it_is(cal, quiet_text, instant, fraction):
    calendar, tz = cal
    quiet = parse_quiet_hours(quiet_text)
    try:
        first = earliest_allowed(instant, calendar, tz, quiet)
    except NeverOpen:
        assert every_open_minute_is_quiet(calendar, quiet)
        return
    assert first >= instant
    assert allowed(first, calendar, tz, quiet) and callable_at(first, calendar, tz, quiet)
    between = instant + (first - instant) * fraction
    assert between == first or not allowed(between, calendar, tz, quiet)


@settings(deadline=None, max_examples=200)
@given(calendars(), quiet_texts, instants, st.sampled_from([15, 30, 45, 60, 90, 120]), st.integers(0, 6))
def test_every_offered_slot_is_a_window_that_may_be_booked(cal, quiet_text, now, slot_minutes, count):
    calendar, tz = cal
    quiet = parse_quiet_hours(quiet_text)
    offered = offered_slots(now, calendar, tz, quiet, slot_minutes=slot_minutes, count=count)
    assert len(offered) <= count
    zone = ZoneInfo(tz)
    grid = slot_minutes if 60 % slot_minutes == 0 else 60
    for start, end in offered:
        assert window_problem(start, end, now, calendar, tz, quiet) is None
        assert calendar.between(start, end) == (end - start).total_seconds()  # open all through
        assert start >= now + timedelta(minutes=15) and end - start == timedelta(minutes=slot_minutes)
        assert start.astimezone(zone).minute % grid == 0 and start.second == 0
    assert all(e1 <= s2 for (_s1, e1), (s2, _e2) in zip(offered, offered[1:], strict=False))


# ---------------------------------------------------------------- as soon as possible

def test_asap_runs_a_slot_from_now_while_the_desk_is_open():
    now = at(2026, 3, 4, 10, 7, 30)  # a Wednesday, open
    assert asap_window(now, CN, SHANGHAI, (), 60) == (now, now + timedelta(hours=1))


def test_asap_ends_at_closing_time_and_where_quiet_hours_begin():
    assert asap_window(at(2026, 3, 4, 11, 30), CN, SHANGHAI, (), 60)[1] == at(2026, 3, 4, 12, 0)  # lunch
    quiet = parse_quiet_hours("15:40-16:00")
    assert asap_window(at(2026, 3, 4, 15, 0), CN, SHANGHAI, quiet, 60)[1] == at(2026, 3, 4, 15, 40)


def test_no_asap_when_closed_quiet_or_too_little_time_is_left():
    assert asap_window(at(2026, 3, 7, 10, 0), CN, SHANGHAI, (), 60) is None  # a Saturday
    assert asap_window(at(2026, 3, 4, 10, 0), CN, SHANGHAI, parse_quiet_hours("09:30-10:30"), 60) is None
    assert asap_window(at(2026, 3, 4, 17, 55), CN, SHANGHAI, (), 60) is None  # five minutes before closing

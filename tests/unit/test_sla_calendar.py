"""Business calendars with fixed dates: weekends, holidays, make-up workdays, split and night
shifts, daylight saving."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.sla.calendar import BusinessCalendar, NeverOpen, format_hours, parse_hours
from callcenter.sla.holidays_source import country_calendar

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
H = 3600
WEEKDAYS_9_18 = {d: parse_hours("09:00-18:00") for d in range(5)}


def at(y, m, d, hh=0, mm=0, tz=SH):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


def office(**kw):
    return BusinessCalendar(tz="Asia/Shanghai", weekly=WEEKDAYS_9_18, **kw)


def test_parse_hours_handles_split_and_night_shifts():
    assert parse_hours("09:00-12:00, 13:00-18:00") == ((540, 720), (780, 1080))
    assert parse_hours("22:00-06:00") == ((1320, 1800),)
    assert parse_hours("00:00-24:00") == ((0, 1440),)
    with pytest.raises(ValueError):
        parse_hours("25:00-26:00")


def test_within_a_working_day():
    cal = office()
    assert cal.add(at(2026, 11, 23, 10), 2 * H) == at(2026, 11, 23, 12)
    assert cal.between(at(2026, 11, 23, 10), at(2026, 11, 23, 12)) == 2 * H


def test_after_hours_rolls_to_the_next_morning():
    cal = office()
    assert cal.add(at(2026, 11, 23, 17), 2 * H) == at(2026, 11, 24, 10)
    assert cal.add(at(2026, 11, 23, 20), 30 * 60) == at(2026, 11, 24, 9, 30)


def test_friday_evening_rolls_over_the_weekend():
    cal = office()
    assert cal.add(at(2026, 11, 27, 17), 2 * H) == at(2026, 11, 30, 10)  # Fri 17:00 + 2h = Mon 10:00
    assert cal.between(at(2026, 11, 27, 17), at(2026, 11, 30, 10)) == 2 * H


def test_custom_closed_day_is_skipped():
    cal = office(closed=frozenset({date(2026, 11, 24)}))
    assert cal.add(at(2026, 11, 23, 17), 2 * H) == at(2026, 11, 25, 10)


def test_china_spring_festival_and_a_make_up_sunday():
    cal = country_calendar("CN", [2026], "Asia/Shanghai", WEEKDAYS_9_18)
    # 2026-02-13 is a Friday; 14 Feb (Sat) is a make-up workday; 16-23 Feb are holidays.
    assert cal.add(at(2026, 2, 13, 17), 2 * H) == at(2026, 2, 14, 10)
    assert cal.add(at(2026, 2, 14, 17), 2 * H) == at(2026, 2, 24, 10)
    # New Year: Jan 1 and 2 closed, Sunday 4 Jan works.
    assert cal.add(at(2025, 12, 31, 17), 2 * H) == at(2026, 1, 4, 10)


def test_custom_dates_win_over_the_package():
    cal = country_calendar("CN", [2026], "Asia/Shanghai", WEEKDAYS_9_18, extra_closed=[date(2026, 1, 4)],
                           extra_open={date(2026, 1, 2): parse_hours("10:00-12:00")})
    assert cal.add(at(2025, 12, 31, 17), 2 * H) == at(2026, 1, 2, 11)
    assert cal.add(at(2026, 1, 2, 11), 2 * H) == at(2026, 1, 5, 10)


def test_split_shift_skips_the_lunch_break():
    cal = BusinessCalendar(tz="Asia/Shanghai", weekly={0: parse_hours("09:00-12:00,13:00-18:00")})
    assert cal.add(at(2026, 11, 23, 11), 2 * H) == at(2026, 11, 23, 14)
    assert cal.between(at(2026, 11, 23, 11), at(2026, 11, 23, 14)) == 2 * H


def test_night_shift_runs_past_midnight():
    cal = BusinessCalendar(tz="Asia/Shanghai", weekly={d: parse_hours("22:00-06:00") for d in range(7)})
    assert cal.add(at(2026, 11, 23, 23), 3 * H) == at(2026, 11, 24, 2)
    # starting at 01:00 inside yesterday's shift
    assert cal.add(at(2026, 11, 24, 1), 6 * H) == at(2026, 11, 24, 23)
    assert cal.is_open(at(2026, 11, 24, 3)) and not cal.is_open(at(2026, 11, 24, 12))


def test_daylight_saving_spring_forward_keeps_wall_clock_hours():
    cal = BusinessCalendar(tz="America/New_York", weekly={d: parse_hours("00:00-24:00") for d in range(7)})
    # 2026-03-08 has 23 hours in New York: a 24h target from Saturday noon ends Sunday 13:00 local.
    start = at(2026, 3, 7, 12, tz=NY)
    assert cal.add(start, 24 * H) == at(2026, 3, 8, 13, tz=NY)
    office_ny = BusinessCalendar(tz="America/New_York", weekly={d: parse_hours("09:00-17:00") for d in range(7)})
    assert office_ny.add(at(2026, 3, 7, 16, tz=NY), 2 * H) == at(2026, 3, 8, 10, tz=NY)


def test_daylight_saving_fall_back():
    office_ny = BusinessCalendar(tz="America/New_York", weekly={d: parse_hours("09:00-17:00") for d in range(7)})
    assert office_ny.add(at(2026, 10, 31, 16, tz=NY), 2 * H) == at(2026, 11, 1, 10, tz=NY)


def test_twenty_four_seven_is_plain_time():
    cal = BusinessCalendar.twenty_four_seven()
    start = datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc)
    assert cal.add(start, 30 * 60) == start + timedelta(minutes=30)
    assert cal.between(start, start + timedelta(days=2)) == 48 * H


def test_a_calendar_with_no_hours_is_an_error_not_a_hang():
    with pytest.raises(NeverOpen):
        BusinessCalendar(tz="UTC", weekly={}).add(at(2026, 1, 1), 60)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        office().add(datetime(2026, 1, 1, 10), 60)


starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                      timezones=st.just(timezone.utc))


@settings(max_examples=200, deadline=None)
@given(starts, st.integers(1, 40 * H))
def test_add_and_between_agree(start, seconds):
    cal = country_calendar("CN", [2026, 2027], "Asia/Shanghai", {d: parse_hours("09:00-12:00,13:00-18:00")
                                                                 for d in range(5)})
    end = cal.add(start, seconds)
    assert end > start
    assert abs(cal.between(start, end) - seconds) < 1e-6


def test_format_hours_reads_back_what_parse_hours_reads():
    for text in ("09:00-12:00,13:00-18:00", "22:00-06:00", "00:00-24:00", "08:30-17:45"):
        assert format_hours(parse_hours(text)) == text


def test_describe_days_names_holidays_make_up_days_and_our_own_dates():
    from callcenter.sla.holidays_source import country_calendar, describe_days, holiday_names

    weekly = {d: parse_hours("09:00-12:00,13:00-18:00") for d in range(5)}
    closed, opened = [date(2026, 9, 30)], {date(2026, 10, 11): parse_hours("10:00-14:00")}
    calendar = country_calendar("CN", [2026], "Asia/Shanghai", weekly, extra_closed=closed, extra_open=opened)
    names = holiday_names("CN", [2026], "zh_CN")
    days = describe_days(calendar, names, closed, opened, date(2026, 9, 28), 14)
    by_day = {d.day: d for d in days}
    assert len(days) == 14 and by_day[date(2026, 9, 28)].reason is None
    assert by_day[date(2026, 9, 30)].reason == "closed" and by_day[date(2026, 9, 30)].hours == ()
    assert by_day[date(2026, 10, 1)].reason == "holiday" and by_day[date(2026, 10, 1)].name == "国庆节"
    assert by_day[date(2026, 10, 10)].reason == "makeup" and by_day[date(2026, 10, 10)].hours == weekly[0]
    assert by_day[date(2026, 10, 11)].reason == "open" and by_day[date(2026, 10, 11)].hours == ((600, 840),)
    only = describe_days(calendar, names, closed, opened, date(2026, 9, 28), 14, exceptions_only=True)
    assert [d.reason for d in only] == ["closed"] + ["holiday"] * 6 + ["makeup", "open"]  # 10-04 is a Sunday anyway

"""Durations split into the units people read, and business days of a calendar's length."""
from callcenter.durations import business_days, day_length, parts


def test_seconds_under_an_hour_read_as_minutes_and_seconds():
    assert parts(89) == [(1, "min"), (29, "s")]
    assert parts(29) == [(29, "s")]
    assert parts(120) == [(2, "min")]
    assert parts(0) == [(0, "s")]
    assert parts(-89) == [(1, "min"), (29, "s")]  # over or left: the page says which


def test_longer_spans_read_as_hours_and_minutes_never_days():
    assert parts(9000) == [(2, "h"), (30, "min")]
    assert parts(1620 * 60) == [(27, "h")]
    assert parts(3 * 3600 + 40) == [(3, "h"), (1, "min")]  # rounded to the last unit shown
    assert parts(3 * 3600 + 29) == [(3, "h")]


def test_rounding_carries_into_the_next_unit():
    assert parts(3599.6) == [(1, "h")]
    assert parts(119.6) == [(2, "min")]
    assert parts(3599) == [(59, "min"), (59, "s")]


def test_business_days_of_a_known_day_length():
    assert business_days(27 * 3600, 9 * 3600) == (3, 0)
    assert business_days(30 * 3600, 9 * 3600) == (3, 3 * 3600)
    assert business_days(2 * 3600, 9 * 3600) is None  # shorter than a day: hours say it
    assert business_days(27 * 3600, None) is None


def test_a_day_length_is_known_only_when_every_open_day_is_as_long():
    office = {d: ((9 * 60, 12 * 60), (13 * 60, 18 * 60)) for d in range(5)}
    assert day_length(office) == 8 * 3600
    assert day_length({**office, 5: ()}) == 8 * 3600  # a closed Saturday changes nothing
    assert day_length({**office, 5: ((9 * 60, 12 * 60),)}) is None  # a short Saturday: not one length
    assert day_length({}) is None

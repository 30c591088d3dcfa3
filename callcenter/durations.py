"""Durations as the parts people read: 89 s is 1 min 29 s, 1620 min is 27 h, or 3 business
days on a calendar open 9 h a day. Pure: numbers in, numbers out; the words are the pages'."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

UNITS = (("h", 3600), ("min", 60), ("s", 1))


def parts(seconds: float, most: int = 2) -> list[tuple[int, str]]:
    """The largest units first, at most `most` of them, rounded to the last unit shown, zeros
    dropped: 89 -> [(1, 'min'), (29, 's')]; 5400 -> [(1, 'h'), (30, 'min')]; 0 -> [(0, 's')].
    Hours do not roll into days: a day is a calendar's business day, not 24 h."""
    left = round(abs(seconds))
    first = next((i for i, (_unit, size) in enumerate(UNITS) if left >= size), len(UNITS) - 1)
    shown = UNITS[first:first + most]
    last = shown[-1][1]
    left = (left + last // 2) // last * last  # round half up to the smallest unit shown
    if left >= shown[0][1] * 60 and shown[0][0] != "h":  # 59 min 59.6 s rounds up into the next unit
        return parts(left, most)
    out = []
    for unit, size in shown:
        count, left = divmod(left, size)
        if count:
            out.append((count, unit))
    return out or [(0, shown[-1][0])]


def business_days(seconds: int, day_seconds: int | None) -> tuple[int, int] | None:
    """(whole business days, seconds left over) for a target of at least one business day;
    None when the day's length is not known or the target is shorter than a day."""
    if not day_seconds or seconds < day_seconds:
        return None
    return divmod(seconds, day_seconds)


def day_length(weekly: Mapping[int, Iterable[tuple[int, int]]]) -> int | None:
    """Seconds a calendar is open on each of its open weekdays, when every open day is as long
    (Monday to Friday 09:00-12:00,13:00-18:00: 32400); None when days differ or none is open."""
    lengths = {sum(end - start for start, end in intervals) * 60 for intervals in weekly.values()}
    lengths.discard(0)
    return lengths.pop() if len(lengths) == 1 else None

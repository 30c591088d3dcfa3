"""A callback window as a form's option value, read back. One format for every page that offers
windows (the customer's status page and web form, the staff ticket page)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

Window = tuple[datetime, datetime]
SEPARATOR = "/"
ASAP_GRACE = timedelta(minutes=1)  # a window starting this close to now reads "as soon as possible"


def window_value(start: datetime, end: datetime) -> str:
    """Both ends in UTC, so the page's zone changes nothing."""
    return SEPARATOR.join(t.astimezone(timezone.utc).isoformat() for t in (start, end))


def parse_window(value: str | None) -> Window | None:
    """The window an option names, or None for anything that is not two aware instants."""
    parts = (value or "").split(SEPARATOR)
    if len(parts) != 2:
        return None
    try:
        start, end = (datetime.fromisoformat(p) for p in parts)
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None:
        return None
    return start, end


ASAP = "asap"  # the option's value: the window is taken from the moment the form is sent


def is_asap(start: datetime, now: datetime) -> bool:
    """The "as soon as possible" window (it starts now)."""
    return start <= now + ASAP_GRACE


def asap_of(slots: list[Window], now: datetime) -> Window | None:
    """The "as soon as possible" window among the offered ones (always the first), if any."""
    return slots[0] if slots and is_asap(slots[0][0], now) else None


def option_value(window: Window, asap: Window | None) -> str:
    """What an option sends: "asap" for that window (re-read when the form comes back, however
    long the customer took), both ends for the others."""
    return ASAP if window == asap else window_value(*window)


def chosen(value: str | None, asap: Window | None) -> Window | None:
    """The window an option sent names: "as soon as possible" as offered now (None if it no
    longer is), or the two instants it holds."""
    return asap if value == ASAP else parse_window(value)

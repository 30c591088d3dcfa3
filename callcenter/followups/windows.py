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


def is_asap(start: datetime, now: datetime) -> bool:
    """The "as soon as possible" window (it starts now)."""
    return start <= now + ASAP_GRACE

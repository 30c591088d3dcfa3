"""Follow-up codes in the staff pages' words: kinds, statuses, outcomes, and a window as a
reader in the desk's time zone reads it."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, format_time, to_user_timezone
from flask_babel import gettext as _


def kind(code: str) -> str:
    return {"callback": _("Callback"), "revisit": _("Revisit")}.get(code, code)


def status(code: str) -> str:
    return {"scheduled": _("Scheduled"), "due": _("Waiting for an agent"), "assigned": _("With an agent"),
            "completed": _("Done"), "unreachable": _("Could not reach the customer"),
            "cancelled": _("Cancelled")}.get(code, code)


def outcome(code: str) -> str:
    return {"reached": _("Reached"), "no_answer": _("No answer"), "busy": _("Line busy"),
            "wrong_number": _("Wrong number")}.get(code, code)


def yes_no(value: bool | None) -> str:
    return "—" if value is None else (_("yes") if value else _("no"))


def window(start: datetime, end: datetime) -> str:
    """'2030/3/4 10:00–11:00' when it ends the day it starts; both ends in full otherwise."""
    if to_user_timezone(start).date() == to_user_timezone(end).date():
        return f"{format_datetime(start, 'short')}–{format_time(end, 'short')}"
    return f"{format_datetime(start, 'short')} – {format_datetime(end, 'short')}"


def asap(end: datetime) -> str:
    return _("As soon as possible (before %(end)s)", end=format_time(end, "short"))


def words() -> dict:
    """What the templates call."""
    return {"followup_kind": kind, "followup_status": status, "followup_outcome": outcome,
            "followup_window": window, "followup_yes_no": yes_no}

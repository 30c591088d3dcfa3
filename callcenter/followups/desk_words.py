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


def _when(value: str | None) -> str:
    return format_datetime(datetime.fromisoformat(value), "short") if value else "—"


def timeline(kind_code: str, data: dict, after) -> str | None:
    """A follow-up's line on its ticket's timeline, or None for a kind that is not one."""
    what, _sep, step = kind_code.partition("_")
    if kind_code == "callback_requested":
        return _("booked a callback to %(phone)s, %(window)s", phone=data.get("phone", ""),
                 window=_when(data.get("window_start")))
    if kind_code == "revisit_scheduled":
        return _("scheduled a revisit (round %(round)s) from %(start)s, due by %(due)s", round=data.get("round", 1),
                 start=_when(data.get("starts_at")), due=_when(data.get("due_at")))
    if kind_code == "revisit_skipped":
        return _("made no revisit: %(why)s", why=_skip(data.get("reason")))
    if what in ("callback", "revisit") and step == "assigned":
        return _("gave the %(kind)s to %(to)s", kind=kind(what).lower(), to=(after or {}).get("name", "?"))
    if what in ("callback", "revisit") and step == "attempt":
        line = _("%(kind)s try %(number)s: %(outcome)s", kind=kind(what), number=data.get("number", "?"),
                 outcome=outcome(data.get("outcome", "")))
        if data.get("next_attempt_at"):
            line += " · " + _("next try %(when)s", when=_when(data["next_attempt_at"]))
        if data.get("score"):
            line += " · " + _("satisfaction %(score)s of 5", score=data["score"])
        return line
    if what in ("callback", "revisit") and step == "handed_back":
        return _("the %(kind)s went back to the queue", kind=kind(what).lower())
    if what in ("callback", "revisit") and step == "cancelled":
        return _("the %(kind)s was cancelled", kind=kind(what).lower())
    if kind_code == "survey_sent":
        return _("sent the satisfaction survey")
    if kind_code == "survey_answered":
        return _("the customer answered the survey: satisfaction %(csat)s of 5", csat=data.get("csat", "?"))
    if kind_code == "service_recovery":
        return _("service recovery %(number)s started after a bad answer", number=data.get("number", 1))
    if kind_code == "customer_at_risk":
        return _("marked the customer at risk (a second service recovery)")
    return None


def _skip(reason: str | None) -> str:
    return {"asked_not_to_be_contacted": _("the customer asked not to be contacted again"),
            "no_time_to_call": _("their do-not-call hours leave no time to call")}.get(reason or "", reason or "")

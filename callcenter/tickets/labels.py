"""Words people read for codes: statuses, kinds, channels, severities; and timeline lines."""
from __future__ import annotations

from flask_babel import gettext as _


def customer_status(status: str) -> str:
    """How the status reads to the customer on their page and in emails."""
    labels = {
        "new": _("Received"),
        "assigned": _("Assigned to an agent"),
        "in_progress": _("In progress"),
        "pending_customer": _("Waiting for your reply"),
        "resolved": _("Resolved"),
        "closed": _("Closed"),
        "cancelled": _("Cancelled"),
    }
    return labels.get(status, status)


def staff_status(status: str) -> str:
    labels = {
        "new": _("New"),
        "assigned": _("Assigned"),
        "in_progress": _("In progress"),
        "pending_customer": _("Waiting for customer"),
        "resolved": _("Resolved"),
        "closed": _("Closed"),
        "cancelled": _("Cancelled"),
    }
    return labels.get(status, status)


def field_name(field: str) -> str:
    labels = {
        "priority": _("priority"), "severity": _("severity"), "category_code": _("category"),
        "subject": _("subject"), "language": _("language"), "required_skills": _("required skills"),
        "resolution_summary": _("resolution summary"), "root_cause": _("root cause"),
        "responsible_department": _("responsible department"), "team_id": _("team"),
    }
    return labels.get(field, field)


def _person(value) -> str:
    return value.get("name", "?") if isinstance(value, dict) else _("nobody")


def describe_event(event) -> str:
    """One line of a ticket's timeline, in the reader's language."""
    kind, data = event.kind, event.data or {}
    if kind == "created":
        return _("created the ticket")
    if kind == "assigned":
        if event.before:
            return _("assigned it to %(to)s (was %(was)s)", to=_person(event.after), was=_person(event.before))
        return _("assigned it to %(to)s", to=_person(event.after))
    if kind in ("status_changed", "reopened"):
        line = _("reopened it") if kind == "reopened" else _("changed the status from %(before)s to %(after)s",
                                                                before=staff_status(event.before),
                                                                after=staff_status(event.after))
        return f"{line} ({data['reason']})" if data.get("reason") else line
    if kind == "field_changed":
        return _("changed %(field)s from %(before)s to %(after)s", field=field_name(event.field),
                 before=event.before if event.before not in (None, "") else "—",
                 after=event.after if event.after not in (None, "") else "—")
    if kind == "message":
        return _("wrote a public reply")
    if kind == "note":
        return _("added an internal note")
    if kind == "first_response":
        return _("first response to the customer")
    if kind == "promise_made":
        return _("promised: %(text)s", text=data.get("description", ""))
    if kind == "promise_kept":
        return _("kept the promise: %(text)s", text=data.get("description", ""))
    if kind == "promise_cancelled":
        return _("cancelled the promise: %(text)s", text=data.get("description", ""))
    return kind

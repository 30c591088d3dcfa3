"""Words people read for codes: statuses, kinds, channels, severities, tiers, durations; and
timeline lines."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from ..durations import business_days, parts
from ..followups.desk_words import timeline as followup_timeline

KINDS = ("complaint", "service_request", "inquiry")
CHANNELS = ("web", "phone", "email", "api")


def kind(code: str) -> str:
    """Complaint, service request or inquiry, in the reader's language: the one place it is said."""
    return {"complaint": _("Complaint"), "service_request": _("Service request"), "inquiry": _("Inquiry")}.get(code, code)


def channel(code: str) -> str:
    return {"web": _("Web form"), "phone": _("Phone"), "email": _("Email"), "api": _("API")}.get(code, code)


def tier(code: str) -> str:
    """A customer's tier as a badge reads: 'VIP customer', 'Tier C'."""
    return _("VIP customer") if code == "VIP" else _("Tier %(tier)s", tier=code)


def tiers(codes: list[str]) -> str:
    """The customers a condition names: 'VIP customers', 'Tier A / B customers'."""
    if codes == ["VIP"]:
        return _("VIP customers")
    return _("Tier %(tier)s customers", tier=" / ".join(codes))


def language(code: str | None) -> str:
    """A language in its own words, as the switch in the header names it."""
    return {"zh": "中文", "en": "English"}.get(code or "", code or "")


def actor(kind: str | None, name: str) -> str:
    """Who did it: a person's name, or the desk itself / the command line in words (stored as codes)."""
    if kind == "system":
        return {"system": _("The desk"), "command line": _("Command line")}.get(name, name)
    return name


def span(seconds: float) -> str:
    """'1 min 29 s', '2 h 30 min', '27 h': business or plain time, the page says which."""
    units = {"h": lambda n: _("%(n)s h", n=n), "min": lambda n: _("%(n)s min", n=n), "s": lambda n: _("%(n)s s", n=n)}
    return " ".join(units[unit](count) for count, unit in parts(seconds))


def sla_target(seconds: int, day_seconds: int | None = None) -> str:
    """'27 h (3 business days of 9 h)' on a calendar whose open days are all as long; else '2 h 30 min'."""
    days = business_days(seconds, day_seconds)
    if days is None or day_seconds is None:
        return span(seconds)
    whole, rest = days
    if not rest:
        return ngettext("%(span)s (%(num)d business day of %(day)s)", "%(span)s (%(num)d business days of %(day)s)",
                        whole, span=span(seconds), day=span(day_seconds))
    return ngettext("%(span)s (%(num)d business day and %(rest)s, days of %(day)s)",
                    "%(span)s (%(num)d business days and %(rest)s, days of %(day)s)",
                    whole, span=span(seconds), rest=span(rest), day=span(day_seconds))


def severity(code: str | None) -> str:
    return {"ordinary": _("Ordinary"), "serious": _("Serious"), "critical": _("Critical")}.get(code or "", code or "")


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


def matched_on(fields) -> str:
    """What a customer record has in common with a ticket's contact."""
    if set(fields) >= {"phone", "email"}:
        return _("same phone and email")
    if "phone" in fields:
        return _("same phone")
    if "email" in fields:
        return _("same email")
    return ""


def reason(code: str | None) -> str | None:
    """Reasons the system records are codes; reasons people type are shown as typed."""
    labels = {
        "agent_replied": _("the agent replied"),
        "customer_replied": _("the customer replied"),
        "assigned": _("assigned"),
        "handed_back": _("handed back to the queue"),
        "agent_away": _("the agent went away"),
        "agent_offline": _("the agent went offline"),
    }
    return labels.get(code, code) if code else None


def waiting_reason(code: str | None) -> str:
    """Why a ticket still waits in the queue, from the engine's code."""
    if not code:
        return "—"
    fixed = {
        "no_agents": _("no agents"),
        "no_agent_online": _("no agent online"),
        "all_at_capacity": _("all eligible agents at capacity"),
        "no_eligible_agent": _("no agent fits all requirements"),
    }
    if code in fixed:
        return fixed[code]
    if code.startswith("no_skill_"):
        return _("no agent online with skill %(skill)s", skill=code[len("no_skill_"):])
    if code.startswith("no_language_"):
        return _("no agent online speaking %(language)s", language=code[len("no_language_"):])
    return code


def _chosen(data: dict) -> dict:
    return next((c for c in data.get("candidates", []) if c.get("eligible")), {})


def escalation_target(value: str | None, staff_names: dict[str, str] | None = None) -> str:
    """'supervisor' -> 'supervisors', 'user:EMAIL' -> the person's name (else the email),
    'team:NAME' -> 'team NAME': how SLA escalation targets are stored, in words."""
    kind, _sep, rest = (value or "").partition(":")
    if kind == "supervisor" and not rest:
        return _("supervisors")
    if kind == "user" and rest:
        return (staff_names or {}).get(rest, rest)
    if kind == "team" and rest:
        return _("team %(name)s", name=rest)
    return value or ""


def _skip_reason(code: str) -> str:
    return {"ticket_not_open": _("the ticket is no longer open"), "unknown_team": _("no such team")}.get(code, code)


def _seconds(value) -> str:
    return span(value) if isinstance(value, (int, float)) else str(value)


def _person(value) -> str:
    return value.get("name", "?") if isinstance(value, dict) else _("nobody")


def describe_event(event, team_names: dict[int, str] | None = None) -> str:
    """One line of a ticket's timeline, in the reader's language."""
    kind, data = event.kind, event.data or {}
    team_names = team_names or {}
    if kind == "created":
        return _("created the ticket")
    if kind == "assigned":
        if data.get("rule") in ("best_fit", "agent_freed", "sweep"):
            return _("routed it to %(to)s (fit %(fit)s, load %(load)s of %(capacity)s, %(considered)s agents considered)",
                     to=_person(event.after), fit=_chosen(data).get("fit", "?"), load=data.get("load_before", "?"),
                     capacity=data.get("capacity", "?"), considered=data.get("considered", "?"))
        if event.before:
            return _("assigned it to %(to)s (was %(was)s)", to=_person(event.after), was=_person(event.before))
        return _("assigned it to %(to)s", to=_person(event.after))
    if kind in ("status_changed", "reopened"):
        line = _("reopened it") if kind == "reopened" else _("changed the status from %(before)s to %(after)s",
                                                                before=staff_status(event.before),
                                                                after=staff_status(event.after))
        shown = reason(data.get("reason")) if data.get("reason") != "assigned" else None  # the line before says it
        return f"{line} ({shown})" if shown else line
    if kind == "field_changed":
        show = (lambda v: team_names.get(v, v)) if event.field == "team_id" else (lambda v: v)  # noqa: E731
        return _("changed %(field)s from %(before)s to %(after)s", field=field_name(event.field),
                 before=show(event.before) if event.before not in (None, "") else "—",
                 after=show(event.after) if event.after not in (None, "") else "—")
    if kind == "handed_back":
        return _("handed it back to the queue (%(reason)s)", reason=reason(data.get("reason")))
    if kind == "routing_widened":
        return _("routing widened to level %(level)s", level=event.after)
    if kind == "routing_rule_applied":
        return _("routing rule applied: %(rule)s", rule=data.get("rule", ""))
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
    if kind == "promise_broken":
        return _("broke the promise: %(text)s", text=data.get("description", ""))
    if kind in ("sla_warning", "sla_breached", "sla_escalated"):
        return _("SLA %(clock)s: %(level)s", clock=sla_clock(data.get("clock", "")), level=sla_level(data.get("level", "")))
    if kind == "sla_escalation_skipped":
        return _("SLA escalation to %(to)s skipped (%(reason)s)", to=escalation_target(data.get("to")),
                 reason=_skip_reason(data.get("reason", "")))
    if kind == "sla_retargeted":
        return _("SLA %(clock)s target changed from %(before)s to %(after)s", clock=sla_clock(data.get("clock", "")),
                 before=_seconds(event.before), after=_seconds(event.after))
    if kind == "sla_due_moved":
        return _("SLA %(clock)s due time moved: calendar %(calendar)s changed", clock=sla_clock(data.get("clock", "")),
                 calendar=data.get("calendar", ""))
    if kind == "sla_policy_applied":
        return _("SLA policy applied: %(policy)s", policy=data.get("policy", ""))
    if kind == "promise_cancelled":
        return _("cancelled the promise: %(text)s", text=data.get("description", ""))
    if kind == "customer_match_suggested":
        return _("found %(count)s customer record(s) with this phone or email; staff decide if it is them",
                 count=len(data.get("matches") or []))
    if kind == "customer_linked":
        if data.get("new_record"):
            return _("recorded the contact as a new customer")
        return _("confirmed the customer record (%(matched)s)", matched=matched_on(data.get("matched_on") or []))
    if kind == "customer_match_rejected":
        return _("rejected a suggested customer record")
    if kind == "status_link_issued":
        return _("issued a new status-page link")
    if kind == "status_links_revoked":
        return _("revoked the status-page links")
    if kind == "status_link_resent":
        return _("the customer asked for the status-page link again")
    if kind == "personal_data_erased":
        return _("erased the customer's personal data")
    if kind == "personal_data_retention":
        return _("personal data anonymised after the retention period")
    return followup_timeline(kind, data, event.after) or kind


def presence(state: str) -> str:
    return {"available": _("Available"), "away": _("Away"), "offline": _("Offline")}.get(state, state)


def sla_clock(name: str) -> str:
    """One translation looked up, not five: the wallboard names the clock of each ticket at risk."""
    if name.startswith("promise:"):
        return _("Promise")
    if name == "first_response":
        return _("First response")
    if name == "next_response":
        return _("Next response")
    if name == "resolution":
        return _("Resolution")
    if name == "final_response":
        return _("Final response")
    return name


def sla_level(level: str) -> str:
    """'warning:0.75' -> 'warning at 75%', 'breach' -> 'breached', 'escalation:2' -> 'escalation level 2'."""
    kind, _sep, value = level.partition(":")
    if kind == "warning" and value:
        return _("warning at %(percent)s", percent=f"{round(float(value) * 100)}%")
    if kind == "escalation" and value:
        return _("escalation level %(level)s", level=value)
    if kind == "breach":
        return _("breached")
    return level


def sla_state(state: str | None) -> str:
    return {"running": _("running"), "paused": _("paused"), "warning": _("warning"), "breached": _("breached"),
            "met": _("met"), None: "—", "none": "—"}.get(state, state)

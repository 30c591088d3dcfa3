"""The text of a report mail, in the subscriber's language: the figures of summary.py with their
counts, one per line (templates/messages/kpi_report.txt; its first line is the subject)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _


def _percent(metric: dict) -> str:
    if metric["value"] is None:
        return _("nothing to count")
    return _("%(value)s (%(numerator)s of %(denominator)s)", value=f"{metric['value'] * 100:.1f}%",
             numerator=int(metric["numerator"]), denominator=int(metric["denominator"]))


def _seconds(metric: dict) -> str:
    return _("nothing to count") if metric["value"] is None else _("%(n)s s", n=metric["value"])


def _plain(metric: dict) -> str:
    return _("nothing to count") if metric["value"] is None else str(metric["value"])


def lines(figures: dict) -> list[tuple[str, str]]:
    m = figures["metrics"]
    return [
        (_("Service level (answered within %(seconds)s s)", seconds=figures["rules"]["threshold_seconds"]),
         _percent(m["service_level"])),
        (_("Average speed of answer"), _seconds(m["asa_seconds"])),
        (_("Average handle time"), _seconds(m["aht_seconds"])),
        (_("First contact resolution"), _percent(m["fcr_rate"])),
        (_("Abandonment rate"), _percent(m["abandonment_rate"])),
        (_("Reopen rate"), _percent(m["reopen_rate"])),
        (_("SLA breach rate"), _percent(m["sla_breach_rate"])),
        (_("CSAT (1-5)"), _plain(m["csat_avg"])),
        (_("NPS"), _plain(m["nps"])),
        (_("Callback success rate"), _percent(m["callback_success_rate"])),
        (_("Revisit satisfaction (1-5)"), _plain(m["revisit_satisfaction"])),
        (_("Solved, say revisited customers"), _percent(m["revisit_solved_rate"])),
        (_("Backlog (open tickets now)"), str(figures["backlog"])),
    ]


def render(figures: dict, *, name: str, team: str | None, locale: str, tz: str, link: str,
           manage: str) -> tuple[str, str]:
    """(subject, body) of the report of figures["start"] to figures["end"]."""
    zone = ZoneInfo(tz)
    with force_locale(locale):
        first = figures["start"].astimezone(zone).date()
        last = (figures["end"] - timedelta(seconds=1)).astimezone(zone).date()
        text = render_template("messages/kpi_report.txt", name=name, team=team or _("All teams"),
                               start_day=format_date(first, "medium"), end_day=format_date(last, "medium"),
                               lines=lines(figures), link=link, manage=manage)
    subject, _sep, body = text.strip("\n").partition("\n")
    return subject.strip(), body.strip("\n") + "\n"

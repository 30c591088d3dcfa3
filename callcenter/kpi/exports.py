"""The reports page's exports: the figures (one row per figure, with what it is made of) and the
tickets counted in the period (one row per ticket, streamed: a generator over a cursor read in
batches, so 100,000 rows never sit in memory), as CSV or XLSX.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula;
names and texts come from people, so such a CSV cell gets a leading apostrophe, and an XLSX
text cell is written as text, never as a formula. Numbers stay numbers."""
from __future__ import annotations

import csv
import io
import tempfile
from datetime import datetime
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, or_

from ..actors import Actor
from ..auth.models import Team, User
from ..extensions import db
from ..tickets import labels as words
from ..tickets.models import Ticket
from .queries import require_supervisor
from .summary import METRICS, Scope, between, resolved_in

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def guard(value):
    """A CSV cell a spreadsheet will not run: text that starts like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def figure_labels(in_seconds: bool = True) -> dict[str, str]:
    """The figures' names people read; in_seconds: the two averages say their unit (the exports,
    whose values are plain seconds)."""
    return {
        "service_level": _("Service level"),
        "asa_seconds": _("Average speed of answer (s)") if in_seconds else _("Average speed of answer"),
        "aht_seconds": _("Average handle time (s)") if in_seconds else _("Average handle time"), "fcr_rate": _("First contact resolution"),
        "abandonment_rate": _("Abandonment rate"), "reopen_rate": _("Reopen rate"),
        "sla_breach_rate": _("SLA breach rate"), "csat_avg": _("CSAT (1-5)"), "nps": _("NPS"),
        "callback_success_rate": _("Callback success rate"), "backlog": _("Backlog (open tickets)"),
        "revisit_satisfaction": _("Revisit satisfaction (1-5)"), "revisit_solved_rate": _("Solved, say revisited customers"),
    }


def clock_labels() -> dict[str, str]:
    """The SLA clocks' names, for compliance per clock."""
    return {"first_response": _("First response"), "next_response": _("Next response"), "resolution": _("Resolution"),
            "final_response": _("Complaint final response"), "promise": _("Promises")}


def describe_filters(filters: dict, agent_name: str | None = None) -> str:
    """'team=Billing; agent=Anna (3); channel=phone', or '' for everybody."""
    parts = []
    for name, value in filters.items():
        if name == "agent" and agent_name:
            value = f"{agent_name} ({value})"
        parts.append(f"{name}={value}")
    return "; ".join(parts)


def _instant(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(sep=" ", timespec="seconds") if value else ""


def figure_rows(out: dict, tz: str, agent_name: str | None = None) -> list[list]:
    """The header and one row per figure of a summary: name, label, value, numerator, denominator,
    from, to (the period is [from, to)), filters."""
    zone, labels = ZoneInfo(tz), figure_labels()
    start, end, filters = _instant(out["start"], zone), _instant(out["end"], zone), \
        describe_filters(out["filters"], agent_name)
    rows = [[_("Figure"), _("Name"), _("Value"), _("Numerator"), _("Denominator"), _("From"), _("To (excluded)"),
             _("Filters")]]
    for name in METRICS:
        m = out["metrics"][name]
        rows.append([name, labels[name], m["value"], m["numerator"], m["denominator"], start, end, filters])
    clocks = clock_labels()
    for name, m in out["sla_compliance"].items():
        rows.append([f"sla_compliance:{name}", _("SLA compliance: %(clock)s", clock=clocks.get(name, name)), m["value"],
                     m["numerator"], m["denominator"], start, end, filters])
    rows.append(["backlog", labels["backlog"], out["backlog"], None, None, start, end, filters])
    return rows


def counted_tickets(actor: Actor, scope: Scope, start: datetime, end: datetime):
    """The tickets some figure of the period counts: their first wait ended in it (answered or
    abandoned), they were resolved in it (and are resolved or closed now), or created in it."""
    require_supervisor(actor)
    waited = or_(between(Ticket.answered_at, start, end),
                 and_(Ticket.answered_at.is_(None), Ticket.queue_wait_seconds.is_not(None),
                      between(Ticket.cancelled_at, start, end)))
    return (scope.tickets(actor).where(or_(waited, and_(*resolved_in(start, end)), between(Ticket.created_at, start, end)))
            .outerjoin(Team, Team.id == Ticket.team_id).outerjoin(User, User.id == Ticket.assignee_id)
            .with_only_columns(Ticket.reference, Ticket.created_at, Ticket.answered_at, Ticket.queue_wait_seconds,
                               Ticket.resolved_at, Ticket.handle_seconds, Ticket.status, Team.name, User.name,
                               Ticket.category_code, Ticket.channel, Ticket.kind)
            .order_by(Ticket.id))


def ticket_header(tz: str) -> list[str]:
    return [_("Reference"), _("Created (%(tz)s)", tz=tz), _("Answered (%(tz)s)", tz=tz), _("Wait (s)"),
            _("Resolved (%(tz)s)", tz=tz), _("Handle time (s)"), _("Status"), _("Team"), _("Agent"),
            _("Category"), _("Channel"), _("Kind")]


def ticket_rows(stmt, tz: str, local_times: bool = False) -> Iterator[list]:
    """The header, then one row per ticket, read BATCH at a time (a generator). Times as text with
    their offset in the desk's zone, or (local_times, for XLSX) as the desk's wall-clock times."""
    zone = ZoneInfo(tz)

    def when(value):
        if value is None:
            return None if local_times else ""
        local = value.astimezone(zone)
        return local.replace(tzinfo=None) if local_times else local.isoformat(sep=" ", timespec="seconds")

    yield ticket_header(tz)
    status_words, channel_words, kind_words = {}, {}, {}  # looked up once per code, not per row
    for r in db.session.execute(stmt.execution_options(yield_per=BATCH)):
        status = status_words.setdefault(r[6].value, words.staff_status(r[6].value))
        channel = channel_words.setdefault(r[10].value, words.channel(r[10].value))
        kind = kind_words.setdefault(r[11].value, words.kind(r[11].value))
        yield [r[0], when(r[1]), when(r[2]), r[3], when(r[4]), r[5], status, r[7], r[8], r[9], channel, kind]


def csv_stream(rows: Iterable[list]) -> Iterator[str]:
    """CSV text a line at a time (UTF-8 with a BOM, so that spreadsheets read Chinese), guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in rows:
        writer.writerow([guard(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def xlsx_file(rows: Iterable[list], title: str):
    """An XLSX workbook of the rows in a temporary file (openpyxl's write-only mode keeps no rows in
    memory); text cells are text, never formulas. Returns the file, at its start."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])

    def cell(value):
        if isinstance(value, str):  # control characters XLSX cannot hold (a pasted \x01) become "?"
            value = ILLEGAL_CHARACTERS_RE.sub("?", value)
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # "=..." stays text
        elif isinstance(value, datetime):
            c.number_format = "yyyy-mm-dd hh:mm:ss"
        return c

    for row in rows:
        sheet.append([cell(v) for v in row])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    book.save(out)
    out.seek(0)
    return out

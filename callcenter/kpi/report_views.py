"""The reports page (/reports) and its exports, for supervisors and admins: the summary's figures
for a period and filters, the same figures per team and per agent, how long resolutions took,
trends by day and by hour, and complaints by root cause and department; CSV and XLSX of the
figures and of the tickets counted.

The filters are GET parameters: from and to are days in the desk's time zone (DISPLAY_TIMEZONE),
both included (the period is [from's midnight, the midnight after to)); team, agent (a user id),
category, channel, kind, tier. Bad input is a message under its field and a 400, never a 500.

Exports take one more parameter, the rows wanted: kind=figures (the default) or kind=tickets.
kind is also the ticket-kind filter; the two sets of values do not meet, so
/reports/export.csv?kind=tickets&kind=complaint is the complaints' tickets."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Response, abort, current_app, render_template, request, send_file, stream_with_context, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from ..db_types import utcnow
from ..extensions import db
from ..forms_base import Form
from ..staff import page_actor, staff_blueprint
from ..tickets import labels
from ..tickets.models import Category
from . import exports, formulas, reports
from . import summary as figures

bp = staff_blueprint("reports", __name__, url_prefix="")
MAX_DAYS = 366
EXPORTS = ("figures", "tickets")


@bp.before_request
def _supervisors_only():
    if not current_user.is_supervisor:
        abort(403)


FIRST_DATE, LAST_DATE = date(1970, 1, 1), date(2999, 12, 31)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(form, field) -> None:
    if field.data:
        try:
            day = date.fromisoformat(field.data) if ISO_DATE.fullmatch(field.data) else None
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."))
        if not FIRST_DATE <= day <= LAST_DATE:
            raise ValidationError(_("Enter a date between %(first)s and %(last)s.", first=FIRST_DATE.isoformat(),
                                    last=LAST_DATE.isoformat()))


def _one_of(message):
    def check(form, field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(message)
    return check


class ReportForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    start = StringField(_l("First day"), name="from", validators=[_date], render_kw={"type": "date"})
    end = StringField(_l("Last day"), name="to", validators=[_date], render_kw={"type": "date"})
    team = SelectField(_l("Team"), validate_choice=False, validators=[_one_of(_l("No team with that name."))])
    agent = SelectField(_l("Agent"), validate_choice=False, validators=[_one_of(_l("Choose an agent from the list."))])
    category = SelectField(_l("Category"), validate_choice=False,
                           validators=[_one_of(_l("Choose a category from the list."))])
    channel = SelectField(_l("Channel"), validate_choice=False, validators=[_one_of(_l("Choose a channel from the list."))])
    kind = SelectField(_l("Kind"), validate_choice=False, validators=[_one_of(_l("Choose a kind from the list."))])
    tier = SelectField(_l("Customer tier"), validate_choice=False, validators=[_one_of(_l("Choose a tier from the list."))])

    def __init__(self, formdata, names: reports.Directory, categories: list[tuple[str, str]], today: date):
        super().__init__(formdata=formdata)
        self.today = today
        self.team.choices = [("", _("All teams"))] + [(n, n) for n in names.teams.values()]
        self.agent.choices = [("", _("All agents"))] + [(str(i), n) for i, n in names.agents]
        self.category.choices = [("", _("All categories"))] + categories
        self.channel.choices = [("", _("All channels"))] + [(c, labels.channel(c)) for c in figures.CHANNELS]
        self.kind.choices = [("", _("All kinds"))] + [(k, labels.kind(k)) for k in figures.KINDS]
        self.tier.choices = [("", _("All tiers"))] + [(t, labels.tier(t)) for t in figures.TIERS]
        self.team_ids = {n: i for i, n in names.teams.items()}

    def days(self) -> tuple[date, date]:
        """From and to (both included): by default the 30 days that end today."""
        end = date.fromisoformat(self.end.data) if self.end.data else self.today
        start = date.fromisoformat(self.start.data) if self.start.data else end - timedelta(days=29)
        return start, end

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok:
            start, end = self.days()
            if end < start:
                self.end.errors = [*self.end.errors, _("The period must end on or after the day it starts.")]
                ok = False
            elif (end - start).days + 1 > MAX_DAYS:
                self.end.errors = [*self.end.errors, _("A report covers at most %(n)s days.", n=MAX_DAYS)]
                ok = False
            else:  # the days the report shows stand in the form, and in the export links
                self.start.data, self.end.data = start.isoformat(), end.isoformat()
        return ok

    def filters(self) -> figures.Filters:
        return figures.Filters(team=self.team.data or None, agent=int(self.agent.data) if self.agent.data else None,
                               category=self.category.data or None, channel=self.channel.data or None,
                               kind=self.kind.data or None, tier=self.tier.data or None)

    def scope(self) -> figures.Scope:
        """The filters, already checked against the lists the form offers (no statement more)."""
        f = self.filters()
        return figures.Scope(f, self.team_ids.get(f.team) if f.team else None)

    def query(self) -> dict:
        """The GET parameters that give this report (for the export links)."""
        return {field.name: field.data for field in self if field.data}


def _period(days: tuple[date, date], tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start, end = days
    return (datetime.combine(start, time(0), zone).astimezone(ZoneInfo("UTC")),
            datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(ZoneInfo("UTC")))


def _categories() -> list[tuple[str, str]]:
    """The category filter's choices, in the page's language (one statement)."""
    locale = str(get_locale() or "en")
    return [(c.code, c.label(locale))
            for c in db.session.scalars(select(Category).order_by(Category.position, Category.code))]


def _form(source=None) -> tuple[ReportForm, reports.Directory, str]:
    tz = current_app.config["DISPLAY_TIMEZONE"]
    names = reports.directory()
    today = utcnow().astimezone(ZoneInfo(tz)).date()
    source = request.args if source is None else source
    return ReportForm(source, names, _categories(), today), names, tz


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _chart_data(tables: dict) -> dict:
    """What report.js draws, every word in the page's language: the JSON block's content."""
    locale = str(get_locale() or "en")

    def day_label(day: date) -> str:
        return format_skeleton("MMMd", day, locale=locale)  # "Nov 26", "11月26日"

    percent = _percent
    return {
        "locale": "ZH" if locale.startswith("zh") else "EN",
        "daily": {
            "title": _("By day"), "labels": [day_label(d["day"]) for d in tables["days"]],
            "series": [{"name": _("Answered"), "type": "bar", "data": [d["answered"] for d in tables["days"]]},
                       {"name": _("Abandoned tickets"), "type": "bar", "data": [d["abandoned"] for d in tables["days"]]},
                       {"name": _("Resolved"), "type": "bar", "data": [d["resolved"] for d in tables["days"]]},
                       {"name": _("Service level (%)"), "type": "line", "percent": True,
                        "data": [percent(d["service_level"]) for d in tables["days"]]}],
        },
        "hourly": {
            "title": _("Tickets created by hour of day"), "labels": [f"{h['hour']:02d}:00" for h in tables["hours"]],
            "series": [{"name": _("Tickets created"), "type": "bar", "data": [h["created"] for h in tables["hours"]]}],
        },
        "resolution": {
            "title": _("Resolution time"), "labels": [bucket_label(b["bucket"]) for b in tables["resolution_times"]],
            "series": [{"name": _("Resolved tickets"), "type": "bar",
                        "data": [b["tickets"] for b in tables["resolution_times"]]}],
        },
    }


def bucket_label(code: str) -> str:
    return {"lt_1h": _("under 1 h"), "1h_4h": _("1–4 h"), "4h_24h": _("4–24 h"), "1d_3d": _("1–3 days"),
            "gt_3d": _("over 3 days")}[code]


def _render(form: ReportForm, tz: str, status: int = 200, out=None, tables=None, days=None):
    return render_template(
        "kpi/reports.html", form=form, out=out, tables=tables, tz=tz, days=days,
        charts=_chart_data(tables) if tables else None, query=form.query(), export_url=export_url,
        goal=current_app.config["KPI_SERVICE_LEVEL_GOAL"], figure_labels=exports.figure_labels(in_seconds=False),
        clock_labels=exports.clock_labels(),
        bucket_label=bucket_label, span=labels.span, format_date=format_date, top=reports.TOP), status


@bp.route("/reports")
def page():
    form, names, tz = _form()
    if not form.validate():
        return _render(form, tz, 400)
    days = form.days()
    start, end = _period(days, tz)
    actor, now, rules = page_actor(), utcnow(), formulas.rules_from(current_app.config)
    scope = form.scope()
    out = figures.figures(actor, scope, start, end, now, rules)
    tables = reports.report(actor, scope, start, end, rules, tz, names)
    return _render(form, tz, 200, out, tables, days)


def _export_args():
    """The export's rows (kind=figures|tickets) and the report's filters (kind=complaint|...)."""
    kinds = request.args.getlist("kind")
    wanted = [k for k in kinds if k in EXPORTS]
    args = request.args.copy()
    args.setlist("kind", [k for k in kinds if k not in EXPORTS])
    return (wanted[-1] if wanted else "figures"), args


def _export(fmt: str):
    rows_wanted, args = _export_args()
    form, names, tz = _form(args)
    if not form.validate():
        return _render(form, tz, 400)
    days = form.days()
    start, end = _period(days, tz)
    actor = page_actor()
    scope = form.scope()
    stem = f"report-{rows_wanted}-{days[0].isoformat()}-{days[1].isoformat()}"
    if rows_wanted == "figures":
        out = figures.figures(actor, scope, start, end, utcnow(), formulas.rules_from(current_app.config))
        rows = exports.figure_rows(out, tz, names.users.get(scope.filters.agent))
    else:
        rows = exports.ticket_rows(exports.counted_tickets(actor, scope, start, end), tz, local_times=fmt == "xlsx")
    if fmt == "csv":
        return Response(stream_with_context(exports.csv_stream(rows)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    return send_file(exports.xlsx_file(rows, rows_wanted), as_attachment=True, download_name=f"{stem}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/reports/export.csv")
def export_csv():
    return _export("csv")


@bp.route("/reports/export.xlsx")
def export_xlsx():
    return _export("xlsx")


def export_url(endpoint: str, query: dict, rows: str) -> str:
    """An export of this report: kind=rows (figures or tickets), then the ticket-kind filter if any."""
    return url_for(endpoint, **{**query, "kind": [rows] + ([query["kind"]] if query.get("kind") else [])})

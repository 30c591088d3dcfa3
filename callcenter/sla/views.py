"""Admin pages for SLA policies (supervisors read them)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..actions import admin as admin_actions
from ..directory import lookups
from ..errors import DomainError
from ..extensions import db
from ..staff import page_actor, refuse_if_forbidden, staff_blueprint
from ..tickets.labels import sla_clock
from . import admin
from .api import CalendarIn
from .calendar import format_hours
from .calendars import calendar_of
from .forms import CalendarForm, PolicyForm
from .holidays_source import describe_days, holiday_names
from .models import SlaCalendar, SlaPolicy

bp = staff_blueprint("sla", __name__)
_actor = page_actor


@bp.route("/sla-policies")
def policies():
    actor = _actor()
    return render_template("sla/policies.html", policies=admin.policies(actor), calendars=admin.calendars(actor),
                           can_edit=actor.is_admin, sla_clock=sla_clock)


@bp.route("/sla-policies/<int(max=2147483647):policy_id>/delete", methods=["POST"])
def delete_policy(policy_id: int):
    admin_actions.delete_policy(policy_id, _actor())
    flash(_("SLA policy deleted. Running clocks keep the targets they started with."), "success")
    return redirect(url_for("sla.policies"))


@bp.route("/sla-policies/new", methods=["GET", "POST"])
@bp.route("/sla-policies/<int(max=2147483647):policy_id>", methods=["GET", "POST"])
def edit_policy(policy_id: int | None = None):
    actor = _actor()
    if policy_id is None or request.method == "POST":
        admin.require_writer(actor)  # a blank form, or a save, only a refusal would follow
    policy = db.session.get(SlaPolicy, policy_id) if policy_id else None
    if policy_id and policy is None:
        return render_template("error.html", title=_("Not found."), message=_("No such SLA policy.")), 404
    form = PolicyForm(calendars=[c.name for c in admin.calendars(actor)], people=lookups.active_staff(),
                      teams=lookups.team_names())
    if request.method == "GET" and policy is not None:
        form.fill_from(policy)
    saved_steps = {step["level"]: step for step in (policy.escalation if policy else [])}
    other_steps = [step for level, step in saved_steps.items() if level not in (2, 3)]
    if form.validate_on_submit():
        data = form.policy_data()
        # The page edits part of levels 2 and 3; what it does not show (set through the API) stays.
        edited = [{"notify": "supervisors", **saved_steps.get(step["level"], {}), **step} for step in data["escalation"]]
        data["escalation"] = sorted(edited + other_steps, key=lambda step: step["level"])
        try:
            admin_actions.save_policy(data, actor, policy_id)
        except DomainError as err:
            refuse_if_forbidden(err)
            form.form_errors.append(err.message)
        else:
            flash(_("SLA policy saved."), "success")
            return redirect(url_for("sla.policies"))
    return render_template("sla/policy_form.html", form=form, policy=policy, other_steps=other_steps,
                           sla_clock=sla_clock), (
        400 if request.method == "POST" else 200)


@bp.route("/sla-calendars/new", methods=["GET", "POST"])
@bp.route("/sla-calendars/<int(max=2147483647):calendar_id>", methods=["GET", "POST"])
def edit_calendar(calendar_id: int | None = None):
    """Admins edit a business calendar; supervisors read it. Both see what the next days and
    the coming holidays look like on it."""
    actor = _actor()
    row = admin.calendar(actor, calendar_id) if calendar_id else None
    if calendar_id is None or request.method == "POST":
        admin.require_writer(actor)
    form = CalendarForm(countries=_countries())
    if request.method == "GET" and row is not None:
        form.fill_from(row)
    if request.method == "POST":
        admin.require_writer(actor)
        if form.validate_on_submit():
            try:
                admin_actions.save_calendar(CalendarIn().load(form.calendar_data()), actor, calendar_id)
            except ValidationError as err:  # the API's schema has the last word
                form.form_errors.extend(_flatten(err.messages))
            except DomainError as err:
                refuse_if_forbidden(err)
                form.form_errors.append(err.message)
            else:
                flash(_("Business calendar saved."), "success")
                return redirect(url_for("sla.policies"))
    status = 400 if request.method == "POST" else 200
    return render_template("sla/calendar_form.html", form=form, calendar=row, can_edit=actor.is_admin,
                           **(_preview(row) if row is not None else {})), status


def _countries() -> list[tuple[str, str]]:
    """Countries the holidays package knows, named in the page's language."""
    names = get_locale().territories
    return sorted(((code, f"{names.get(code, code)} ({code})") for code in holidays.list_supported_countries()),
                  key=lambda pair: pair[1])


def _preview(row: SlaCalendar) -> dict:
    calendar = calendar_of(row)
    today = datetime.now(timezone.utc).astimezone(ZoneInfo(row.tz)).date()
    language = "zh_CN" if str(get_locale()).startswith("zh") else "en_US"
    names = holiday_names(row.country, range(today.year, today.year + 2), language)
    closed = [date.fromisoformat(d) for d in row.extra_closed or []]
    opened = [date.fromisoformat(d) for d in row.extra_open or {}]
    return {"week": describe_days(calendar, names, closed, opened, today, 7),
            "exceptions": describe_days(calendar, names, closed, opened, today + timedelta(days=7), 365,
                                        exceptions_only=True),
            "format_hours": format_hours}


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flatten(value)]
    return [str(messages)]

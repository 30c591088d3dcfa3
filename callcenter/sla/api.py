"""/api/v1/sla-policies and /api/v1/sla-calendars (admins write; supervisors read)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import holidays
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ..actions import admin as admin_actions
from ..auth.api_auth import current_actor
from ..routing.schemas import RuleMatch
from ..schemas_common import Day, PageArgs, page_of, page_schema
from ..tickets.lifecycle import STATUSES
from . import admin
from .calendar import overlaps, parse_hours
from .calendars import never_open_stretch
from .models import DEFAULT_ESCALATION

blp = Blueprint("sla_api", __name__, url_prefix="/api/v1", description="SLA policies and business calendars.")


class Targets(Schema):
    first_response_seconds = fields.Integer(required=True, validate=validate.Range(1, 90 * 86400))
    next_response_seconds = fields.Integer(validate=validate.Range(1, 90 * 86400))
    resolution_seconds = fields.Integer(required=True, validate=validate.Range(1, 365 * 86400))
    final_response_seconds = fields.Integer(validate=validate.Range(1, 365 * 86400))


class EscalationStep(Schema):
    level = fields.Integer(required=True, validate=validate.Range(2, 9))
    after_seconds = fields.Integer(required=True, validate=validate.Range(0, 30 * 86400),
                                   metadata={"description": "business seconds after the breach"})
    notify = fields.String(validate=validate.OneOf(["assignee", "supervisors"]))
    raise_priority = fields.Boolean()
    reassign_to = fields.String(validate=validate.Regexp(r"^(supervisor|user:.+|team:.+)$"),
                                metadata={"description": "supervisor | user:EMAIL | team:NAME"})


class PolicyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    match = fields.Nested(RuleMatch, load_default=dict)
    calendar = fields.String(load_default="24x7", validate=validate.Length(1, 80))
    targets = fields.Nested(Targets, required=True)
    warn_at = fields.List(fields.Float(validate=validate.Range(0.01, 0.99)), load_default=lambda: [0.75, 0.9])
    pause_statuses = fields.List(fields.String(validate=validate.OneOf(STATUSES)),
                                 load_default=lambda: ["pending_customer"])
    escalation = fields.List(fields.Nested(EscalationStep), load_default=lambda: list(DEFAULT_ESCALATION))
    position = fields.Integer(load_default=100, validate=validate.Range(0, 100_000))
    active = fields.Boolean(load_default=True)


class PolicyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    match = fields.Dict()
    calendar = fields.String()
    targets = fields.Dict()
    warn_at = fields.List(fields.Float())
    pause_statuses = fields.List(fields.String())
    escalation = fields.List(fields.Dict())
    position = fields.Integer()
    active = fields.Boolean()


WeeklyHours = Schema.from_dict({str(d): fields.String(validate=validate.Length(max=200)) for d in range(7)},
                               name="WeeklyHours")


class CalendarIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 80))
    tz = fields.String(load_default="Asia/Shanghai")
    weekly = fields.Nested(WeeklyHours, required=True,
                           metadata={"description": 'weekday (0 = Monday) -> "09:00-12:00,13:00-18:00"'})
    country = fields.String(allow_none=True, validate=validate.Length(2, 8))
    extra_closed = fields.List(Day(), load_default=list, validate=validate.Length(max=2000))
    extra_open = fields.Dict(keys=Day(), values=fields.String(), load_default=dict, validate=validate.Length(max=2000))

    @validates("tz")
    def _tz(self, value, **_kw):
        try:
            ZoneInfo(value)
        except Exception:
            raise ValidationError("unknown time zone") from None

    @validates("weekly")
    def _weekly(self, value, **_kw):
        try:
            week = {int(day): parse_hours(hours) for day, hours in value.items()}
        except ValueError as err:
            raise ValidationError(str(err)) from None
        if not any(week.values()):
            raise ValidationError("at least one opening interval")
        problems = overlaps(week)
        if problems:
            raise ValidationError(problems)

    @validates("extra_open")
    def _extra_open(self, value, **_kw):
        try:
            for hours in value.values():
                parse_hours(hours)
        except ValueError as err:
            raise ValidationError(str(err)) from None

    @validates_schema
    def _opens(self, data, **_kw):
        """A calendar whose open hours are all closed dates would leave clocks never due: refused."""
        stretch = never_open_stretch(data)
        if stretch:
            start, days = stretch
            raise ValidationError(f"closed for {days} days in a row from {start.isoformat()}: clocks on it "
                                  f"would never fall due", "extra_closed")

    @validates("country")
    def _country(self, value, **_kw):
        if value and value.upper() not in holidays.list_supported_countries():
            raise ValidationError("not a country the holidays package knows")


class CalendarOut(Schema):
    id = fields.Integer()
    name = fields.String()
    tz = fields.String()
    weekly = fields.Dict()
    country = fields.String(allow_none=True)
    extra_closed = fields.List(fields.String())
    extra_open = fields.Dict()


@blp.route("/sla-policies")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(PolicyOut, "SlaPolicyPage"))
def list_policies(args):
    """SLA policies by position; the first that matches a new ticket applies."""
    return page_of(admin.policies(current_actor()), args["page"], args["per_page"])


@blp.route("/sla-policies", methods=["POST"])
@blp.arguments(PolicyIn)
@blp.response(201, PolicyOut)
def create_policy(data):
    """Add a policy (admins). It applies to tickets created afterwards."""
    return admin_actions.save_policy(data, current_actor())


@blp.route("/sla-policies/<int(max=2147483647):policy_id>", methods=["PUT"])
@blp.arguments(PolicyIn)
@blp.response(200, PolicyOut)
def replace_policy(data, policy_id):
    """Replace a policy (admins)."""
    return admin_actions.save_policy(data, current_actor(), policy_id)


@blp.route("/sla-policies/<int(max=2147483647):policy_id>", methods=["DELETE"])
@blp.response(204)
def delete_policy(policy_id):
    """Delete a policy (admins); or set `active` false to keep it switched off."""
    admin_actions.delete_policy(policy_id, current_actor())


@blp.route("/sla-calendars")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CalendarOut, "SlaCalendarPage"))
def list_calendars(args):
    """Business calendars policies can run on (besides 24x7)."""
    return page_of(admin.calendars(current_actor()), args["page"], args["per_page"])


@blp.route("/sla-calendars", methods=["POST"])
@blp.arguments(CalendarIn)
@blp.response(201, CalendarOut)
def create_calendar(data):
    """Add a business calendar (admins)."""
    return admin_actions.save_calendar(data, current_actor())


@blp.route("/sla-calendars/<int(max=2147483647):calendar_id>")
@blp.response(200, CalendarOut)
def get_calendar(calendar_id):
    """One business calendar."""
    return admin.calendar(current_actor(), calendar_id)


@blp.route("/sla-calendars/<int(max=2147483647):calendar_id>", methods=["PUT"])
@blp.arguments(CalendarIn)
@blp.response(200, CalendarOut)
def replace_calendar(data, calendar_id):
    """Replace a business calendar (admins). Open tickets on it get new due times; a rename
    carries over to the policies and clocks that use it."""
    return admin_actions.save_calendar(data, current_actor(), calendar_id)

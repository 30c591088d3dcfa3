"""/api/v1/sla-policies and /api/v1/sla-calendars (admins write; supervisors read)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select

from ..auth.api_auth import current_actor
from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..routing.schemas import RuleMatch
from ..schemas_common import PageArgs, page_of, page_schema
from ..tickets.lifecycle import STATUSES
from .calendar import parse_hours
from .models import DEFAULT_ESCALATION, SlaCalendar, SlaPolicy

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


class CalendarIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 80))
    tz = fields.String(load_default="Asia/Shanghai")
    weekly = fields.Dict(keys=fields.String(validate=validate.OneOf([str(d) for d in range(7)])),
                         values=fields.String(), required=True,
                         metadata={"description": 'weekday (0 = Monday) -> "09:00-12:00,13:00-18:00"'})
    country = fields.String(allow_none=True, validate=validate.Length(2, 8))
    extra_closed = fields.List(fields.Date(), load_default=list)
    extra_open = fields.Dict(keys=fields.Date(), values=fields.String(), load_default=dict)

    @validates("tz")
    def _tz(self, value, **_kw):
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except Exception:
            raise ValidationError("unknown time zone") from None

    @validates("weekly")
    def _weekly(self, value, **_kw):
        try:
            for hours in value.values():
                parse_hours(hours)
        except ValueError as err:
            raise ValidationError(str(err)) from None


class CalendarOut(Schema):
    id = fields.Integer()
    name = fields.String()
    tz = fields.String()
    weekly = fields.Dict()
    country = fields.String(allow_none=True)
    extra_closed = fields.List(fields.String())
    extra_open = fields.Dict()


def _reader():
    actor = current_actor()
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins see SLA settings."))


def _writer():
    if not current_actor().is_admin:
        raise Forbidden(_("Only admins change SLA settings."))


@blp.route("/sla-policies")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(PolicyOut, "SlaPolicyPage"))
def list_policies(args):
    """SLA policies by position; the first that matches a new ticket applies."""
    _reader()
    rows = db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)).all()
    return page_of(rows, args["page"], args["per_page"])


@blp.route("/sla-policies", methods=["POST"])
@blp.arguments(PolicyIn)
@blp.response(201, PolicyOut)
def create_policy(data):
    """Add a policy (admins). It applies to tickets created afterwards."""
    _writer()
    if data["calendar"] != "24x7" and not db.session.scalar(select(SlaCalendar.id).where(
            SlaCalendar.name == data["calendar"])):
        raise ValidationFailed(_("No business calendar with that name."), {"fields": {"calendar": ["unknown"]}})
    policy = SlaPolicy(**{**data, "match": {k: v for k, v in data["match"].items() if v not in (None, "", [])}})
    db.session.add(policy)
    db.session.commit()
    return policy


@blp.route("/sla-calendars")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CalendarOut, "SlaCalendarPage"))
def list_calendars(args):
    """Business calendars policies can run on (besides 24x7)."""
    _reader()
    return page_of(db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)).all(), args["page"],
                   args["per_page"])


@blp.route("/sla-calendars", methods=["POST"])
@blp.arguments(CalendarIn)
@blp.response(201, CalendarOut)
def create_calendar(data):
    """Add a business calendar (admins)."""
    _writer()
    if data["name"] == "24x7" or db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == data["name"])):
        raise ValidationFailed(_("A calendar with that name exists already."), {"fields": {"name": ["taken"]}})
    row = SlaCalendar(name=data["name"], tz=data["tz"], weekly=data["weekly"], country=data.get("country"),
                      extra_closed=[d.isoformat() for d in data["extra_closed"]],
                      extra_open={d.isoformat(): h for d, h in data["extra_open"].items()})
    db.session.add(row)
    db.session.commit()
    return row

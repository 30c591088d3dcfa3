"""The follow-ups API's shapes: callbacks and revisits as integrators read them, the tries they
record, and the follow-up policy."""
from __future__ import annotations

from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ..schemas_common import Id, Instant, PageArgs
from . import timing
from .models import FollowUpStatus, Outcome

OUTCOMES = [o.value for o in Outcome]
STATUSES = [s.value for s in FollowUpStatus]


class AttemptOut(Schema):
    number = fields.Integer()
    outcome = fields.Function(lambda a: a.outcome.value)
    note = fields.String(allow_none=True)
    agent = fields.Function(lambda a: {"id": a.agent_id, "name": a.agent_name} if a.agent_id else None)
    created_at = fields.DateTime(format="iso")
    next_attempt_at = fields.DateTime(format="iso", allow_none=True)
    solved = fields.Boolean(allow_none=True)
    score = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    may_contact_again = fields.Boolean(allow_none=True)


class FollowUpOut(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda f: f.kind.value)
    status = fields.Function(lambda f: f.status.value)
    ticket_id = fields.Integer(allow_none=True)
    assignee = fields.Function(lambda f: {"id": f.assignee.id, "name": f.assignee.name} if f.assignee else None,
                               metadata={"type": "object", "nullable": True})
    attempts = fields.List(fields.Nested(AttemptOut))
    next_attempt_at = fields.DateTime(format="iso", allow_none=True)
    window_start = fields.DateTime(format="iso")
    window_end = fields.DateTime(format="iso")
    due_at = fields.Function(lambda f: f.window_end.isoformat(), metadata={
        "type": "string", "format": "date-time", "description": "by when it is to be made (the window's end)"})
    phone = fields.String()
    name = fields.String()
    language = fields.String()
    note = fields.String(allow_none=True)
    round = fields.Integer()
    outcome = fields.String(allow_none=True)
    waiting_reason = fields.String(allow_none=True)
    requested_by = fields.String()
    created_at = fields.DateTime(format="iso")
    closed_at = fields.DateTime(format="iso", allow_none=True)


class CallbackIn(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=3, max=40))
    name = fields.String(load_default="", validate=validate.Length(max=120))
    window_start = Instant(required=True)
    window_end = Instant(required=True)
    ticket_id = Id(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["zh", "en"]))


class AttemptIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RevisitAttemptIn(AttemptIn):
    solved = fields.Boolean(load_default=None, allow_none=True)
    score = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    may_contact_again = fields.Boolean(load_default=None, allow_none=True)

    @validates_schema
    def answers_need_a_reached_customer(self, data, **_kwargs):
        answered = [k for k in ("solved", "score", "comment", "may_contact_again") if data.get(k) is not None]
        if answered and data.get("outcome") != "reached":
            raise ValidationError("only when the customer was reached", field_name=answered[0])


class FollowUpListArgs(PageArgs):
    ticket_id = Id(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    mine = fields.Boolean(load_default=False)


class SlotArgs(Schema):
    phone = fields.String(load_default=None, validate=validate.Length(max=40))
    ticket_id = Id(load_default=None)
    count = fields.Integer(load_default=12, validate=validate.Range(1, 48))


class SlotOut(Schema):
    window_start = fields.DateTime(format="iso")
    window_end = fields.DateTime(format="iso")


class SlotList(Schema):
    items = fields.List(fields.Nested(SlotOut))


MATCH_KEYS = ("kind", "tier", "category", "channel", "priority")


class RevisitRule(Schema):
    match = fields.Dict(keys=fields.String(validate=validate.OneOf(MATCH_KEYS)), load_default=dict)
    after_seconds = fields.Integer(load_default=0, validate=validate.Range(0, 30 * 86400))
    sample = fields.Float(load_default=1.0, validate=validate.Range(0.0, 1.0))

    @validates("match")
    def plain_values(self, value, **_kwargs):
        for key, wanted in value.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values or not all(isinstance(v, str) and 0 < len(v) <= 50 for v in values):
                raise ValidationError(f"{key}: a value or a list of values")


class PolicySchema(Schema):
    """The follow-up policy. On PUT every field is optional: what is given changes."""
    calendar = fields.String(validate=validate.Length(min=1, max=80))
    tz = fields.String(validate=validate.Length(min=1, max=64))
    quiet_hours = fields.String(validate=validate.Length(max=60))
    retry_schedule = fields.List(fields.String(validate=validate.Length(max=20)), validate=validate.Length(1, 10))
    max_attempts = fields.Integer(validate=validate.Range(1, 10))
    callback_skill = fields.String(allow_none=True, validate=validate.Length(max=50))
    slot_minutes = fields.Integer(validate=validate.Range(15, 240))
    warn_before_seconds = fields.Integer(validate=validate.Range(0, 86400))
    revisit_rules = fields.List(fields.Nested(RevisitRule), validate=validate.Length(max=20))
    revisit_window_seconds = fields.Integer(validate=validate.Range(3600, 30 * 86400))
    survey_expiry_days = fields.Integer(validate=validate.Range(1, 90))
    survey_reminder_days = fields.Integer(validate=validate.Range(1, 30))
    survey_per_customer_days = fields.Integer(validate=validate.Range(0, 365))
    auto_close_days = fields.Integer(validate=validate.Range(1, 90))

    @validates("retry_schedule")
    def steps_read(self, value, **_kwargs):
        try:
            timing.parse_schedule(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @validates("quiet_hours")
    def hours_read(self, value, **_kwargs):
        try:
            timing.parse_quiet_hours(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @validates("tz")
    def known_zone(self, value, **_kwargs):
        if value not in available_timezones():
            raise ValidationError("an IANA time zone, like Asia/Shanghai")


"""What the routing API reads and writes."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from ..schemas_common import PageArgs, PersonRef  # noqa: F401
from ..tickets.schemas import CHANNELS, KINDS, LANGUAGES, PRIORITIES, SkillMap

TIERS = ["VIP", "A", "B", "C"]


def _one_or_many(choices):
    def check(value):
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in choices]
        if bad or not values:
            raise ValidationError(f"use one or a list of {choices}")
    return check


def _one_or_many_doc(choices) -> dict:
    """How the OpenAPI document shows a value that is one of choices, or a list of them."""
    one = {"type": "string", "enum": list(choices)}
    return {"oneOf": [one, {"type": "array", "items": one, "minItems": 1}]}


class RuleMatch(Schema):
    kind = fields.Raw(validate=_one_or_many(KINDS), metadata=_one_or_many_doc(KINDS))
    category = fields.Raw(metadata={"oneOf": [{"type": "string", "minLength": 1},
                                              {"type": "array", "items": {"type": "string", "minLength": 1},
                                               "minItems": 1}],
                                    "description": "category codes (GET /api/v1/categories)"})
    channel = fields.Raw(validate=_one_or_many(CHANNELS), metadata=_one_or_many_doc(CHANNELS))
    tier = fields.Raw(validate=_one_or_many(TIERS), metadata=_one_or_many_doc(TIERS))
    language = fields.Raw(validate=_one_or_many(LANGUAGES), metadata=_one_or_many_doc(LANGUAGES))
    priority = fields.Raw(validate=_one_or_many(PRIORITIES), metadata=_one_or_many_doc(PRIORITIES))
    keywords = fields.List(fields.String(validate=validate.Length(1, 100)), validate=validate.Length(min=1))

    @validates("category")
    def _category(self, value, **_kw):
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v for v in values):
            raise ValidationError("a category code or a list of them")


class RuleIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    match = fields.Nested(RuleMatch, load_default=dict)
    skills = SkillMap
    team = fields.String(allow_none=True, validate=validate.Length(max=80))
    priority = fields.String(allow_none=True, validate=validate.OneOf(PRIORITIES))
    position = fields.Integer(load_default=100, validate=validate.Range(0, 100_000))
    active = fields.Boolean(load_default=True)


class RuleOut(Schema):
    id = fields.Integer()
    name = fields.String()
    match = fields.Dict()
    skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    team = fields.Function(lambda r: r.team.name if r.team else None)
    priority = fields.String(allow_none=True)
    position = fields.Integer()
    active = fields.Boolean()
    updated_at = fields.DateTime(format="iso")


class QueueItem(Schema):
    ticket_id = fields.Integer()
    reference = fields.String()
    subject = fields.String()
    priority = fields.String()
    tier = fields.String()
    team = fields.String(allow_none=True)
    required_skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    language = fields.String(allow_none=True)
    wait_seconds = fields.Integer()
    score = fields.Float()
    widening = fields.Integer()
    handed_back = fields.Boolean()
    waiting_reason = fields.String(allow_none=True)
    waiting_reason_text = fields.String()


class QueueOut(Schema):
    items = fields.List(fields.Nested(QueueItem))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    oldest_wait_seconds = fields.Integer()

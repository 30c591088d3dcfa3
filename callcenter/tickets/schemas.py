"""What the ticket API reads and writes. Validation lives here, not in the views."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import g
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from ..customers.normalise import is_phone
from ..schemas_common import Id, Instant, PageArgs, PersonRef
from ..sla.summaries import clock_summaries_by_ticket
from . import lifecycle
from .models import Channel, Kind, Priority, Severity

KINDS = [k.value for k in Kind]
CHANNELS = [c.value for c in Channel]
PRIORITIES = [p.value for p in Priority]
SEVERITIES = [s.value for s in Severity]
LANGUAGES = ["zh", "en"]
SkillMap = fields.Dict(keys=fields.String(validate=validate.Length(1, 50)),
                       values=fields.Integer(validate=validate.Range(1, 5)))


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def _trimmed(min_len: int, max_len: int) -> list:
    # A list rather than validate.And, so the OpenAPI document shows minLength and maxLength.
    return [validate.Length(min=min_len, max=max_len), _not_blank]


class CustomerIn(Schema):
    name = fields.String(required=True, validate=_trimmed(1, 120))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    id = Id(strict=True, metadata={
        "description": "link this customer record (staff and integrations); else the record holding the "
                       "phone or email is linked, or a new one recorded"})
    new = fields.Boolean(load_default=False, metadata={
        "description": "record a new customer even if another record holds this phone or email"})

    @validates("phone")
    def _phone(self, value, **_kw):
        if value and not is_phone(value):
            raise ValidationError("not a phone number")

    @validates_schema
    def _contact(self, data, **_kw):
        if not data.get("phone") and not data.get("email"):
            raise ValidationError("give a phone number or an email", "phone")


MAX_PROMISES = 20  # on one new ticket
PROMISE_HORIZON = timedelta(days=5 * 366)


class PromiseIn(Schema):
    description = fields.String(required=True, validate=_trimmed(1, 500))
    due_at = Instant(required=True, metadata={"description": "in the future, within five years"})

    @validates("due_at")
    def _due(self, value, **_kw):
        now = datetime.now(timezone.utc)
        if value <= now:
            raise ValidationError("must be in the future")
        if value > now + PROMISE_HORIZON:
            raise ValidationError("more than five years ahead")


class TicketCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    channel = fields.String(load_default="api", validate=validate.OneOf(CHANNELS))
    subject = fields.String(required=True, validate=_trimmed(1, 200))
    description = fields.String(required=True, validate=_trimmed(1, 20000))
    category = fields.String(allow_none=True, validate=validate.Length(max=50), metadata={
        "description": "a code from GET /api/v1/categories (else 422)"})
    priority = fields.String(allow_none=True, validate=validate.OneOf(PRIORITIES))
    severity = fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES))
    language = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES))
    required_skills = SkillMap
    customer = fields.Nested(CustomerIn, required=True)
    promises = fields.List(fields.Nested(PromiseIn), validate=validate.Length(max=MAX_PROMISES))


class TicketPatch(Schema):
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    severity = fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES))
    category = fields.String(allow_none=True, validate=validate.Length(max=50))
    subject = fields.String(validate=_trimmed(1, 200))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    required_skills = SkillMap
    resolution_summary = fields.String(allow_none=True, validate=validate.Length(max=10000))
    root_cause = fields.String(allow_none=True, validate=validate.Length(max=10000))
    responsible_department = fields.String(allow_none=True, validate=validate.Length(max=120))


class ResolutionIn(Schema):
    summary = fields.String(validate=validate.Length(max=10000))
    root_cause = fields.String(validate=validate.Length(max=10000))
    department = fields.String(validate=validate.Length(max=120))

    def as_fields(self, data: dict) -> dict:
        return {"resolution_summary": data.get("summary"), "root_cause": data.get("root_cause"),
                "responsible_department": data.get("department")}


class TransitionIn(Schema):
    to = fields.String(required=True, validate=validate.OneOf(lifecycle.STATUSES))
    reason = fields.String(allow_none=True, validate=validate.Length(max=1000))
    resolution = fields.Nested(ResolutionIn)


class MessageIn(Schema):
    body = fields.String(required=True, validate=_trimmed(1, 20000))
    internal = fields.Boolean(load_default=False)
    seen_event_id = Id(load_default=None, strict=True, metadata={
        "description": "the last event id (GET .../events) the author had read: if others wrote or "
                       "changed the status since, 409 ticket_changed with the changes in details"})


class AssignIn(Schema):
    agent_id = Id(required=True, strict=True)
    override = fields.Boolean(load_default=False, metadata={
        "description": "supervisors only: assign even though the agent is at capacity"})
    pin = fields.Boolean(load_default=False, metadata={
        "description": "supervisors only: routing never moves the ticket from this agent"})


class PromiseSettleIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["kept", "cancelled"]))


class TicketListArgs(PageArgs):
    status = fields.String(metadata={"description": "one status or several, comma-separated"})
    assignee_id = Id()
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    category = fields.String(validate=validate.Length(max=40), metadata={"description": "a category code"})
    team = fields.String()
    customer_id = Id()
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "text in reference, subject, description or customer"})

    @validates("status")
    def _status(self, value, **_kw):
        unknown = [s for s in value.split(",") if s and s not in lifecycle.STATUSES]
        if unknown:
            raise ValidationError(f"unknown status {unknown}; use {list(lifecycle.STATUSES)}")


class CustomerRef(Schema):
    id = fields.Integer()
    name = fields.String()
    tier = fields.Function(lambda c: c.tier.value)


def _customer(ticket) -> dict:
    """The linked record; a ticket not yet linked (an unconfirmed web submission) shows its contact."""
    if ticket.customer is None:
        return {"id": None, "name": ticket.contact_name, "tier": "C"}
    return {"id": ticket.customer.id, "name": ticket.customer.name, "tier": ticket.customer.tier.value}


class ContactOut(Schema):
    name = fields.String(attribute="contact_name")
    phone = fields.String(attribute="contact_phone", allow_none=True)
    email = fields.String(attribute="contact_email", allow_none=True)


class PromiseOut(Schema):
    id = fields.Integer()
    description = fields.String()
    due_at = fields.DateTime(format="iso")
    status = fields.Function(lambda p: p.status.value)
    settled_at = fields.DateTime(format="iso", allow_none=True)


class SlaOut(Schema):
    first_response_due_at = fields.DateTime(format="iso", allow_none=True)
    resolution_due_at = fields.DateTime(format="iso", allow_none=True)
    state = fields.String(allow_none=True)


def preload_sla(tickets) -> None:
    """Read the SLA clocks of tickets about to be dumped (a page of a list) in one query rather
    than one per ticket; _sla uses them for the rest of the request."""
    g.sla_clocks = {**g.get("sla_clocks", {}), **clock_summaries_by_ticket(tickets)}


def _sla(ticket) -> dict:
    # The worst state of the ticket's clocks ("none" when no SLA policy applied), and each clock.

    preloaded = g.get("sla_clocks", {})
    summaries = vars(ticket).pop("clock_summaries", None)  # made with the ticket, for its creation's answer only
    if summaries is None:
        summaries = preloaded[ticket.id] if ticket.id in preloaded else clock_summaries_by_ticket([ticket])[ticket.id]
    fmt = fields.DateTime(format="iso")
    clocks = [{**c, "due_at": fmt._serialize(c["due_at"], None, None)} for c in summaries]
    return {"first_response_due_at": fmt._serialize(ticket.first_response_due_at, None, None),
            "resolution_due_at": fmt._serialize(ticket.resolution_due_at, None, None),
            "state": ticket.sla_state or "none", "clocks": clocks}


class TicketOut(Schema):
    id = fields.Integer()
    reference = fields.String()
    kind = fields.Function(lambda t: t.kind.value)
    channel = fields.Function(lambda t: t.channel.value)
    status = fields.Function(lambda t: t.status.value)
    priority = fields.Function(lambda t: t.priority.value)
    severity = fields.Function(lambda t: t.severity.value if t.severity else None)
    category = fields.String(attribute="category_code", allow_none=True)
    subject = fields.String()
    description = fields.String()
    language = fields.String()
    required_skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    customer = fields.Function(_customer, metadata={"type": "object", "description": "id null until linked"})
    customer_verified = fields.Boolean(metadata={
        "description": "linked by staff or an integration, or confirmed by staff: the record's tier counts"})
    contact = fields.Function(lambda t: ContactOut().dump(t), metadata={
        "type": "object", "description": "the contact given with this ticket: messages go there"})
    assignee = fields.Nested(PersonRef, allow_none=True)
    team = fields.Function(lambda t: t.team.name if t.team else None)
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    assigned_at = fields.DateTime(format="iso", allow_none=True)
    first_response_at = fields.DateTime(format="iso", allow_none=True)
    resolved_at = fields.DateTime(format="iso", allow_none=True)
    closed_at = fields.DateTime(format="iso", allow_none=True)
    cancelled_at = fields.DateTime(format="iso", allow_none=True)
    reopen_count = fields.Integer()
    pinned = fields.Boolean()
    resolution = fields.Function(lambda t: {"summary": t.resolution_summary, "root_cause": t.root_cause,
                                            "department": t.responsible_department})
    promises = fields.List(fields.Nested(PromiseOut))
    allowed_transitions = fields.Function(lambda t: list(lifecycle.allowed_transitions(t.status.value)))
    sla = fields.Function(_sla, metadata={"type": "object"})


class CustomerMatchOut(Schema):
    id = fields.Integer()
    customer = fields.Nested(CustomerRef)
    matched_on = fields.List(fields.String())
    status = fields.Function(lambda m: m.status.value)
    created_at = fields.DateTime(format="iso")


class MatchDecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["confirm", "reject"]))


class MessageOut(Schema):
    id = fields.Integer()
    author_kind = fields.Function(lambda m: m.author_kind.value)
    author_name = fields.String()
    body = fields.String()
    internal = fields.Boolean()
    created_at = fields.DateTime(format="iso")


class EventOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    actor = fields.Function(lambda e: {"kind": e.actor_kind.value, "id": e.actor_user_id, "name": e.actor_name})
    field = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    data = fields.Dict()
    created_at = fields.DateTime(format="iso")

"""/api/v1/kpi: figures for wallboards and integrators (supervisors and admins)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth.api_auth import current_actor
from ..db_types import utcnow
from ..errors import ValidationFailed
from ..schemas_common import Instant
from . import formulas, queries
from . import summary as figures

blp = Blueprint("kpi_api", __name__, url_prefix="/api/v1/kpi", description="Figures for wallboards.")


def service_level_rules() -> formulas.ServiceLevelRules:
    return formulas.rules_from(current_app.config)


def period(args: dict) -> tuple:
    """[from, to): to defaults to now, from to 30 days before to."""
    end = args.get("end") or utcnow()
    start = args.get("start") or end - timedelta(days=30)
    if start >= end:
        raise ValidationFailed(_("The period must end after it starts."), {"fields": {"from": ["after to"]}})
    return start, end


class BoardArgs(Schema):
    team = fields.String(metadata={"description": "only this team's tickets"})


class AtRisk(Schema):
    ticket_id = fields.Integer()
    reference = fields.String()
    subject = fields.String()
    priority = fields.String()
    status = fields.String()
    team = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    clock = fields.String()
    promise = fields.String(allow_none=True, dump_default=None,
                            metadata={"description": "what was promised, when the clock is a promise's"})
    state = fields.String(metadata={"description": "warning | breached"})
    due_at = fields.DateTime(format="iso", allow_none=True)
    remaining_seconds = fields.Integer(metadata={"description": "business seconds left; negative when overdue"})
    percent_used = fields.Float()


class SlaBoard(Schema):
    generated_at = fields.DateTime(format="iso")
    team = fields.String(allow_none=True)
    open = fields.Integer(metadata={"description": "open tickets"})
    states = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "open tickets by the worst state of their clocks"})
    without_sla = fields.Integer()
    at_risk_share = fields.Float(allow_none=True)
    at_risk = fields.List(fields.Nested(AtRisk))
    today = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "warnings and breaches fired since local midnight"})
    queue = fields.Dict(keys=fields.String(), values=fields.Integer())


class PeriodArgs(BoardArgs):
    start = Instant(data_key="from", metadata={"description": "default: 30 days before `to`"})
    end = Instant(data_key="to", metadata={"description": "default: now"})


class FilteredPeriodArgs(PeriodArgs):
    """A period and the filters of the summary (kpi/summary.Filters says which tickets each keeps)."""

    agent = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                           metadata={"description": "a user id: the tickets whose assignee is that agent now"})
    category = fields.String(validate=validate.Length(max=50), metadata={"description": "a category code"})
    channel = fields.String(validate=validate.OneOf(figures.CHANNELS))
    kind = fields.String(validate=validate.OneOf(figures.KINDS))
    tier = fields.String(validate=validate.OneOf(figures.TIERS),
                         metadata={"description": "the tier the ticket is served at (unverified links: C)"})


FILTERS = ("agent", "category", "channel", "kind", "tier")


def filters_of(args: dict) -> dict:
    return {name: args.get(name) for name in FILTERS}


class FollowUpFigures(Schema):
    start = fields.DateTime(format="iso", data_key="from")
    end = fields.DateTime(format="iso", data_key="to")
    team = fields.String(allow_none=True)
    surveys_answered = fields.Integer()
    csat_avg = fields.Float(allow_none=True, metadata={"description": "mean CSAT 1-5 of the answers in the period"})
    nps = fields.Float(allow_none=True, metadata={"description": "promoters minus detractors, -100 to 100"})
    callbacks_reached = fields.Integer()
    callbacks_unreachable = fields.Integer()
    callback_success_rate = fields.Float(allow_none=True)


@blp.route("/followups")
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, FollowUpFigures)
def followup_figures(args):
    """Satisfaction (CSAT, NPS) and callback success over a period (supervisors and admins)."""
    start, end = period(args)
    return figures.followup_figures(current_actor(), start, end, team=args.get("team"))


@blp.route("/sla-board")
@blp.arguments(BoardArgs, location="query")
@blp.response(200, SlaBoard)
def sla_board(args):
    """Open tickets by SLA state and the ones at risk, worst first, as the wallboard shows them."""
    return queries.sla_board(current_actor(), utcnow(), current_app.config["DISPLAY_TIMEZONE"], team=args.get("team"))


class RatioOut(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "numerator / denominator; null when nothing counts"})
    numerator = fields.Float()
    denominator = fields.Float()


class AgentStates(Schema):
    available = fields.Integer(metadata={"description": "available with a free seat (not on a callback)"})
    busy = fields.Integer(metadata={"description": "available, every seat taken (not on a callback)"})
    on_callback = fields.Integer(metadata={"description": "available, holding a callback or revisit to make"})
    away = fields.Integer()
    offline = fields.Integer()


class QueueNow(Schema):
    waiting = fields.Integer(metadata={"description": "tickets waiting for an agent now"})
    oldest_wait_seconds = fields.Integer()


class Rules(Schema):
    threshold_seconds = fields.Integer()
    count_abandons = fields.Boolean()
    short_abandon_seconds = fields.Integer()
    count_short_abandons = fields.Boolean()


_DEFINED = "defined in docs/KPIS.md"


class Summary(Schema):
    start = fields.DateTime(format="iso", data_key="from")
    end = fields.DateTime(format="iso", data_key="to")
    generated_at = fields.DateTime(format="iso")
    team = fields.String(allow_none=True)
    filters = fields.Dict(keys=fields.String(), metadata={"description": "the filters given, team included"})
    service_level = fields.Float(allow_none=True, metadata={"description": "answered within the threshold, " + _DEFINED})
    asa_seconds = fields.Float(allow_none=True, metadata={"description": "average speed of answer"})
    aht_seconds = fields.Float(allow_none=True, metadata={"description": "average handle time"})
    fcr_rate = fields.Float(allow_none=True, metadata={"description": "first contact resolution"})
    abandonment_rate = fields.Float(allow_none=True)
    backlog = fields.Integer(metadata={"description": "open tickets now"})
    sla_breach_rate = fields.Float(allow_none=True)
    reopen_rate = fields.Float(allow_none=True)
    csat_avg = fields.Float(allow_none=True)
    nps = fields.Float(allow_none=True)
    callback_success_rate = fields.Float(allow_none=True)
    revisit_satisfaction = fields.Float(allow_none=True, metadata={"description": "mean score (1-5) of revisits that reached the customer"})
    revisit_solved_rate = fields.Float(allow_none=True, metadata={"description": "share of reached revisits where the customer said solved"})
    sla_compliance = fields.Dict(keys=fields.String(), values=fields.Nested(RatioOut),
                                 metadata={"description": "per clock: met in time / decided in the period"})
    agents = fields.Nested(AgentStates)
    queue = fields.Nested(QueueNow)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "the counts the figures are made of"})
    rules = fields.Nested(Rules)
    metrics = fields.Dict(keys=fields.String(), values=fields.Nested(RatioOut),
                          metadata={"description": "each figure with its numerator and denominator"})


@blp.route("/summary")
@blp.arguments(FilteredPeriodArgs, location="query")
@blp.response(200, Summary)
def summary(args):
    """Every figure of a period [from, to) (default: the last 30 days), for the tickets the filters
    keep (team, agent, category, channel, kind, tier; none: everybody's); backlog, agents and queue
    as they stand now (supervisors and admins)."""
    start, end = period(args)
    return figures.summary(current_actor(), start, end, utcnow(), service_level_rules(), team=args.get("team"),
                           **filters_of(args))


class MetricOut(RatioOut):
    metric = fields.String()
    start = fields.DateTime(format="iso", data_key="from")
    end = fields.DateTime(format="iso", data_key="to")
    team = fields.String(allow_none=True)
    filters = fields.Dict(keys=fields.String(), metadata={"description": "the filters given, team included"})


@blp.route("/metrics/<string:name>")
@blp.arguments(FilteredPeriodArgs, location="query")
@blp.response(200, MetricOut)
def metric(args, name):
    """One figure of a period with its numerator and denominator: the same number the summary,
    the wallboard and the report show for the same filters."""
    if name not in figures.METRICS:
        raise ValidationFailed(_("No such figure."), {"fields": {"name": ["one of " + ", ".join(figures.METRICS)]}},
                               code="unknown_metric")
    start, end = period(args)
    out = figures.summary(current_actor(), start, end, utcnow(), service_level_rules(), team=args.get("team"),
                          **filters_of(args))
    return {"metric": name, "start": start, "end": end, "team": args.get("team"), "filters": out["filters"],
            **out["metrics"][name]}


class StaffingArgs(Schema):
    arrivals = fields.Float(required=True, validate=validate.Range(min=0, max=1_000_000),
                            metadata={"description": "contacts arriving in the interval"})
    interval_seconds = fields.Integer(load_default=1800, validate=validate.Range(min=60, max=86400))
    aht_seconds = fields.Float(required=True, validate=validate.Range(min=1, max=86400 * 7))
    target_seconds = fields.Float(load_default=20, validate=validate.Range(min=0, max=86400))
    service_level = fields.Float(load_default=0.8, validate=validate.Range(min=0.01, max=0.9999))
    shrinkage = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=0.95))
    max_occupancy = fields.Float(load_default=1.0, validate=validate.Range(min=0.05, max=1))


class StaffingOut(Schema):
    traffic_erlangs = fields.Float(metadata={"description": "A = arrivals / interval x AHT"})
    agents = fields.Integer(metadata={"description": "the fewest agents on the phones that reach the goal"})
    scheduled_agents = fields.Integer(metadata={"description": "agents to schedule once shrinkage is taken"})
    service_level = fields.Float(metadata={"description": "the service level those agents reach"})
    asa_seconds = fields.Float()
    occupancy = fields.Float()
    waiting_probability = fields.Float(metadata={"description": "Erlang C: the chance a contact waits"})


@blp.route("/staffing")
@blp.arguments(StaffingArgs, location="query")
@blp.response(200, StaffingOut)
def staffing(args):
    """Erlang C: the agents needed for a service-level goal, for numbers the caller chooses."""
    queries.require_supervisor(current_actor())
    try:
        return formulas.staffing(args["arrivals"], args["interval_seconds"], args["aht_seconds"],
                                 args["target_seconds"], args["service_level"], args["shrinkage"],
                                 args["max_occupancy"])
    except ValueError:
        raise ValidationFailed(_("These numbers need more than 100,000 agents: check the arrivals and the handle time."),
                               {"fields": {"arrivals": ["too many"]}}) from None

"""/api/v1/kpi: figures for wallboards and integrators (supervisors and admins)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.api_auth import current_actor
from ..db_types import utcnow
from ..errors import ValidationFailed
from ..schemas_common import Instant
from . import queries

blp = Blueprint("kpi_api", __name__, url_prefix="/api/v1/kpi", description="Figures for wallboards.")


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
    end = args.get("end") or utcnow()
    start = args.get("start") or end - timedelta(days=30)
    if start >= end:
        raise ValidationFailed(_("The period must end after it starts."), {"fields": {"from": ["after to"]}})
    return queries.followup_figures(current_actor(), start, end, team=args.get("team"))


@blp.route("/sla-board")
@blp.arguments(BoardArgs, location="query")
@blp.response(200, SlaBoard)
def sla_board(args):
    """Open tickets by SLA state and the ones at risk, worst first, as the wallboard shows them."""
    return queries.sla_board(current_actor(), utcnow(), current_app.config["DISPLAY_TIMEZONE"], team=args.get("team"))

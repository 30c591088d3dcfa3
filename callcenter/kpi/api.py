"""/api/v1/kpi: figures for wallboards and integrators (supervisors and admins)."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.api_auth import current_actor
from ..db_types import utcnow
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


@blp.route("/sla-board")
@blp.arguments(BoardArgs, location="query")
@blp.response(200, SlaBoard)
def sla_board(args):
    """Open tickets by SLA state and the ones at risk, worst first, as the wallboard shows them."""
    return queries.sla_board(current_actor(), utcnow(), current_app.config["DISPLAY_TIMEZONE"], team=args.get("team"))

"""/api/v1/routing-rules and /api/v1/queue"""
from __future__ import annotations

from flask_smorest import Blueprint

from ..actions import admin as admin_actions
from ..auth.api_auth import current_actor
from ..schemas_common import PageArgs, page_of, page_schema
from . import admin
from .schemas import QueueOut, RuleIn, RuleOut

blp = Blueprint("routing_api", __name__, url_prefix="/api/v1", description="Routing rules and the waiting queue.")


@blp.route("/routing-rules")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(RuleOut, "RoutingRulePage"))
def list_rules(args):
    """Routing rules by position (the first match wins)."""
    return page_of(admin.list_rules(current_actor()), args["page"], args["per_page"])


@blp.route("/routing-rules", methods=["POST"])
@blp.arguments(RuleIn)
@blp.response(201, RuleOut)
def create_rule(data):
    """Add a rule (admins). It applies to tickets created afterwards."""
    return admin_actions.save_rule(data, current_actor())


@blp.route("/routing-rules/<int(max=2147483647):rule_id>", methods=["PUT"])
@blp.arguments(RuleIn)
@blp.response(200, RuleOut)
def replace_rule(data, rule_id):
    """Replace a rule (admins)."""
    return admin_actions.save_rule(data, current_actor(), rule_id)


@blp.route("/routing-rules/<int(max=2147483647):rule_id>", methods=["DELETE"])
@blp.response(204)
def delete_rule(rule_id):
    """Delete a rule (admins)."""
    admin_actions.delete_rule(rule_id, current_actor())


@blp.route("/queue")
@blp.arguments(PageArgs, location="query")
@blp.response(200, QueueOut)
def waiting_queue(args):
    """Tickets waiting for an agent, in serving order, with wait, score and the reason they wait."""
    rows = admin.queue(current_actor())
    return {**page_of(rows, args["page"], args["per_page"]),
            "oldest_wait_seconds": max((r["wait_seconds"] for r in rows), default=0)}

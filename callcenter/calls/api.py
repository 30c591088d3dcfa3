"""POST /api/v1/calls: the telephony system says who is calling whom."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..actions import calls as actions
from ..auth.api_auth import current_actor
from ..event_schemas import PopMatch
from ..schemas_common import Id

blp = Blueprint("calls", __name__, url_prefix="/api/v1/calls", description="Incoming calls and the screen pop")


class CallIn(Schema):
    caller = fields.String(required=True, validate=validate.Length(min=3, max=40),
                           metadata={"description": "the caller's number, however formatted"})
    agent_id = Id(load_default=None, strict=True, metadata={
        "description": "the agent the call is put through to (default: the token's own agent)"})
    called = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                           metadata={"description": "the number dialled (a hotline), if known"})


class CallOut(Schema):
    id = fields.Integer()
    caller = fields.String()
    called = fields.String(allow_none=True)
    agent_id = fields.Integer(allow_none=True)
    matches = fields.List(fields.Nested(PopMatch))  # what call.screen_pop carries, one definition


@blp.route("", methods=["POST"])
@blp.arguments(CallIn)
@blp.response(201, CallOut)
def post_call(data):
    """A call is ringing at an agent: the matching customers (tier, open tickets) come back, and the
    agent's console gets `call.screen_pop` at once."""
    return actions.screen_pop(data["caller"], data["agent_id"], data["called"], current_actor())

"""/api/v1/offers: answering an offer (offer-and-accept teams)."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from ..actions import offers as offer_actions
from ..auth.api_auth import current_actor
from ..extensions import db
from ..schemas_common import PageArgs, page_schema, paginate
from ..tickets.schemas import TicketOut
from .models import Offer, OfferStatus

blp = Blueprint("offers_api", __name__, url_prefix="/api/v1/offers", description="Tickets offered to agents.")


class OfferOut(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    agent_id = fields.Integer()
    status = fields.Function(lambda o: o.status.value)
    offered_at = fields.DateTime(format="iso")
    expires_at = fields.DateTime(format="iso")
    responded_at = fields.DateTime(format="iso", allow_none=True)


@blp.route("")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(OfferOut, "OfferPage"))
def open_offers(args):
    """Open offers: your own, or everyone's for supervisors."""
    actor = current_actor()
    stmt = select(Offer).where(Offer.status == OfferStatus.pending).order_by(Offer.expires_at)
    if not actor.is_supervisor:
        stmt = stmt.where(Offer.agent_id == actor.user_id)
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/<int(max=2147483647):offer_id>/accept", methods=["POST"])
@blp.response(200, TicketOut)
def accept(offer_id):
    """Take the offered ticket (before the offer expires)."""
    return offer_actions.accept(offer_id, current_actor())


@blp.route("/<int(max=2147483647):offer_id>/reject", methods=["POST"])
@blp.response(200, OfferOut)
def reject(offer_id):
    """Decline: the ticket goes to the next agent and keeps its place in the queue."""
    return offer_actions.reject(offer_id, current_actor())

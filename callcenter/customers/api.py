"""/api/v1/customers and /api/v1/categories"""
from __future__ import annotations

from flask_babel import get_locale
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..actions import customers as customer_actions
from ..auth.api_auth import current_actor
from ..extensions import db
from ..schemas_common import PageArgs, page_schema, paginate
from ..tickets.models import Category, Ticket
from ..tickets.queries import visible_tickets
from ..tickets.schemas import TicketOut, preload_sla
from . import queries
from .models import Customer, Tier
from .normalise import normalise_email, normalise_phone

blp = Blueprint("customers_api", __name__, url_prefix="/api/v1", description="Customers and categories.")


class CustomerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    tier = fields.Function(lambda c: c.tier.value)
    language = fields.String(allow_none=True)
    created_at = fields.DateTime(format="iso")


class CustomerDetail(CustomerOut):
    tickets = fields.List(fields.Nested(TicketOut), metadata={"description": "the tickets you may see, newest first"})


class CustomerSearch(PageArgs):
    q = fields.String(validate=validate.Length(min=1, max=200))


class TierIn(Schema):
    tier = fields.String(required=True, validate=validate.OneOf([t.value for t in Tier]))


class CategoryOut(Schema):
    code = fields.String()
    name = fields.Function(lambda c: c.label(str(get_locale() or "en")))
    team = fields.Function(lambda c: c.team.name if c.team else None)
    required_skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    default_priority = fields.String(allow_none=True)
    skill = fields.Function(lambda c: max(c.required_skills or {}, key=(c.required_skills or {}).get, default=None),
                            metadata={"description": "the most needed of required_skills (kept for older clients)"})


@blp.route("/customers")
@blp.arguments(CustomerSearch, location="query")
@blp.response(200, page_schema(CustomerOut, "CustomerPage"))
def search_customers(args):
    """Find customers by name, phone (any format) or email."""
    stmt = queries.visible_customers(current_actor()).order_by(Customer.id.desc())
    if args.get("q"):
        stmt = stmt.where(queries.text_matches(args["q"]))
    return paginate(db.session, stmt, args["page"], args["per_page"])


class MatchArgs(Schema):
    phone = fields.String(validate=validate.Length(max=40))
    email = fields.String(validate=validate.Length(max=254))


class CustomerMatchRow(Schema):
    customer = fields.Nested(CustomerOut)
    matched_on = fields.List(fields.String())
    tickets = fields.Integer(metadata={"description": "how many tickets the record has"})


@blp.route("/customers/matches")
@blp.arguments(MatchArgs, location="query")
@blp.response(200, CustomerMatchRow(many=True))
def customer_matches(args):
    """Staff only: the records holding this phone (however typed) or email, best match first, so that
    whoever logs a call or a ticket can choose the person (or a new contact) before saving."""
    current_actor()  # any signed-in staff member or token: the desk's phone form shows the same
    found = queries.candidates(normalise_phone(args.get("phone")), normalise_email(args.get("email")))
    counts = queries.ticket_counts([c.id for c, _on in found])
    return [{"customer": c, "matched_on": list(on), "tickets": counts.get(c.id, 0)} for c, on in found]


@blp.route("/customers/<int(max=2147483647):customer_id>")
@blp.response(200, CustomerDetail)
def get_customer(customer_id):
    """A customer with their ticket history."""
    actor = current_actor()
    customer = queries.get_visible(customer_id, actor)
    customer.tickets = db.session.scalars(
        visible_tickets(actor).where(Ticket.customer_id == customer.id).order_by(Ticket.id.desc())).all()
    preload_sla(customer.tickets)  # one clock query for the whole history, not one per ticket
    return customer


@blp.route("/customers/<int(max=2147483647):customer_id>", methods=["PATCH"])
@blp.arguments(TierIn)
@blp.response(200, CustomerOut)
def set_tier(data, customer_id):
    """Change a customer's tier (supervisors and admins)."""
    return customer_actions.set_tier(customer_id, data["tier"], current_actor())


@blp.route("/categories")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CategoryOut, "CategoryPage"))
def categories(args):
    """The categories tickets can take, in the caller's language."""
    current_actor()
    stmt = select(Category).where(Category.active).order_by(Category.position)
    return paginate(db.session, stmt, args["page"], args["per_page"])

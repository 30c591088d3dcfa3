"""/api/v1/customers/{id}/export and /erase (admins)."""
from __future__ import annotations

from flask import Response, jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..actions import privacy as privacy_actions
from ..auth.api_auth import current_actor
from ..db_mode import writing
from .readable import render_export

blp = Blueprint("privacy_api", __name__, url_prefix="/api/v1", description="Personal data: export and erasure.")


class ExportArgs(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "html"]))


class ErasureOut(Schema):
    customer_id = fields.Integer()
    tickets_anonymised = fields.Integer()
    erased_at = fields.String()


@blp.route("/customers/<int(max=2147483647):customer_id>/export")
@blp.arguments(ExportArgs, location="query")
@blp.response(200, description="everything held about the person: profile, tickets, messages, audit")
def export(args, customer_id):
    """Everything held about a customer, as JSON or as a readable HTML file (admins; audited)."""
    actor = current_actor()
    with writing():  # the export is logged
        data = privacy_actions.export_customer(customer_id, actor)
    if args["format"] == "html":
        return Response(render_export(data), mimetype="text/html", headers={
            "Content-Disposition": f'attachment; filename="customer-{customer_id}.html"'})
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="customer-{customer_id}.json"'
    return response


@blp.route("/customers/<int(max=2147483647):customer_id>/erase", methods=["POST"])
@blp.response(200, ErasureOut)
def erase(customer_id):
    """Anonymise the person, their tickets' contact and their words; the statistics stay (admins; audited)."""
    return privacy_actions.erase_customer(customer_id, current_actor())

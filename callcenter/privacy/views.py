"""Admin pages: export a customer's data, or erase them. Thin: one service call each."""
from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..actions import privacy as privacy_actions
from ..customers import queries as customers
from ..db_mode import writing
from ..errors import DomainError
from ..staff import page_actor, staff_blueprint
from .readable import render_export

bp = staff_blueprint("privacy", __name__, url_prefix="/desk/customers", admins_only=True)


@bp.route("/<int(max=2147483647):customer_id>/export.<any(json, html):fmt>")
def export(customer_id: int, fmt: str):
    actor = page_actor()
    with writing():  # the export is logged
        data = privacy_actions.export_customer(customer_id, actor)
    if fmt == "html":
        body, mimetype = render_export(data), "text/html"
    else:
        body, mimetype = json.dumps(data, ensure_ascii=False, indent=2), "application/json"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="customer-{customer_id}.{fmt}"'})


@bp.route("/<int(max=2147483647):customer_id>/erase", methods=["GET", "POST"])
def erase(customer_id: int):
    """GET asks to confirm, showing what goes; POST with the box ticked erases."""
    person = customers.get(customer_id)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            flash(_("Tick the box to confirm the erasure."), "error")
        else:
            try:
                result = privacy_actions.erase_customer(customer_id, page_actor())
            except DomainError as err:
                flash(err.message, "error")
            else:
                flash(_("Erased: the customer and %(count)s ticket(s) no longer hold personal data.",
                        count=result["tickets_anonymised"]), "success")
                return redirect(url_for("desk.customer", customer_id=customer_id))
    counts = customers.ticket_counts([customer_id])
    return render_template("privacy/erase.html", customer=person, tickets=counts.get(customer_id, 0))

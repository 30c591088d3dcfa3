"""Supervisor pages: the waiting queue and the routing rules."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..actions import admin as admin_actions
from ..errors import DomainError, Forbidden
from ..extensions import db
from ..staff import page_actor, refuse_if_forbidden, staff_blueprint
from ..tickets.labels import waiting_reason
from . import admin
from .forms import RuleForm
from .models import RoutingRule

bp = staff_blueprint("routing", __name__)
_actor = page_actor


@bp.route("/queue")
def queue():
    rows = admin.queue(_actor())
    return render_template("routing/queue.html", rows=rows, waiting_reason=waiting_reason)


@bp.route("/routing-rules")
def rules():
    return render_template("routing/rules.html", rules=admin.list_rules(_actor()), can_edit=_actor().is_admin)


@bp.route("/routing-rules/new", methods=["GET", "POST"])
@bp.route("/routing-rules/<int(max=2147483647):rule_id>", methods=["GET", "POST"])
def edit_rule(rule_id: int | None = None):
    admin.require_reader(_actor())  # agents see no rules at all: 403, not a filled-in form
    if (rule_id is None or request.method == "POST") and not _actor().is_admin:
        raise Forbidden(_("Only admins write routing rules."))  # a blank form only a refusal would follow
    rule = db.session.get(RoutingRule, rule_id) if rule_id else None
    if rule_id and rule is None:
        return render_template("error.html", title=_("Not found."), message=_("No such routing rule.")), 404
    form = RuleForm()
    if request.method == "GET" and rule is not None:
        form.fill_from(rule)
    if form.validate_on_submit():
        try:
            admin_actions.save_rule(form.rule_data(), _actor(), rule_id)
        except DomainError as err:
            refuse_if_forbidden(err)
            form.form_errors.append(err.message)
        else:
            flash(_("Routing rule saved."), "success")
            return redirect(url_for("routing.rules"))
    return render_template("routing/rule_form.html", form=form, rule=rule), 400 if request.method == "POST" else 200


@bp.route("/routing-rules/<int(max=2147483647):rule_id>/delete", methods=["POST"])
def delete_rule(rule_id: int):
    admin_actions.delete_rule(rule_id, _actor())
    flash(_("Routing rule deleted."), "success")
    return redirect(url_for("routing.rules"))

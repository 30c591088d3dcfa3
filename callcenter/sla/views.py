"""Admin pages for SLA policies (supervisors read them)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import DomainError
from ..extensions import db
from ..staff import page_actor, staff_blueprint
from ..tickets.labels import sla_clock
from . import admin
from .forms import PolicyForm
from .models import SlaPolicy

bp = staff_blueprint("sla", __name__)
_actor = page_actor


@bp.route("/sla-policies")
def policies():
    actor = _actor()
    return render_template("sla/policies.html", policies=admin.policies(actor), calendars=admin.calendars(actor),
                           can_edit=actor.is_admin, sla_clock=sla_clock)


@bp.route("/sla-policies/new", methods=["GET", "POST"])
@bp.route("/sla-policies/<int(max=2147483647):policy_id>", methods=["GET", "POST"])
def edit_policy(policy_id: int | None = None):
    actor = _actor()
    policy = db.session.get(SlaPolicy, policy_id) if policy_id else None
    if policy_id and policy is None:
        return render_template("error.html", title=_("Not found."), message=_("No such SLA policy.")), 404
    form = PolicyForm(calendars=[c.name for c in admin.calendars(actor)])
    if request.method == "GET" and policy is not None:
        form.fill_from(policy)
    if form.validate_on_submit():
        try:
            admin.save_policy(form.policy_data(), actor, policy_id)
        except DomainError as err:
            form.form_errors.append(err.message)
        else:
            flash(_("SLA policy saved."), "success")
            return redirect(url_for("sla.policies"))
    return render_template("sla/policy_form.html", form=form, policy=policy), 400 if request.method == "POST" else 200

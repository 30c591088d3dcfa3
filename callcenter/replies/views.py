"""Canned responses on the desk: the management page (/desk/canned: list, create, edit, delete)
and the list the reply form's picker asks for (/desk/canned/for/<ticket_id>), rendered for the
ticket and the agent.

Every staff member may open the page and manage their own personal responses; supervisors also
their teams' ones, admins every team's and the site-wide ones (service.py decides)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from ..actions import replies as reply_actions
from ..errors import DomainError, ValidationFailed, error_body
from ..i18n import language_code
from ..staff import page_actor, refuse_if_forbidden, staff_blueprint
from ..tickets import access
from . import placeholders, queries, service
from .forms import CannedForm, DeleteForm
from .models import CannedResponse, Scope

bp = staff_blueprint("canned", __name__, url_prefix="/desk/canned")


def placeholder_help() -> list[tuple[str, str]]:
    return [("{customer_name}", _("the customer's name")), ("{reference}", _("the ticket's reference")),
            ("{agent_name}", _("your name")),
            ("{promise_due}", _("when the ticket's earliest open promise is due"))]


def scope_label(row: CannedResponse) -> str:
    if row.scope is Scope.site:
        return _("Everyone (site-wide)")
    if row.scope is Scope.personal:
        return _("Only me (personal)")
    return _("Team: %(team)s", team=row.team.name if row.team else "?")


def language_label(code: str) -> str:
    """A response's language in the page's words, as the list and the form name it."""
    return _("Chinese") if code == "zh" else _("English")


def _form(**kwargs) -> CannedForm:
    actor = page_actor()
    return CannedForm(teams=service.manageable_teams(actor), site=actor.is_admin, **kwargs)


def _list_page(form: CannedForm, status: int = 200):
    actor = page_actor()
    rows = queries.for_page(actor)
    manageable = {r.id for r in rows if service.may_manage(actor, r.scope, r.team_id, r.owner_id)}
    return render_template("replies/list.html", rows=rows, manageable=manageable, form=form,
                           scope_label=scope_label, language_label=language_label,
                           placeholders=placeholder_help()), status


def _save(form: CannedForm, run) -> bool:
    """Run the action with the form's values; a refusal shows under its field (a "not allowed"
    is a 403, never a form message)."""
    if not form.validate_on_submit():
        return False
    try:
        run(form.data_for_service())
    except DomainError as err:
        refuse_if_forbidden(err)
        if not isinstance(err, ValidationFailed) and err.status != 422:
            raise
        form.show_refusal((err.details or {}).get("fields") or {}, err.message)
        return False
    return True


@bp.route("", methods=["GET", "POST"])
def index():
    if request.method == "GET":
        return _list_page(_form(formdata=None, language=language_code()))
    form = _form()
    if _save(form, lambda data: reply_actions.create_canned(data, page_actor())):
        flash(_("Canned response saved."), "success")
        return redirect(url_for(".index"))
    return _list_page(form, 400)


@bp.route("/<int(max=2147483647):response_id>/edit", methods=["GET", "POST"])
def edit(response_id: int):
    row = service.get_manageable(response_id, page_actor())
    if request.method == "GET":
        form = _form(formdata=None)
        form.fill_from(row)
        return render_template("replies/edit.html", row=row, form=form, placeholders=placeholder_help())
    form = _form()
    if _save(form, lambda data: reply_actions.update_canned(response_id, data, page_actor())):
        flash(_("Canned response saved."), "success")
        return redirect(url_for(".index"))
    return render_template("replies/edit.html", row=row, form=form, placeholders=placeholder_help()), 400


@bp.route("/<int(max=2147483647):response_id>/delete", methods=["POST"])
def delete(response_id: int):
    if not DeleteForm().validate_on_submit():  # its CSRF token
        return _list_page(_form(formdata=None), 400)
    reply_actions.delete_canned(response_id, page_actor())
    flash(_("Canned response deleted."), "success")
    return redirect(url_for(".index"))


@bp.route("/for/<int(max=2147483647):ticket_id>")
def for_ticket(ticket_id: int):
    """The picker's list: the responses this agent may use on this ticket, placeholders filled
    for it. A ticket they may not see answers as its page does (403 another team's, 404 none), in JSON."""
    actor = page_actor()
    try:
        ticket = access.get_visible(ticket_id, actor)
    except DomainError as err:
        if err.status not in (403, 404):
            raise
        return jsonify(error_body(err.code, err.message)), err.status
    due = queries.earliest_open_promise(ticket.id)
    values = service.placeholder_values(ticket, actor.name, format_datetime(due, "short") if due else None)
    rows = queries.for_ticket(actor, ticket, request.args.get("q", "")[:100])
    items = [{**service.rendered(r, values), "scope_label": scope_label(r), "language_label": language_label(r.language)}
             for r in rows]
    return jsonify({"ticket_id": ticket.id, "language": ticket.language, "items": items, "total": len(items),
                    "placeholders": list(placeholders.KNOWN)})

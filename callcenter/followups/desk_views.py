"""Staff pages for follow-ups: an agent's calls to make (/desk/followups), a callback booked
from a ticket's page, a customer's do-not-call hours, and the follow-up policy
(/admin/followups: admins change it, supervisors read it).

The ticket and customer pages are the desk's: they show this package's part through the
functions the context processor below gives every template, and a refused form here is shown
on the desk's page again (its view, called by endpoint name), with what was typed."""
from __future__ import annotations

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from ..actions import customer_followups
from ..actions import followups as followup_actions
from ..db_types import utcnow
from ..errors import Conflict, DomainError, Forbidden, ValidationFailed
from ..i18n import language_code
from ..staff import page_actor, refuse_if_forbidden, staff_blueprint
from ..tickets import access
from ..tickets.labels import waiting_reason
from . import access as followup_access
from . import desk_words, queries, service
from .forms import AttemptForm, CallbackForm, DoNotCallForm, PolicyForm
from .models import FollowUp, FollowUpKind, FollowUpStatus

bp = staff_blueprint("followup_desk", __name__, url_prefix="")


@bp.app_context_processor
def _followup_context() -> dict:
    # Functions only: a page pays for a query when its template calls one.
    return {**desk_words.words(), "ticket_followups": _ticket_section, "customer_followups": _customer_section}


def _desk_page(endpoint: str, status: int, **view_args):
    """The desk's page (the ticket, the customer) drawn again by its own view, with this status."""
    response = make_response(current_app.view_functions[endpoint](**view_args))
    response.status_code = status
    return response


# ---------------------------------------------------------------- the agent's follow-ups

def _lists(failed: dict | None = None) -> dict:
    """What the follow-ups page shows: the agent's calls (each with its form), what comes up
    after their tries, and for supervisors every open follow-up."""
    actor = page_actor()
    mine = queries.mine(current_user.id)
    coming = queries.coming_up(current_user.id, utcnow())
    everyone = queries.every_open() if actor.is_supervisor else []
    forms = {f.id: AttemptForm(formdata=None, revisit=f.kind is FollowUpKind.revisit) for f in mine}
    if failed and failed.get("form") is not None and failed["id"] in forms:
        forms[failed["id"]] = failed["form"]
    return {"mine": mine, "coming": coming, "everyone": everyone, "forms": forms, "failed": failed,
            "references": queries.references([*mine, *coming, *everyone]), "waiting_reason": waiting_reason,
            "can_cancel": actor.is_supervisor}


def _followups_page(failed: dict | None = None, status: int = 200):
    return render_template("followups/desk_followups.html", **_lists(failed)), status


@bp.route("/desk/followups")
def mine():
    return _followups_page()


@bp.route("/desk/followups/lists")
def lists():
    """The lists alone, for followups.js to redraw the page when the console says they changed."""
    return render_template("followups/desk_lists.html", **_lists())


def _followup_or_404(followup_id: int) -> FollowUp:
    """The follow-up, if this person may read it (403 otherwise, 404 when there is none)."""
    return followup_access.readable(followup_id, page_actor())


def _not_done(followup_id: int, err: DomainError, form: AttemptForm | None = None):
    """A try or decline that did not happen: a message on the page, the typed text kept. A
    follow-up that moved on, or went to a colleague, is a 409 and not a refusal: the page
    showed it as this person's a moment ago."""
    if isinstance(err, (Conflict, Forbidden)):
        now = desk_words.status(_followup_or_404(followup_id).status.value)
        message = _("This follow-up is not yours to call now (it is: %(status)s). Nothing was recorded.",
                    status=now)
        return _followups_page({"id": followup_id, "form": form, "message": message}, 409)
    if isinstance(err, ValidationFailed):
        return _followups_page({"id": followup_id, "form": form, "message": err.message}, 400)
    raise err


def _after_try(followup: FollowUp, outcome: str) -> str:
    said = desk_words.outcome(outcome)
    if followup.status is FollowUpStatus.scheduled and followup.next_attempt_at:
        return _("%(outcome)s recorded. Next try at %(when)s.", outcome=said,
                 when=format_datetime(followup.next_attempt_at, "short"))
    if followup.status is FollowUpStatus.completed:
        return _("Call recorded: this follow-up is done.")
    if outcome == "wrong_number":
        return _("Wrong number recorded: this follow-up is closed.")
    return _("%(outcome)s recorded. That was the last try: the customer could not be reached.", outcome=said)


@bp.route("/desk/followups/<int(max=2147483647):followup_id>/attempts", methods=["POST"])
def record(followup_id: int):
    followup = _followup_or_404(followup_id)
    form = AttemptForm(revisit=followup.kind is FollowUpKind.revisit)
    if not form.validate_on_submit():
        return _followups_page({"id": followup_id, "form": form}, 400)
    try:
        done = followup_actions.record_attempt(followup_id, page_actor(), form.outcome.data,
                                               (form.note.data or "").strip() or None, form.answers())
    except DomainError as err:
        return _not_done(followup_id, err, form)
    flash(_after_try(done, form.outcome.data), "success")
    return redirect(url_for(".mine"))


@bp.route("/desk/followups/<int(max=2147483647):followup_id>/decline", methods=["POST"])
def decline(followup_id: int):
    """Not a failed try: the follow-up goes to the next agent."""
    _followup_or_404(followup_id)
    try:
        followup_actions.decline(followup_id, page_actor())
    except DomainError as err:
        return _not_done(followup_id, err)
    flash(_("Declined: it goes to the next agent."), "info")
    return redirect(url_for(".mine"))


@bp.route("/desk/followups/<int(max=2147483647):followup_id>/cancel", methods=["POST"])
def cancel(followup_id: int):
    if not current_user.is_supervisor:
        abort(403)
    _followup_or_404(followup_id)
    try:
        followup_actions.cancel(followup_id, page_actor())
    except DomainError as err:
        refuse_if_forbidden(err)
        return _followups_page({"id": followup_id, "message": err.message}, err.status if err.status < 500 else 400)
    flash(_("Follow-up cancelled."), "success")
    return redirect(url_for(".mine"))


# ---------------------------------------------------------------- a ticket's follow-ups

def _ticket_section(ticket, can_book: bool) -> dict:
    """For the ticket page: its callbacks and revisits, and (for who may change it) the form
    to book a callback, in the windows the customer's do-not-call hours leave."""
    form = None
    if can_book:
        form = g.get("followup_callback_form")
        if form is None:
            form = CallbackForm(formdata=None)
            form.phone.data = ticket.contact_phone or (ticket.customer.phone if ticket.customer else "") or ""
            now = utcnow()
            form.offer(service.slots(now, service.settings(), ticket.customer), now)
    return {"items": queries.of_ticket(ticket.id), "form": form}


def _show_refusal(form: CallbackForm, err: DomainError) -> None:
    """The action's refusal under the field it names (a window's problem under the slot)."""
    fields = (err.details or {}).get("fields") or {}
    where = {"window_start": "slot", "window_end": "slot", "phone": "phone", "note": "note"}
    names = sorted({where[name] for name in fields if name in where})
    for name in names:
        form[name].errors = [*form[name].errors, err.message]
    if not names:
        form.form_errors.append(err.message)


@bp.route("/desk/tickets/<int(max=2147483647):ticket_id>/callbacks", methods=["POST"])
def book_callback(ticket_id: int):
    actor = page_actor()
    ticket = access.get_visible(ticket_id, actor)
    form = CallbackForm()
    now = utcnow()
    form.offer(service.slots(now, service.settings(), ticket.customer), now)
    if form.validate_on_submit():
        try:
            followup = followup_actions.request_callback(form.callback_data(ticket_id, None), actor,
                                                         requested_by="agent")
        except DomainError as err:
            refuse_if_forbidden(err)
            _show_refusal(form, err)
        else:
            flash(_("Callback booked: %(window)s.", window=desk_words.window(followup.window_start,
                                                                            followup.window_end)), "success")
            return redirect(url_for("desk.ticket", ticket_id=ticket_id) + "#followups")
    g.followup_callback_form = form
    return _desk_page("desk.ticket", 400, ticket_id=ticket_id)


# ---------------------------------------------------------------- a customer's do-not-call hours

def _customer_section(customer) -> dict:
    form = g.get("followup_do_not_call_form") or DoNotCallForm(formdata=None, do_not_call=customer.do_not_call or "")
    return {"form": form, "answers": queries.satisfaction_of(customer.id)}


@bp.route("/desk/customers/<int(max=2147483647):customer_id>/do-not-call", methods=["POST"])
def do_not_call(customer_id: int):
    form = DoNotCallForm()
    if form.validate_on_submit():
        try:
            customer_followups.set_do_not_call(customer_id, form.do_not_call.data, page_actor())
        except ValidationFailed as err:
            form.do_not_call.errors = [*form.do_not_call.errors, err.message]
        else:
            flash(_("Do-not-call hours saved."), "success")
            return redirect(url_for("desk.customer", customer_id=customer_id))
    g.followup_do_not_call_form = form
    return _desk_page("desk.customer", 400, customer_id=customer_id)


# ---------------------------------------------------------------- the policy

def _policy_form() -> PolicyForm:
    locale = "zh" if language_code() == "zh" else "en"
    return PolicyForm(calendars=queries.calendar_names(), skills=queries.skill_choices(locale),
                      categories=[code for code, _name in queries.category_choices(locale)])


def _policy_page(form: PolicyForm, status: int = 200):
    locale = "zh" if language_code() == "zh" else "en"
    return render_template("followups/admin_policy.html", form=form, can_edit=current_user.role.value == "admin",
                           categories=queries.category_choices(locale)), status


@bp.route("/admin/followups", methods=["GET", "POST"])
def policy():
    """Admins change the follow-up policy; supervisors read it; agents may not see it."""
    actor = page_actor()
    if not actor.is_supervisor or (request.method == "POST" and not actor.is_admin):
        abort(403)
    saved = service.settings()
    form = _policy_form()
    if request.method == "GET":
        form.fill_from(saved)
        return _policy_page(form)
    form.read_rules(request.form, saved.revisit_rules)
    valid = form.validate_on_submit()
    data = form.policy_data()
    if valid and data is not None:
        try:
            customer_followups.save_followup_policy(data, actor)
        except ValidationFailed as err:
            form.show_refusal((err.details or {}).get("fields") or {}, err.message)
        else:
            flash(_("Follow-up policy saved."), "success")
            return redirect(url_for(".policy"))
    return _policy_page(form, 400)

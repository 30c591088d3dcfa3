"""/submit, /t/<token> and /t/lost: thin; the rules live in the ticket actions."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..actions import tickets
from ..actors import Actor
from ..db_types import utcnow
from ..errors import DomainError
from ..extensions import db, limiter
from ..i18n import language_code
from ..tickets import access, lifecycle
from ..tickets.labels import customer_status as status_label
from ..tickets.models import TicketMessage
from .forms import LostLinkForm, ReplyForm, SubmitForm

bp = Blueprint("portal", __name__)


@bp.after_request
def _private(response):
    """A status page is somebody's private page: no caches, and its address leaks to no other site."""
    if request.endpoint in ("portal.status", "portal.reply"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("desk.index"))
    return redirect(url_for("portal.submit"))


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SUBMIT"], methods=["POST"])
def submit():
    form = SubmitForm()
    if form.validate_on_submit():
        data = form.ticket_data("web")
        data["language"] = language_code()
        try:
            ticket, _created = tickets.create_ticket(data, Actor.customer(data["customer"]["name"]),
                                                     with_status_link=True)
        except DomainError as err:
            form.form_errors.append(err.message)
        else:
            flash(_("Thank you. Your reference is %(reference)s. Keep this page's address to follow it.",
                    reference=ticket.reference), "success")
            return redirect(url_for("portal.status", token=ticket.status_token))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("portal/submit.html", form=form), status


def _link_gone(err: DomainError):
    """An unknown or expired link: say so, and how to reach the desk instead."""
    return render_template("portal/link_gone.html", message=err.message, expired=err.status == 410,
                           desk_phone=current_app.config["DESK_CONTACT_PHONE"],
                           desk_email=current_app.config["DESK_CONTACT_EMAIL"]), err.status


def _status_page(token: str, form: ReplyForm, http_status: int = 200):
    try:
        ticket = access.get_by_token(token, utcnow(), current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"])
    except DomainError as err:
        return _link_gone(err)
    messages = db.session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == ticket.id, TicketMessage.internal.is_(False)).order_by(TicketMessage.id)).all()
    current = ticket.status.value
    steps = [(s, status_label(s)) for s in lifecycle.PROGRESS_STEPS]
    reached = lifecycle.progress_step(current)
    return render_template("portal/status.html", ticket=ticket, token=token, messages=messages, form=form,
                           steps=steps, reached=reached, status_text=status_label(current),
                           can_reply=current not in lifecycle.FINAL_STATUSES), http_status


@bp.route("/t/<token>")
def status(token: str):
    return _status_page(token, ReplyForm())


@bp.route("/t/<token>/reply", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SUBMIT"])
def reply(token: str):
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            tickets.customer_reply(token, form.body.data)
        except DomainError as err:
            if err.status in (404, 410):
                return _link_gone(err)
            form.body.errors.append(err.message)
        else:
            flash(_("Your reply was sent."), "success")
            return redirect(url_for("portal.status", token=token))
    return _status_page(token, form, 400)


def _reference_key() -> str:
    return "link-resend:" + (request.form.get("reference") or "").strip().upper()[:40]


@bp.route("/t/lost", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LINK_RESEND"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LINK_RESEND_PER_REFERENCE"], methods=["POST"],
               key_func=_reference_key)
def lost_link():
    """Get the link again: it goes to the phone or email on the ticket, never shown here."""
    form = LostLinkForm()
    if form.validate_on_submit():
        tickets.resend_status_link(form.reference.data, form.contact.data)
        # The same answer whether or not anything matched: the form confirms nothing.
        flash(_("If the reference and the contact match a request, its link is on its way to that "
                "phone or email."), "info")
        return redirect(url_for("portal.lost_link"))
    return render_template("portal/lost_link.html", form=form), 400 if form.errors else 200

"""/submit and /t/<token>: thin; the rules live in tickets.services."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..actors import Actor
from ..errors import DomainError
from ..extensions import db, limiter
from ..i18n import language_code
from ..tickets import lifecycle
from ..tickets import services as tickets
from ..tickets.labels import customer_status as status_label
from ..tickets.models import TicketMessage
from .forms import ReplyForm, SubmitForm

bp = Blueprint("portal", __name__)

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
            ticket, _created = tickets.create_ticket(data, Actor.customer(data["customer"]["name"]))
        except DomainError as err:
            form.form_errors.append(err.message)
        else:
            flash(_("Thank you. Your reference is %(reference)s. Keep this page's address to follow it.",
                    reference=ticket.reference), "success")
            return redirect(url_for("portal.status", token=ticket.public_token))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("portal/submit.html", form=form), status


def _status_page(token: str, form: ReplyForm, http_status: int = 200):
    ticket = tickets.get_by_token(token)
    messages = db.session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == ticket.id, TicketMessage.internal.is_(False)).order_by(TicketMessage.id)).all()
    current = ticket.status.value
    steps = [(s, status_label(s)) for s in lifecycle.PROGRESS_STEPS]
    reached = lifecycle.progress_step(current)
    return render_template("portal/status.html", ticket=ticket, messages=messages, form=form, steps=steps,
                           reached=reached, status_text=status_label(current),
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
            form.body.errors.append(err.message)
        else:
            flash(_("Your reply was sent."), "success")
            return redirect(url_for("portal.status", token=token))
    return _status_page(token, form, 400)

"""/submit, /t/<token> and /t/lost: thin; the rules live in the ticket and follow-up actions."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..actions import followups as followup_actions
from ..actions import tickets
from ..actors import Actor
from ..customers.models import Customer
from ..db_types import utcnow
from ..errors import DomainError, ValidationFailed
from ..extensions import db, limiter
from ..followups import service as followups
from ..followups.models import FollowUp, FollowUpKind, FollowUpStatus
from ..followups.windows import is_asap
from ..i18n import language_code
from ..tickets import access, lifecycle
from ..tickets.labels import customer_status as status_label
from ..tickets.models import Ticket, TicketMessage
from .forms import CallbackForm, LostLinkForm, ReplyForm, SubmitForm, WindowChoice

bp = Blueprint("portal", __name__)

PRIVATE_PAGES = ("portal.status", "portal.reply", "portal.callback")


@bp.after_request
def _private(response):
    """A status page is somebody's private page: no caches, and its address leaks to no other site."""
    if request.endpoint in PRIVATE_PAGES:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("desk.index"))
    return redirect(url_for("portal.submit"))


# ---------------------------------------------------------------- callback windows in the page's words

def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def when_label(moment: datetime, tz: str) -> str:
    """'Monday, March 4, 2030, 11:00 AM' / '2030年3月4日星期一 11:00', in the desk's zone."""
    local = _local(moment, tz)
    return _("%(day)s, %(time)s", day=format_date(local.date(), "full"), time=format_time(local, "short", rebase=False))


def window_labeller(tz: str) -> Callable[[datetime, datetime], str]:
    def label(start: datetime, end: datetime) -> str:
        first, last = _local(start, tz), _local(end, tz)
        return _("%(day)s, %(start)s–%(end)s", day=format_date(first.date(), "full"),
                 start=format_time(first, "short", rebase=False), end=format_time(last, "short", rebase=False))
    return label


def zone_name(tz: str) -> str:
    """'China Time' / '中国时间': the zone the offered times are in, in the page's language."""
    return get_timezone_name(ZoneInfo(tz), locale=get_locale())


def _offer(form: WindowChoice, now: datetime, st: followups.Settings, customer: Customer | None) -> None:
    labels = window_labeller(st.tz)

    def label(start: datetime, end: datetime) -> str:
        if is_asap(start, now):
            return _("As soon as possible (before %(end)s)", end=format_time(_local(end, st.tz), "short", rebase=False))
        return labels(start, end)

    form.offer(followups.slots(now, st, customer), label, timedelta(minutes=st.slot_minutes), now)


# Customers read these instead of the desk's wording of the same refusals (service.WINDOW_MESSAGES).
CUSTOMER_WINDOW_MESSAGES = {
    "ends_before_start": lambda: _("That is not a time we can call in: choose one of the offered times."),
    "in_past": lambda: _("That time has already begun: choose a later one."),
    "outside_open_hours": lambda: _("We do not make calls at that time: choose one of the offered times."),
    "in_quiet_hours": lambda: _("We do not call at that time of day: choose another time."),
    "too_far_ahead": lambda: _("That is too far ahead: choose a time within the next 30 days."),
}


def _refusal_message(err: DomainError) -> str:
    words = CUSTOMER_WINDOW_MESSAGES.get(err.code)
    return words() if words else err.message


def _show_refusal(form: CallbackForm | SubmitForm, err: DomainError) -> None:
    """A refused booking as a message under the field it is about, else above the form."""
    fields = (err.details or {}).get("fields") or {}
    if "window_start" in fields or "window_end" in fields:
        form.window.errors = [*form.window.errors, _refusal_message(err)]
    elif "phone" in fields:
        form.phone.errors = [*form.phone.errors, err.message]
    else:
        form.form_errors.append(err.message)


# ---------------------------------------------------------------- the customer form

@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SUBMIT"], methods=["POST"])
def submit():
    form = SubmitForm()
    now, st = utcnow(), followups.settings()
    _offer(form, now, st, None)
    if form.validate_on_submit() and _window_bookable(form, now, st):
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
            callback = form.callback_data(data["language"])
            if callback:
                _book_for_new_ticket(ticket.status_token, callback, st)
            return redirect(url_for("portal.status", token=ticket.status_token))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("portal/submit.html", form=form, zone_name=zone_name(st.tz)), status


def _window_bookable(form: SubmitForm, now: datetime, st: followups.Settings) -> bool:
    """The callback window is checked before the ticket is made, so a refused one loses nothing.
    The customer's own do-not-call hours are not known yet (whose number it is is settled with
    the ticket); the booking checks them, and the ticket stands whatever it says."""
    window = form.chosen_window() if form.callback.data else None
    if window is None:
        return True
    try:
        followups.check_window(*window, now, st, None)
    except ValidationFailed as err:
        _show_refusal(form, err)
        return False
    return True


def _book_for_new_ticket(token: str, callback: dict, st: followups.Settings) -> None:
    try:
        followup = followup_actions.request_callback_by_customer(
            token, callback, current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"])
    except DomainError as err:
        flash(_("Your request is saved, but we could not book the callback: %(why)s You can choose another "
                "time on this page.", why=_refusal_message(err)), "warning")
    else:
        flash(_("We will call you on %(window)s.",
                window=window_labeller(st.tz)(followup.window_start, followup.window_end)), "success")


# ---------------------------------------------------------------- the status page

def _link_gone(err: DomainError):
    """An unknown or expired link: say so, and how to reach the desk instead."""
    return render_template("portal/link_gone.html", message=err.message, expired=err.status == 410,
                           desk_phone=current_app.config["DESK_CONTACT_PHONE"],
                           desk_email=current_app.config["DESK_CONTACT_EMAIL"]), err.status


def _ticket(token: str, now: datetime) -> Ticket:
    return access.get_by_token(token, now, current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"])


def callback_words(followup: FollowUp) -> str:
    """Where a callback stands, as the customer reads it (who handles it is never shown)."""
    status = followup.status
    if status is FollowUpStatus.scheduled:
        return _("We tried to call and will try again") if followup.attempts_made else _("Booked")
    return {
        FollowUpStatus.due: _("We will call you shortly"),
        FollowUpStatus.assigned: _("We will call you shortly"),
        FollowUpStatus.completed: _("Done: we spoke with you"),
        FollowUpStatus.unreachable: _("We could not reach you"),
        FollowUpStatus.cancelled: _("Cancelled"),
    }[status]


def _masked(phone: str) -> str:
    """Enough of the number to recognise it; the page's address may be passed on."""
    digits = [c for c in phone if c.isdigit()]
    return _("number ending %(digits)s", digits="".join(digits[-4:])) if len(digits) >= 4 else ""


def _callbacks_of(ticket: Ticket) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(
        FollowUp.ticket_id == ticket.id, FollowUp.kind == FollowUpKind.callback)
        .order_by(FollowUp.window_start, FollowUp.id)))


def _callback_rows(callbacks: list[FollowUp], tz: str) -> list[dict]:
    label = window_labeller(tz)
    return [{"id": f.id, "window": label(f.window_start, f.window_end), "status": f.status.value,
             "words": callback_words(f), "phone": _masked(f.phone),
             "next_try": when_label(f.next_attempt_at, tz)
             if f.status is FollowUpStatus.scheduled and f.attempts_made and f.next_attempt_at else None}
            for f in callbacks]


def _survey(ticket: Ticket, now: datetime) -> dict | None:
    """After resolution: the survey's link while it may be answered, or the answer given."""
    if ticket.status.value not in (lifecycle.RESOLVED, lifecycle.CLOSED):
        return None
    survey = followups.survey_for_ticket(ticket.id)
    if survey is None:
        return None
    if survey.answered_at is not None:
        return {"answered": True, "csat": survey.csat}
    if now >= survey.expires_at:
        return None
    return {"answered": False, "url": url_for("surveys.survey", token=followups.survey_token(survey))}


def _customer_callback_open(callbacks: list[FollowUp]) -> bool:
    return any(f.requested_by == "customer" and f.is_open for f in callbacks)


def _status_page(token: str, reply_form: ReplyForm | None = None, callback_form: CallbackForm | None = None,
                 http_status: int = 200):
    now = utcnow()
    try:
        ticket = _ticket(token, now)
    except DomainError as err:
        return _link_gone(err)
    st = followups.settings()
    if callback_form is None:
        callback_form = CallbackForm(formdata=None, phone=ticket.contact_phone or "")
    _offer(callback_form, now, st, ticket.customer)
    messages = db.session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == ticket.id, TicketMessage.internal.is_(False)).order_by(TicketMessage.id)).all()
    current = ticket.status.value
    open_ticket = current not in lifecycle.FINAL_STATUSES
    callbacks = _callbacks_of(ticket)
    callback_open = _customer_callback_open(callbacks)
    return render_template(
        "portal/status.html", ticket=ticket, token=token, messages=messages,
        form=reply_form or ReplyForm(formdata=None), callback_form=callback_form,
        steps=[(s, status_label(s)) for s in lifecycle.PROGRESS_STEPS], reached=lifecycle.progress_step(current),
        status_text=status_label(current), can_reply=open_ticket, callbacks=_callback_rows(callbacks, st.tz),
        callback_open=callback_open,
        can_ask_callback=open_ticket and not callback_open and bool(callback_form.window.choices),
        zone_name=zone_name(st.tz), survey=_survey(ticket, now)), http_status


@bp.route("/t/<token>")
def status(token: str):
    return _status_page(token)


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
    return _status_page(token, reply_form=form, http_status=400)


@bp.route("/t/<token>/callback", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SUBMIT"])
def callback(token: str):
    """The customer asks to be called in one of the offered windows."""
    now = utcnow()
    try:
        ticket = _ticket(token, now)
    except DomainError as err:
        return _link_gone(err)
    form = CallbackForm()
    st = followups.settings()
    _offer(form, now, st, ticket.customer)
    if form.validate_on_submit():
        try:
            followup = followup_actions.request_callback_by_customer(
                token, form.callback_data(language_code()), current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"])
        except DomainError as err:
            if err.status in (404, 410):
                return _link_gone(err)
            _show_refusal(form, err)
        else:
            flash(_("We will call you on %(window)s.",
                    window=window_labeller(st.tz)(followup.window_start, followup.window_end)), "success")
            return redirect(url_for("portal.status", token=token))
    return _status_page(token, callback_form=form, http_status=400)


# ---------------------------------------------------------------- a lost link

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

"""/s/<token>: the satisfaction survey a resolved ticket's customer is sent.

Opening the link records nothing (mail scanners follow links): only the POSTed form answers.
A forged, used or expired link gets a page that says which, and how to reach the desk.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from flask import Blueprint, current_app, render_template, session
from flask_babel import force_locale
from flask_login import current_user

from ..actions import followups as followup_actions
from ..db_types import utcnow
from ..extensions import db, limiter
from ..portal.forms import SurveyForm, csat_words
from ..tickets.models import Ticket
from . import service

bp = Blueprint("surveys", __name__)

GONE_STATUS = {"forged": 404, "used": 410, "expired": 410}


@bp.after_request
def _private(response):
    """A survey link is one customer's: kept out of caches and out of other sites' referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _visitor_chose_language() -> bool:
    return bool(session.get("locale")) or current_user.is_authenticated


def _in_ticket_language(ticket: Ticket) -> AbstractContextManager:
    """The ticket's language, unless the visitor picked one with the header switch."""
    if _visitor_chose_language():
        return nullcontext()
    return force_locale("zh_CN" if ticket.language == "zh" else "en")


def _gone(why: str):
    return render_template("followups/survey_gone.html", why=why,
                           desk_phone=current_app.config["DESK_CONTACT_PHONE"],
                           desk_email=current_app.config["DESK_CONTACT_EMAIL"]), GONE_STATUS[why]


def _comment(form: SurveyForm) -> str | None:
    return (form.comment.data or "").strip() or None


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SUBMIT"], methods=["POST"])
def survey(token: str):
    try:
        found = service.survey_from_token(token, utcnow())
    except service.SurveyLinkGone as gone:
        return _gone(gone.why)
    ticket = db.session.get(Ticket, found.ticket_id)
    with _in_ticket_language(ticket):
        form = SurveyForm()
        if form.validate_on_submit():
            try:
                followup_actions.answer_survey(token, form.csat.data, form.nps.data, _comment(form))
            except service.SurveyLinkGone as gone:  # answered or expired since the page was opened
                return _gone(gone.why)
            sorry = service.recovery_reason(csat=form.csat.data, nps=form.nps.data) is not None
            return render_template("followups/survey_thanks.html", ticket=ticket, csat=form.csat.data,
                                   csat_text=csat_words(form.csat.data), sorry=sorry)
        status = 400 if form.is_submitted() else 200
        return render_template("followups/survey.html", ticket=ticket, form=form, token=token), status

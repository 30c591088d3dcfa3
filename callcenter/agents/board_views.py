"""The supervisors' board of agents (/desk/agents): who is available, away or offline and for how
long, their load against capacity, and the work each one holds; from it a supervisor sets an
agent's presence or gives one of their tickets to someone else. Supervisors and admins only.

Thin: each form calls one action. A refused change is a message on the page drawn again, with
what was chosen still chosen; agents_board.js redraws the rows when the console says something
they show changed."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, HiddenField, IntegerField, SelectField
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional

from ..actions import assignment
from ..actions import presence as presence_actions
from ..auth.models import Presence
from ..db_types import utcnow
from ..desk.views import console_home
from ..errors import DomainError
from ..forms_base import Form
from ..staff import page_actor, refuse_if_forbidden, staff_blueprint
from ..tickets import labels
from . import board as queries

bp = staff_blueprint("agents_board", __name__)
PRESENCES = [p.value for p in Presence]
MAX_ID = 2**31 - 1


class PresenceForm(Form):
    state = SelectField(_l("Presence"), choices=PRESENCES, validators=[InputRequired(), AnyOf(PRESENCES)])
    team = HiddenField()


class ReassignForm(Form):
    agent_id = IntegerField(_l("Give to"), validators=[InputRequired(_l("Choose who takes the ticket.")),
                                                        NumberRange(1, MAX_ID)])
    from_agent = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
    override = BooleanField(_l("even over capacity"))
    team = HiddenField()


@bp.before_request
def _supervisors_only():
    if not current_user.is_supervisor:
        abort(403)


def _team(source) -> str:
    return (source.get("team") or "").strip()[:80]


def in_state(seconds: int | None) -> str:
    """'for 12 minutes', in the page's language."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("for less than a minute")
    return _("for %(span)s", span=format_timedelta(timedelta(seconds=seconds), granularity="minute", threshold=1))


def _context(team: str, failed: dict | None = None) -> dict:
    data = queries.board(page_actor(), utcnow(), team or None)
    return {**data, "team": team, "failed": failed or {}, "in_state": in_state, "presence_label": labels.presence,
            "sla_state": labels.sla_state, "staff_status": labels.staff_status, "presences": PRESENCES}


def _page(team: str, failed: dict | None = None, status: int = 200):
    return render_template("agents/board.html", **_context(team, failed), console_url=console_home()), status


def _back(team: str):
    return redirect(url_for(".board", team=team or None))


@bp.route("/agents")
def board():
    return _page(_team(request.args))


@bp.route("/agents/rows")
def rows():
    """The summary and the rows alone, for agents_board.js to swap in when something changed."""
    return render_template("agents/_live.html", **_context(_team(request.args)))


@bp.route("/agents/<int(max=2147483647):agent_id>/presence", methods=["POST"])
def set_presence(agent_id: int):
    form = PresenceForm()
    team = _team(request.form)
    if not form.validate_on_submit():
        flash(_("Choose available, away or offline."), "error")
        return _page(team, {"presence_of": agent_id}, 400)
    try:
        agent = presence_actions.set_presence(agent_id, form.state.data, page_actor())
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
        return _page(team, {"presence_of": agent_id, "state": form.state.data}, err.status)
    flash(_("%(name)s is now %(presence)s.", name=agent.name, presence=labels.presence(agent.presence.value)),
          "success")
    return _back(team)


@bp.route("/agents/tickets/<int(max=2147483647):ticket_id>/reassign", methods=["POST"])
def reassign(ticket_id: int):
    form = ReassignForm()
    team = _team(request.form)
    kept = {"ticket_id": ticket_id, "agent_id": form.agent_id.data, "override": bool(form.override.data)}
    if not form.validate_on_submit():
        flash(_("Choose who takes the ticket."), "error")
        return _page(team, {**kept, "agent_id": None}, 400)
    held = queries.holder_of(ticket_id)
    if held is not None and form.from_agent.data and held[1] != form.from_agent.data:
        # The page showed it with someone else a moment ago: nothing moves on an old picture.
        flash(_("Ticket %(reference)s has moved since the page was drawn; nothing was changed. Look again and choose.",
                reference=held[0]), "warning")
        return _page(team, status=409)
    try:
        ticket = assignment.assign(ticket_id, form.agent_id.data, page_actor(), override=bool(form.override.data))
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
        return _page(team, kept, err.status)
    flash(_("Ticket %(reference)s given to %(name)s.", reference=ticket.reference, name=ticket.assignee.name),
          "success")
    return _back(team)

"""The wallboard: a supervisor's screen that keeps itself current over the /console socket."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template, request
from flask_babel import format_timedelta

from ..db_types import utcnow
from ..staff import page_actor, staff_blueprint
from ..tickets.labels import sla_clock, sla_state, staff_status
from . import queries

bp = staff_blueprint("kpi", __name__, url_prefix="")


def _board() -> dict:
    return queries.sla_board(page_actor(), utcnow(), current_app.config["DISPLAY_TIMEZONE"],
                             team=request.args.get("team") or None)


def _context(board: dict) -> dict:
    return {"board": board, "sla_clock": sla_clock, "sla_state": sla_state, "staff_status": staff_status,
            "team": request.args.get("team") or "", "span": _span}


def _span(seconds: int) -> str:
    """'25 minutes' (business time; the board says whether it is left or over)."""
    return format_timedelta(timedelta(seconds=abs(seconds)), threshold=1.5)


@bp.route("/wallboard")
def wallboard():
    board = _board()  # checks the role before anything else is read
    return render_template("kpi/wallboard.html", teams=queries.team_names(), **_context(board))


@bp.route("/wallboard/panel")
def panel():
    """The board's body alone: the page swaps it in when an event says something changed."""
    return render_template("kpi/_sla_panel.html", **_context(_board()))

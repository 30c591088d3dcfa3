"""The wallboard: a supervisor's screen that keeps itself current over the /console socket."""
from __future__ import annotations

from flask import current_app, render_template, request

from ..db_types import utcnow
from ..staff import page_actor, staff_blueprint
from ..tickets.labels import sla_clock, sla_state, span, staff_status
from . import queries

bp = staff_blueprint("kpi", __name__, url_prefix="")


def _board() -> dict:
    return queries.sla_board(page_actor(), utcnow(), current_app.config["DISPLAY_TIMEZONE"],
                             team=request.args.get("team") or None)


def _context(board: dict) -> dict:
    return {"board": board, "sla_clock": sla_clock, "sla_state": sla_state, "staff_status": staff_status,
            "team": request.args.get("team") or "", "span": span}  # '1 min 29 s': the board says left or over


@bp.route("/wallboard")
def wallboard():
    board = _board()  # checks the role before anything else is read
    return render_template("kpi/wallboard.html", teams=queries.team_names(), **_context(board))


@bp.route("/wallboard/panel")
def panel():
    """The board's body alone: the page swaps it in when an event says something changed."""
    return render_template("kpi/_sla_panel.html", **_context(_board()))

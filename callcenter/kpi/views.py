"""The wallboard: a supervisor's screen that keeps itself current over the /console socket."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..actions import report_subscriptions
from ..db_types import utcnow
from ..errors import DomainError
from ..staff import page_actor, refuse_if_forbidden, staff_blueprint
from ..tickets.labels import sla_clock, sla_state, span, staff_status
from . import forecasts, formulas, live, queries, snapshots, staffing, subscriptions, tile_settings
from .summary import Filters, Scope, figures

bp = staff_blueprint("kpi", __name__, url_prefix="")


def _today(now, team: str | None, team_id: int | None, board: dict, agents: dict) -> dict:
    """Today's figures, from local midnight: the same function as GET /api/v1/kpi/summary, handed
    what the board has just read of now: the same team's open tickets (the backlog), its queue
    and its agents."""
    config = current_app.config
    start = formulas.start_of_local_day(now, config["DISPLAY_TIMEZONE"])
    return figures(page_actor(), Scope(Filters(team=team), team_id), start, now, now, formulas.rules_from(config),
                   agents=live.counts(agents), queue=board["queue"], backlog=board["open"])


def _now_tiles(now, team_id: int | None, agents: dict) -> dict:
    online = len(agents["available"]) + len(agents["busy"]) + len(agents["on_callback"])
    return {"queue": live.queue_breakdown(now, team_id), "agents": agents,
            "callbacks": live.callbacks_now(now, team_id),
            "staffing": {**_forecast(now, team_id), "online_now": online}}


def _forecast(now, team_id: int | None) -> dict:
    """Read as the worker kept it before the hour (forecasts.py), not worked out per redraw."""
    return forecasts.for_board(now, team_id, staffing.settings_from(current_app.config))


def _figures() -> dict:
    """Everything the board shows, from the snapshot every screen of this team shares
    (snapshots.py): recounted at most once a second, and never older than the event the
    redraw was for (?seen=<seq>)."""
    queries.require_supervisor(page_actor())  # before any shared figure is handed out
    team = request.args.get("team") or None
    seen = request.args.get("seen", "")
    seen_seq = int(seen) if seen.isdigit() and len(seen) < 20 else None

    def compute() -> dict:
        queries.serial_reads()
        team_id = queries.team_id_of(team)  # once, for every part of the board
        board = queries.sla_board(page_actor(), utcnow(), current_app.config["DISPLAY_TIMEZONE"], team=team,
                                  team_id=team_id)
        now = board["generated_at"]
        agents = live.agents_by_state(team_id)  # counted for today's tiles, named for the lists
        return {"board": board, "today": _today(now, team, team_id, board, agents),
                "now": _now_tiles(now, team_id, agents)}

    return snapshots.shared(snapshots.board_name(team), seen_seq, compute)


def _context(figures: dict) -> dict:
    rules = tile_settings.effective(current_app.config)  # read at each redraw: a saved change shows at once

    def level(tile: str, value) -> str:
        return formulas.tile_level(value, rules.get(tile))

    return {**figures, "level": level,
            "sla_clock": sla_clock, "sla_state": sla_state, "staff_status": staff_status,
            "team": request.args.get("team") or "", "span": span}  # '1 min 29 s': the board says left or over


@bp.route("/wallboard")
def wallboard():
    figures = _figures()  # checks the role before anything else is read
    return render_template("kpi/wallboard.html", teams=queries.team_names(), **_context(figures))


CYCLE_SECONDS, CYCLE_RANGE = 20, (5, 600)


@bp.route("/wallboard/screen")
def screen():
    """The wall-screen mode: the board alone in large type, cycling through everybody and each
    team, and recovering by itself when the network or the server comes back (wallboard.js)."""
    figures = _figures()
    raw = request.args.get("cycle", "")
    cycle, problem = CYCLE_SECONDS, None
    if raw:
        try:
            cycle = int(raw)
        except ValueError:
            cycle = -1
        if not CYCLE_RANGE[0] <= cycle <= CYCLE_RANGE[1]:
            problem = _("Cycle every %(low)s to %(high)s seconds; showing each for %(default)s s.",
                        low=CYCLE_RANGE[0], high=CYCLE_RANGE[1], default=CYCLE_SECONDS)
            cycle = CYCLE_SECONDS
    teams = queries.team_names()
    return render_template("kpi/wallboard.html", teams=teams, wall=True, cycle_seconds=cycle, cycle_problem=problem,
                           cycle_teams=[""] + teams, **_context(figures))


@bp.route("/wallboard/panel")
def panel():
    """The board's body alone: the page swaps it in when an event says something changed."""
    return render_template("kpi/_sla_panel.html", **_context(_figures()))


STAFFING_FIELDS = ("arrivals", "interval_seconds", "aht_seconds", "target_seconds", "service_level", "shrinkage",
                   "max_occupancy")


@bp.route("/wallboard/staffing")
def staffing_calculator():
    """Erlang C with numbers the supervisor chooses (GET /api/v1/kpi/staffing on a page)."""
    from marshmallow import ValidationError

    from .api import StaffingArgs

    queries.require_supervisor(page_actor())
    config = current_app.config
    given = {k: v for k, v in request.args.items() if k in STAFFING_FIELDS and v != ""}
    values = {"interval_seconds": 1800, "target_seconds": config["KPI_SERVICE_LEVEL_SECONDS"],
              "service_level": config["KPI_SERVICE_LEVEL_GOAL"], "shrinkage": config["KPI_SHRINKAGE"],
              "max_occupancy": config["KPI_MAX_OCCUPANCY"], **given}
    result, errors = None, {}
    if "arrivals" in given or "aht_seconds" in given:
        try:
            args = StaffingArgs().load(values)
            result = formulas.staffing(args["arrivals"], args["interval_seconds"], args["aht_seconds"],
                                       args["target_seconds"], args["service_level"], args["shrinkage"],
                                       args["max_occupancy"])
        except ValidationError as exc:
            errors = {name: _("Enter a number in the allowed range.") for name in exc.messages}
        except ValueError:
            errors = {"arrivals": _("These numbers need more than 100,000 agents: check the arrivals and the handle time.")}
    return render_template("kpi/staffing.html", values=values, result=result, errors=errors), 400 if errors else 200


def _subscriptions_page(form, status: int = 200):
    from .forms import StopForm

    return render_template("kpi/subscriptions.html", form=form, stop=StopForm(), rows=subscriptions.of(page_actor()),
                           tz=current_app.config["DISPLAY_TIMEZONE"]), status


def _subscription_form(**kw):
    from .forms import SubscriptionForm

    return SubscriptionForm(teams=queries.teams(), **kw)


@bp.route("/reports/subscriptions", methods=["GET", "POST"])
def subscriptions_page():
    """A supervisor's report mails: daily or weekly, for a team or everybody."""
    queries.require_supervisor(page_actor())
    if request.method == "GET":
        return _subscriptions_page(_subscription_form(formdata=None))
    form = _subscription_form()
    if form.validate_on_submit():
        try:
            report_subscriptions.subscribe(page_actor(), form.frequency.data, int(form.team.data) if form.team.data else None)
        except DomainError as err:
            refuse_if_forbidden(err)
            form.frequency.errors = [*form.frequency.errors, err.message]
            return _subscriptions_page(form, 400)
        flash(_("Subscribed: the report comes by email to %(email)s.", email=current_user.email), "success")
        return redirect(url_for(".subscriptions_page"))
    return _subscriptions_page(form, 400)


@bp.route("/reports/subscriptions/<int(max=2147483647):subscription_id>/delete", methods=["POST"])
def stop_subscription(subscription_id: int):
    from .forms import StopForm

    queries.require_supervisor(page_actor())
    if not StopForm().validate_on_submit():
        return _subscriptions_page(_subscription_form(formdata=None), 400)
    report_subscriptions.unsubscribe(page_actor(), subscription_id)
    flash(_("That report will not come any more."), "success")
    return redirect(url_for(".subscriptions_page"))

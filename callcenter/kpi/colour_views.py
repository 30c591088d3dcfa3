"""The wallboard's colours: per tile, the value at which it turns amber (a warning) and red
(bad). Admins change them; supervisors read them. Shares are typed as percent."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..actions import wallboard_settings
from ..errors import ValidationFailed
from ..staff import page_actor, staff_blueprint
from . import formulas, tile_settings
from .forms import StopForm

bp = staff_blueprint("wallboard_colours", __name__, url_prefix="")

LABELS = {
    "service-level": _l("Service level"), "asa": _l("Average speed of answer"), "aht": _l("Average handle time"),
    "abandonment": _l("Abandoned"), "waiting": _l("Waiting in queue"), "oldest-wait": _l("Longest wait"),
    "available": _l("Available"), "backlog": _l("Backlog (open tickets)"), "warning": _l("SLA warning"),
    "breached": _l("Breached"), "breaches-today": _l("Breaches today"), "callbacks-due": _l("Callbacks due"),
    "callbacks-overdue": _l("Callbacks overdue"), "csat": _l("CSAT today (1-5)"), "nps": _l("NPS today"),
}
UNITS = {"share": _l("percent"), "seconds": _l("seconds"), "count": _l("count"), "score": _l("score 1-5"),
         "points": _l("points, -100 to 100")}
WORSE = {"above": _l("Higher is worse"), "below": _l("Lower is worse")}


def _shown(value, unit: str) -> str:
    """A limit as the page shows it: shares in percent; no trailing .0."""
    if value is None:
        return ""
    value = value * 100 if unit == "share" else value
    return format(round(value, 9), ".12g")  # as saved: a redisplayed limit posts back unchanged


def _rows(rules: dict, typed: dict | None = None, errors: dict | None = None) -> list[dict]:
    rows = []
    for name, (direction, unit) in formulas.TILE_RULES.items():
        rule = rules.get(name, {})
        row = {"name": name, "label": LABELS[name], "worse": WORSE[direction], "unit": UNITS[unit],
               "errors": {k: (errors or {}).get(f"{name}.{k}", []) for k in ("warn", "bad")}}
        for key in ("warn", "bad"):
            row[key] = (typed or {}).get(f"{name}.{key}", _shown(rule.get(f"{key}_{direction}"), unit))
        rows.append(row)
    return rows


def _page(rows: list[dict], status: int = 200, problem: str | None = None):
    return render_template("kpi/colours.html", rows=rows, form=StopForm(), problem=problem,
                           can_edit=page_actor().is_admin), status


def _read(form, current: dict) -> tuple[dict, dict, dict]:
    """The typed limits: {tile: (warn, bad)} in the tiles' own units (a limit left empty: no
    colour; a limit not sent keeps its value in `current`), what was typed, and the fields
    that are not numbers."""
    limits, typed, errors = {}, {}, {}
    for name, (direction, unit) in formulas.TILE_RULES.items():
        if f"{name}.warn" not in form and f"{name}.bad" not in form:
            continue  # not on the form sent: the tile keeps its colours
        pair = []
        for key in ("warn", "bad"):
            if f"{name}.{key}" not in form:
                pair.append(current.get(name, {}).get(f"{key}_{direction}"))
                continue
            raw = (form.get(f"{name}.{key}") or "").strip()
            typed[f"{name}.{key}"] = raw[:64]
            value = None
            try:
                if len(raw) > 32:
                    raise ValueError(raw)
                value = float(raw.removesuffix("%") if unit == "share" else raw) if raw else None
            except ValueError:
                errors[f"{name}.{key}"] = [_("Enter a number, or leave it empty for no colour.")]
            pair.append(value / 100 if value is not None and unit == "share" else value)
        limits[name] = tuple(pair)
    return limits, typed, errors


@bp.route("/admin/wallboard", methods=["GET", "POST"])
def colours():
    actor = page_actor()
    if not actor.is_supervisor or (request.method == "POST" and not actor.is_admin):
        abort(403)
    if request.method == "GET":
        return _page(_rows(tile_settings.effective(current_app.config)))
    if not StopForm().validate_on_submit():  # the CSRF token only
        return _page(_rows(tile_settings.effective(current_app.config)), 400,
                     _("The form had expired: nothing was saved. Please try again."))
    if request.form.get("restore"):
        wallboard_settings.restore_configured_thresholds(actor)
        flash(_("The wallboard colours are the configured ones again."), "success")
        return redirect(url_for(".colours"))
    limits, typed, errors = _read(request.form, tile_settings.effective(current_app.config))
    if not errors:
        try:
            wallboard_settings.save_tile_thresholds(limits, actor)
        except ValidationFailed as err:
            errors = (err.details or {}).get("fields") or {}
        else:
            flash(_("Wallboard colours saved: every screen shows them at its next redraw."), "success")
            return redirect(url_for(".colours"))
    return _page(_rows(tile_settings.effective(current_app.config), typed, errors), 400, _("Some limits need correcting: see the messages beside them."))

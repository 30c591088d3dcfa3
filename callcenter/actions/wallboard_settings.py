"""The wallboard's colours: an admin saves a warning and a bad limit per tile, or restores the
configured ones. Each save is in the set-up log; every screen colours by it at its next redraw."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..actors import Actor
from ..db_types import utcnow
from ..directory import catalogue, log
from ..errors import ValidationFailed
from ..kpi import formulas, tile_settings
from . import unit_of_work

PROBLEMS = {
    "unknown": _l("No such tile."),
    "range": _l("Out of range for this tile."),
    "order": _l("The bad limit must lie beyond the warning one."),
}


def save_tile_thresholds(limits: dict[str, tuple[float | None, float | None]], actor: Actor,
                         now: datetime | None = None) -> dict:
    """limits: {tile: (warn, bad)}, None where that colour is not used; tiles not given keep
    theirs. Every limit is checked before anything is saved; refusals are named "tile.warn"
    or "tile.bad". Only what differs from the configured rules is kept, so a later change to
    the configuration still reaches the tiles nobody set here."""
    catalogue.require_admin(actor)
    now = now or utcnow()
    rules, errors = {}, {}
    for name, (warn, bad) in limits.items():
        rule, problems = formulas.tile_rule(name, warn, bad)
        errors.update({f"{name}.{key}": [str(PROBLEMS[code])] for key, code in problems.items()})
        rules[name] = rule
    if errors:
        raise ValidationFailed(_("Some limits need correcting: see the messages beside them."), {"fields": errors})
    configured = tile_settings.configured(current_app.config)
    with unit_of_work():
        kept = {**tile_settings.saved(), **rules}
        kept = {name: rule for name, rule in kept.items() if rule != configured.get(name, {})}
        tile_settings.save(kept, now)
        log.record(actor, "wallboard.colours_saved", "wallboard colours", now, tiles=kept)
    return kept


def restore_configured_thresholds(actor: Actor, now: datetime | None = None) -> None:
    catalogue.require_admin(actor)
    now = now or utcnow()
    with unit_of_work():
        tile_settings.save({}, now)
        log.record(actor, "wallboard.colours_restored", "wallboard colours", now)

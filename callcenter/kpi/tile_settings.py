"""The wallboard's colours as the desk saved them (the settings page), laid over the
configuration's and the defaults (formulas.thresholds)."""
from __future__ import annotations

from datetime import datetime

from ..extensions import db
from . import formulas
from .models import WallboardSettings


def saved() -> dict:
    """The per-tile rules saved on the settings page (only those that differ from the configuration's)."""
    row = db.session.get(WallboardSettings, 1)
    return dict(row.tile_thresholds or {}) if row else {}


def configured(config) -> dict:
    """The rules before the page's: the defaults with KPI_TILE_THRESHOLDS and the service-level goal."""
    return formulas.thresholds(config["KPI_TILE_THRESHOLDS"], config["KPI_SERVICE_LEVEL_GOAL"])


def effective(config) -> dict:
    """The rules the wallboard colours by."""
    return formulas.thresholds(config["KPI_TILE_THRESHOLDS"], config["KPI_SERVICE_LEVEL_GOAL"], saved())


def save(rules: dict, now: datetime) -> None:
    row = db.session.get(WallboardSettings, 1, with_for_update=True)  # one save at a time
    if row is None:  # a schema made without the migrations, which insert the row
        row = WallboardSettings(id=1, tile_thresholds={})
        db.session.add(row)
    row.tile_thresholds, row.updated_at = dict(rules), now

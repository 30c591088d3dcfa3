"""RQ jobs of the figures: thin, safe to run twice."""
from __future__ import annotations

import logging

from flask import current_app

from ..actions import report_subscriptions
from ..db_types import utcnow
from ..jobs import app_job
from . import forecasts, staffing

log = logging.getLogger(__name__)


@app_job
def send_reports() -> int:
    sent = report_subscriptions.send_due()
    if sent:
        log.info("report subscriptions: %d report(s) mailed", sent)
    return sent


@app_job
def keep_forecasts() -> int:
    """The staffing forecasts of this hour and the next, worked out before a wallboard asks."""
    return forecasts.keep_ahead(utcnow(), staffing.settings_from(current_app.config))

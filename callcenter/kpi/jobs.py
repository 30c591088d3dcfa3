"""RQ jobs of the figures: thin, safe to run twice."""
from __future__ import annotations

import logging

from ..actions import report_subscriptions
from ..jobs import app_job

log = logging.getLogger(__name__)


@app_job
def send_reports() -> int:
    sent = report_subscriptions.send_due()
    if sent:
        log.info("report subscriptions: %d report(s) mailed", sent)
    return sent

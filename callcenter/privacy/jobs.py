"""The retention job: thin, idempotent (a ticket anonymised is never picked again)."""
from __future__ import annotations

import logging

from flask import current_app

from ..actions import privacy
from ..db_types import utcnow
from ..jobs import app_job

log = logging.getLogger(__name__)


@app_job
def retention() -> int:
    """Periodic: anonymise closed tickets past RETENTION_DAYS."""
    done = privacy.retention(utcnow(), current_app.config["RETENTION_DAYS"])
    if done:  # a routine run says nothing
        log.info("retention: anonymised %d closed ticket(s)", done)
    return done

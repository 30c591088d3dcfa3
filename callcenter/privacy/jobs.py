"""The retention job: thin, idempotent (a ticket anonymised is never picked again)."""
from __future__ import annotations

from flask import current_app

from ..actions import privacy
from ..db_types import utcnow
from ..jobs import app_job


@app_job
def retention() -> int:
    """Periodic: anonymise closed tickets past RETENTION_DAYS."""
    return privacy.retention(utcnow(), current_app.config["RETENTION_DAYS"])

"""The retention job: thin, idempotent (a ticket anonymised is never picked again)."""
from __future__ import annotations

from flask import current_app

from ..db_types import utcnow
from ..jobs import app_job
from .services import retention_sweep


@app_job
def retention() -> int:
    """Periodic: anonymise closed tickets past RETENTION_DAYS, a batch at a time until none is left."""
    done = total = retention_sweep(utcnow(), current_app.config["RETENTION_DAYS"])
    while done:
        done = retention_sweep(utcnow(), current_app.config["RETENTION_DAYS"])
        total += done
    return total

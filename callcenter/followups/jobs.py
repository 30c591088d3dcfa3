"""RQ jobs for follow-ups: thin, taking ids, safe to run twice (each re-reads the row)."""
from __future__ import annotations

import logging

from ..actions import followup_routing, followups
from ..jobs import app_job

log = logging.getLogger(__name__)


@app_job
def due(followup_id: int) -> str:
    return followup_routing.due(followup_id)


@app_job
def route(followup_id: int) -> int | None:
    return followup_routing.route_followup(followup_id)


@app_job
def warn(followup_id: int) -> bool:
    return followups.warn(followup_id)


@app_job
def sweep() -> dict:
    result = followups.sweep()
    if any(result.values()):  # a routine sweep says nothing
        log.info("follow-up sweep: %s", ", ".join(f"{k} {v}" for k, v in result.items() if v))
    return result

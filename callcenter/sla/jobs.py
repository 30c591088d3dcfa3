"""RQ jobs for SLA clocks: thin, taking ids, safe to run twice."""
from __future__ import annotations

import logging

from ..actions import sla
from ..jobs import app_job

log = logging.getLogger(__name__)


@app_job
def check_clock(clock_id: int) -> list[str]:
    return sla.check(clock_id)


@app_job
def sweep() -> int:
    fired = sla.sweep()
    if fired:  # a routine sweep says nothing
        log.info("SLA sweep: %d clock level(s) fired", fired)
    return fired


@app_job
def retarget_policy(policy_id: int) -> int:
    return sla.retarget_policy(policy_id)


@app_job
def recompute_calendar(calendar_id: int) -> int:
    return sla.recompute_calendar(calendar_id)

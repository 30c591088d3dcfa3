"""RQ jobs for SLA clocks: thin, taking ids, safe to run twice."""
from __future__ import annotations

from ..actions import sla
from ..jobs import app_job


@app_job
def check_clock(clock_id: int) -> list[str]:
    return sla.check(clock_id)


@app_job
def sweep() -> int:
    return sla.sweep()


@app_job
def retarget_policy(policy_id: int) -> int:
    return sla.retarget_policy(policy_id)


@app_job
def recompute_calendar(calendar_id: int) -> int:
    return sla.recompute_calendar(calendar_id)

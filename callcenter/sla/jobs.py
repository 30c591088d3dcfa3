"""RQ jobs for SLA clocks: thin, taking ids, safe to run twice."""
from __future__ import annotations

from ..jobs import app_job
from . import service


@app_job
def check_clock(clock_id: int) -> list[str]:
    return service.check(clock_id)


@app_job
def sweep() -> int:
    return service.sweep()


@app_job
def retarget_policy(policy_id: int) -> int:
    return service.retarget_policy(policy_id)


@app_job
def recompute_calendar(calendar_id: int) -> int:
    return service.recompute_calendar(calendar_id)

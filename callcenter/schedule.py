"""Periodic jobs, declared as data.

Each run is an RQ job whose id names its time slot (periodic-<name>-<epoch>), so the worker
reconciling at start, a job scheduling its successor, and several workers doing both at once
all produce the same job id for a slot: duplicates collapse, and a lost schedule is rebuilt
by the next worker start or the next run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from rq import Queue, get_current_job
from rq.registry import ScheduledJobRegistry
from rq.utils import import_attribute

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str
    every: timedelta
    queue: str = "low"


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("routing-sweep", "callcenter.routing.jobs.sweep", timedelta(seconds=30), queue="high"),
    Periodic("sla-sweep", "callcenter.sla.jobs.sweep", timedelta(seconds=30), queue="high"),
    Periodic("followup-sweep", "callcenter.followups.jobs.sweep", timedelta(seconds=15), queue="high"),
    Periodic("resend-unsent-messages", "callcenter.notifications.jobs.resend_unsent", timedelta(seconds=30)),
    Periodic("presence-sweep", "callcenter.agents.jobs.away_without_console", timedelta(seconds=15), queue="low"),
    Periodic("privacy-retention", "callcenter.privacy.jobs.retention", timedelta(hours=1)),
    Periodic("report-subscriptions", "callcenter.kpi.jobs.send_reports", timedelta(minutes=5), queue="low"),
    Periodic("staffing-forecasts", "callcenter.kpi.jobs.keep_forecasts", timedelta(minutes=5), queue="low"),
)
BY_NAME = {p.name: p for p in SCHEDULE}


def next_due(periodic: Periodic, now: datetime) -> datetime:
    """The next slot boundary after now (slots are aligned to the epoch). Pure."""
    every = periodic.every.total_seconds()
    slot = int(now.timestamp() // every) + 1
    return datetime.fromtimestamp(slot * every, tz=timezone.utc)


def job_id(periodic: Periodic, due: datetime) -> str:
    return f"periodic-{periodic.name}-{int(due.timestamp())}"


def _schedule(connection, periodic: Periodic, now: datetime) -> str:
    due = next_due(periodic, now)
    jid = job_id(periodic, due)
    Queue(periodic.queue, connection=connection).enqueue_at(
        due, run_periodic, periodic.name, job_id=jid, result_ttl=600, failure_ttl=86400)
    return jid


def declared_name(job_id: str) -> str | None:
    """The periodic job a scheduled id stands for ('periodic-sla-sweep-1764582000' -> 'sla-sweep'), or
    None when the id is no periodic job's. Pure."""
    if not job_id.startswith("periodic-"):
        return None
    name, _sep, slot = job_id[len("periodic-"):].rpartition("-")
    return name if slot.isdigit() and name else None


def ensure_scheduled(connection, now: datetime | None = None) -> list[str]:
    """Reconcile Redis with SCHEDULE, both ways (as Redash's schedule_periodic_jobs does): every
    declared job with no future run waiting is scheduled; a run of a job no longer declared is
    removed. Returns the ids scheduled."""
    now = now or datetime.now(timezone.utc)
    made = []
    for queue in {p.queue for p in SCHEDULE} | {"high", "default", "low"}:
        registry = ScheduledJobRegistry(queue, connection=connection)
        for jid in registry.get_job_ids():
            name = declared_name(jid)
            if name is not None and name not in BY_NAME:
                registry.remove(jid, delete_job=True)
                log.warning("removed the run %s of a periodic job no longer declared", jid)
    for periodic in SCHEDULE:
        registry = ScheduledJobRegistry(periodic.queue, connection=connection)
        prefix = f"periodic-{periodic.name}-"
        if not any(jid.startswith(prefix) for jid in registry.get_job_ids()):
            made.append(_schedule(connection, periodic, now))
    return made


def run_periodic(name: str):
    """The RQ job: schedule the next run first (so a crash here loses nothing), then run. A
    name no longer declared (a run left from an older release) does nothing and ends its line."""
    periodic = BY_NAME.get(name)
    if periodic is None:
        log.warning("periodic job %r is no longer declared; not run, not scheduled again", name)
        return None
    job = get_current_job()
    if job is not None:
        _schedule(job.connection, periodic, datetime.now(timezone.utc))
    return import_attribute(periodic.func)()

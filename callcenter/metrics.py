"""GET /metrics for Prometheus (prometheus-client): request latency, the job queues' depth, the
tickets waiting and breached now, and the jobs' outcomes and lateness.

Counters and histograms live in the process that counts them. Under gunicorn with several
processes, and with workers beside them, set PROMETHEUS_MULTIPROC_DIR (one directory per host,
emptied before the processes start): every process then writes its values there, and
/metrics adds them up (prometheus-client's multiprocess mode; deploy/gunicorn.conf.py marks a
finished process dead). The figures of now (queues, tickets) are read at each scrape, from Redis
and the database, so they are the same whichever process answers."""
from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from rq import Queue
from sqlalchemy import func, select

from .db_types import utcnow
from .extensions import db, limiter, rq_connection
from .routing.queries import queue_stats
from .tickets import lifecycle
from .tickets.models import Ticket

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram("callcenter_http_request_duration_seconds", "Time to answer a request",
                            ["method", "endpoint", "status"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
JOBS = Counter("callcenter_jobs", "Jobs run, by function and outcome (ok, failed)", ["job", "outcome"])
JOB_LATENESS = Histogram("callcenter_job_lateness_seconds",
                         "From a job's enqueueing (a timer's: its due time) to its start", ["queue"],
                         buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300))


class NowCollector:
    """The figures of now, read at each scrape: the depth of each job queue, the tickets waiting
    for an agent and the oldest wait, and the open tickets whose SLA is breached."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        with self.app.app_context():
            depth = GaugeMetricFamily("callcenter_job_queue_depth", "Jobs waiting in each RQ queue", labels=["queue"])
            for name in self.app.config["RQ_QUEUES"]:
                depth.add_metric([name], Queue(name, connection=rq_connection()).count)
            yield depth
            try:
                stats = queue_stats(utcnow())
                breached = db.session.scalar(select(func.count(Ticket.id)).where(
                    Ticket.status.in_(lifecycle.OPEN_STATUSES), Ticket.sla_state == "breached"))
            finally:
                db.session.remove()
            yield GaugeMetricFamily("callcenter_tickets_waiting", "Tickets waiting for an agent", value=stats["waiting"])
            yield GaugeMetricFamily("callcenter_oldest_wait_seconds", "How long the oldest waiting ticket has waited",
                                    value=stats["oldest_wait_seconds"])
            yield GaugeMetricFamily("callcenter_sla_breached_open_tickets", "Open tickets with an SLA clock breached",
                                    value=breached)


def _registry(app) -> CollectorRegistry:
    """This process's metrics, or every process's in multiprocess mode, and the figures of now."""
    path = app.config.get("PROMETHEUS_MULTIPROC_DIR")
    registry = CollectorRegistry(auto_describe=False)
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        for collector in (REQUEST_SECONDS, JOBS, JOB_LATENESS):
            registry.register(collector)
    registry.register(NowCollector(app))
    return registry


@bp.route("/metrics")
@limiter.exempt
def metrics():
    """Prometheus text format. With METRICS_TOKEN set, only `Authorization: Bearer <token>`."""
    token = current_app.config.get("METRICS_TOKEN")
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        abort(401)
    registry = current_app.extensions.get("callcenter.metrics")
    if registry is None:
        registry = current_app.extensions["callcenter.metrics"] = _registry(current_app)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"  # a bounded set of names
        REQUEST_SECONDS.labels(request.method, rule, str(response.status_code)).observe(time.perf_counter() - started)
    return response


def init_app(app) -> None:
    app.config.setdefault("PROMETHEUS_MULTIPROC_DIR", os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None)
    app.config.setdefault("METRICS_TOKEN", os.environ.get("METRICS_TOKEN") or None)
    app.before_request(_started)
    app.after_request(_answered)
    app.register_blueprint(bp)


# ---------------------------------------------------------------- jobs (called by worker.py)

def job_started(job, queue_name: str) -> None:
    enqueued = job.enqueued_at
    if enqueued is not None:
        if enqueued.tzinfo is None:
            from datetime import timezone

            enqueued = enqueued.replace(tzinfo=timezone.utc)
        JOB_LATENESS.labels(queue_name).observe(max(0.0, (utcnow() - enqueued).total_seconds()))


def job_finished(job, outcome: str) -> None:
    JOBS.labels(job.func_name or "?", outcome).inc()

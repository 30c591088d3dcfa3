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
import logging
import os
import time
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
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
log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram("callcenter_http_request_duration_seconds", "Time to answer a request",
                            ["method", "endpoint", "status"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
JOBS = Counter("callcenter_jobs", "Jobs run, by function and outcome (ok, retried, failed: given up on)", ["job", "outcome"])
JOB_LATENESS = Histogram("callcenter_job_lateness_seconds",
                         "From a job's enqueueing (a timer's: its due time) to its start", ["queue"],
                         buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300))


class NowCollector:
    """The figures of now, read at each scrape: the depth of each job queue, the tickets waiting
    for an agent and the oldest wait, and the open tickets whose SLA is breached. A source that
    fails leaves its figures out and says so (callcenter_scrape_source_up), so the counters of
    the processes still reach Prometheus during an outage."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        up = GaugeMetricFamily("callcenter_scrape_source_up", "1 if the scrape could read the source", labels=["source"])
        with self.app.app_context():
            try:
                depth = GaugeMetricFamily("callcenter_job_queue_depth", "Jobs waiting in each RQ queue",
                                          labels=["queue"])
                for name in self.app.config["RQ_QUEUES"]:
                    depth.add_metric([name], Queue(name, connection=rq_connection()).count)
                yield depth
                up.add_metric(["redis"], 1)
            except Exception:  # noqa: BLE001 - a scrape reports an outage, it does not fail with it
                log.warning("metrics: the job queues could not be read", exc_info=True)
                up.add_metric(["redis"], 0)
            try:
                stats = queue_stats(utcnow())
                breached = db.session.scalar(select(func.count(Ticket.id)).where(
                    Ticket.status.in_(lifecycle.OPEN_STATUSES), Ticket.sla_state == "breached"))
            except Exception:  # noqa: BLE001
                log.warning("metrics: the database could not be read", exc_info=True)
                up.add_metric(["database"], 0)
            else:
                up.add_metric(["database"], 1)
                yield GaugeMetricFamily("callcenter_tickets_waiting", "Tickets waiting for an agent",
                                        value=stats["waiting"])
                yield GaugeMetricFamily("callcenter_oldest_wait_seconds", "How long the oldest waiting ticket has waited",
                                        value=stats["oldest_wait_seconds"])
                yield GaugeMetricFamily("callcenter_sla_breached_open_tickets", "Open tickets with an SLA clock breached",
                                        value=breached)
            finally:
                db.session.remove()
        yield up


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
    given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    if token and not hmac.compare_digest(given, f"Bearer {token}".encode()):
        abort(401)
    registry = current_app.extensions.get("callcenter.metrics")
    if registry is None:
        registry = current_app.extensions["callcenter.metrics"] = _registry(current_app)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _started() -> None:
    g.metrics_started = time.perf_counter()


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _answered(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        try:  # a label set that stays small whatever clients send: route rules, known methods
            rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
            method = request.method if request.method in METHODS else "other"
            REQUEST_SECONDS.labels(method, rule, str(response.status_code)).observe(time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - counting never breaks an answer
            log.warning("metrics: a request could not be counted", exc_info=True)
    return response


def init_app(app) -> None:
    app.config.setdefault("PROMETHEUS_MULTIPROC_DIR", os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None)
    app.config.setdefault("METRICS_TOKEN", os.environ.get("METRICS_TOKEN") or None)
    app.before_request_funcs.setdefault(None, []).insert(0, _started)  # before the rate limiter's: a 429 is timed too
    app.after_request(_answered)
    app.register_blueprint(bp)


# ---------------------------------------------------------------- jobs (called by worker.py)

def serve_job_metrics(port: int, addr: str) -> None:
    """A worker machine has no web process to scrape: the worker serves the job counts and
    lateness itself (prometheus-client's own HTTP server, in a thread). With
    PROMETHEUS_MULTIPROC_DIR set, the values of every worker on the host; else this process's.
    The figures of now (queues, tickets) stay with the web processes' /metrics."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    registry = CollectorRegistry(auto_describe=False)
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        for collector in (JOBS, JOB_LATENESS):
            registry.register(collector)
    start_http_server(port, addr=addr, registry=registry)


def job_started(job, queue_name: str) -> None:
    """Lateness from the due time of a timer (kept in its meta by events.py: RQ's scheduler
    resets enqueued_at when it moves the job to its queue), else from the enqueueing."""
    try:
        due = (job.meta or {}).get("due_at")
        since = datetime.fromisoformat(due) if due else job.enqueued_at
        if since is not None:
            since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
            JOB_LATENESS.labels(queue_name).observe(max(0.0, (utcnow() - since).total_seconds()))
    except Exception:  # noqa: BLE001 - counting never stops a job
        log.warning("metrics: a job's lateness could not be counted", exc_info=True)


def job_finished(job, outcome: str) -> None:
    try:
        JOBS.labels(job.func_name or "?", outcome).inc()
    except Exception:  # noqa: BLE001 - a job that cannot be read back is RQ's to report
        JOBS.labels("?", outcome).inc()

"""Customer emails go out through real RQ workers, after the ticket commits, once."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from callcenter.extensions import db
from callcenter.notifications import delivery
from callcenter.notifications.jobs import deliver
from callcenter.notifications.models import OutboundMessage, OutboundStatus
from tests.factories import ticket_body

ROOT = Path(__file__).resolve().parents[2]


def _run_worker(app):
    import redis

    conn = redis.Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():  # as `flask worker` runs it: jobs use this app's database
        SimpleWorker(app.config["RQ_QUEUES"], connection=conn).work(burst=True)
    return conn


def _messages(app):
    with app.app_context():
        return [(m.recipient, m.status.value, m.attempts, m.subject)
                for m in db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))]


def test_acknowledgement_is_queued_with_the_ticket_and_sent_by_a_worker(app, api, monkeypatch):
    sent = []
    monkeypatch.setattr(delivery, "send", lambda config, to, subject, body: sent.append((to, subject, body)))
    t = api.post("/api/v1/tickets", json=ticket_body(language="en")).json
    assert _messages(app) == [("liu@example.cn", "queued", 0, f"We received your request {t['reference']}")]
    conn = _run_worker(app)
    assert _messages(app)[0][1:3] == ("sent", 1)
    assert len(sent) == 1 and t["reference"] in sent[0][2] and "/t/" in sent[0][2]
    # Delivering the same message again (a retried job) sends nothing.
    with app.app_context():
        message_id = db.session.scalar(select(OutboundMessage.id))
    Queue("default", connection=conn).enqueue(deliver, message_id)
    _run_worker(app)
    assert len(sent) == 1


def test_chinese_customers_get_chinese_mail(app, api, monkeypatch):
    monkeypatch.setattr(delivery, "send", lambda *a: None)
    api.post("/api/v1/tickets", json=ticket_body(language="zh"))
    assert "已收到" in _messages(app)[0][3]


def test_no_email_no_message(app, api):
    api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x", "phone": "13800000000"}))
    assert _messages(app) == []


def test_a_failed_delivery_is_recorded_and_tried_again_later_with_backoff(app, api, monkeypatch):
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from callcenter.notifications.services import RETRIES

    def broken(*_a):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(delivery, "send", broken)
    api.post("/api/v1/tickets", json=ticket_body())
    conn = _run_worker(app)
    assert _messages(app)[0][1:3] == ("failed", 1)
    retrying = ScheduledJobRegistry("default", connection=conn).get_job_ids()
    assert len(retrying) == 1 and FailedJobRegistry("default", connection=conn).count == 0
    job = Job.fetch(retrying[0], connection=conn)
    assert job.retries_left == len(RETRIES) - 1 and job.retry_intervals == list(RETRIES)
    with app.app_context():
        assert "smtp down" in db.session.scalar(select(OutboundMessage.last_error))


def test_the_worker_command_processes_jobs_in_its_own_process(app, api):
    api.post("/api/v1/tickets", json=ticket_body())
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "CALLCENTER_ENV": "testing", "MAIL_BACKEND": "log"}
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _messages(app)[0][1] == OutboundStatus.sent.value


def test_the_resend_sweep_requeues_a_message_whose_job_is_gone(app, api, redis, monkeypatch):
    """The sweep function on its own; that the periodic sweep does this by itself after Redis is
    lost is shown with real processes in test_faults.py."""
    from datetime import timedelta

    from callcenter.notifications.jobs import resend_unsent

    sent = []
    monkeypatch.setattr(delivery, "send", lambda config, to, subject, body: sent.append(to))
    api.post("/api/v1/tickets", json=ticket_body())
    redis.flushdb()  # the delivery job is gone, as if Redis had been lost
    with app.app_context():
        for message in db.session.scalars(select(OutboundMessage)):
            message.created_at -= timedelta(minutes=5)
        db.session.commit()
        assert resend_unsent() == 1
    _run_worker(app)
    assert sent == ["liu@example.cn"] and _messages(app)[0][1] == "sent"


def test_periodic_jobs_are_scheduled_once_however_often_workers_start(app, redis):
    import redis as redis_lib
    from rq.registry import ScheduledJobRegistry

    from callcenter.schedule import SCHEDULE, ensure_scheduled

    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    first = ensure_scheduled(conn)
    assert len(first) == len(SCHEDULE)
    assert ensure_scheduled(conn) == []
    ids = [jid for p in {p.queue for p in SCHEDULE} for jid in ScheduledJobRegistry(p, connection=conn).get_job_ids()]
    assert sorted(ids) == sorted(first)


def test_periodic_jobs_are_reconciled_both_ways(app, redis):
    """A run of a job no longer declared (left by an older release) is removed at the next
    reconciliation, and an unknown name in a run does nothing instead of failing."""
    from datetime import datetime, timedelta, timezone

    import redis as redis_lib
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from callcenter.schedule import SCHEDULE, declared_name, ensure_scheduled, run_periodic

    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    gone = "periodic-retired-report-1764582000"
    Queue("low", connection=conn).enqueue_at(datetime.now(timezone.utc) + timedelta(minutes=5), run_periodic,
                                            "retired-report", job_id=gone)
    ensure_scheduled(conn)
    left = {jid for q in ("high", "default", "low") for jid in ScheduledJobRegistry(q, connection=conn).get_job_ids()}
    assert gone not in left and {declared_name(j) for j in left} == {p.name for p in SCHEDULE}
    with app.app_context():
        assert run_periodic("retired-report") is None
    assert declared_name("periodic-sla-sweep-1764582000") == "sla-sweep" and declared_name("sla-1-2-3") is None

"""Faults with real processes: a web process killed mid-load, Redis flushed, stopped and restarted,
PostgreSQL stopped. Each test does by hand only what the fault does, then watches the system
recover by itself. The web processes run the production profile under gunicorn."""
from __future__ import annotations

import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from callcenter.extensions import db
from callcenter.notifications.models import OutboundMessage, OutboundStatus
from callcenter.schedule import SCHEDULE
from callcenter.sla.models import SlaClock, SlaFired
from callcenter.tickets.models import Ticket, TicketEvent
from tests.factories import ticket_body
from tests.processes import (
    PrivatePostgres,
    PrivateRedis,
    app_env,
    flask,
    free_port,
    kill,
    scheduled_periodic,
    start_web,
    start_worker,
    wait_until,
)

pytestmark = pytest.mark.timeout(300)


def _prod_env(database_url: str, redis_url: str) -> dict[str, str]:
    return app_env(database_url, redis_url, CALLCENTER_ENV="production", SECRET_KEY="fault-test-secret",
                   SESSION_COOKIE_SECURE="0", MAIL_BACKEND="log")


def _post(base, token, body, key=None, timeout=10):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(f"{base}/api/v1/tickets", json=body, headers=headers, timeout=timeout)


def _policy(base, token, first):
    r = requests.post(f"{base}/api/v1/sla-policies", headers={"Authorization": f"Bearer {token}"}, json={
        "name": "quick", "match": {}, "calendar": "24x7", "warn_at": [], "escalation": [],
        "targets": {"first_response_seconds": first, "resolution_seconds": 3600}}, timeout=10)
    assert r.status_code == 201, r.text


def test_every_ticket_acknowledged_before_the_web_process_died_exists(app, world, tmp_path):
    redis = PrivateRedis().start()
    port = free_port()
    web = start_web(_prod_env(app.config["SQLALCHEMY_DATABASE_URI"], redis.url), port, tmp_path / "web.log")
    base, token = f"http://127.0.0.1:{port}", world.tokens["boss"]
    acknowledged, statuses, stop = {}, [], threading.Event()

    def client():
        while not stop.is_set():
            subject = f"load {uuid.uuid4().hex[:12]}"
            try:
                r = _post(base, token, ticket_body(subject=subject, category="billing"), key=subject)
            except requests.RequestException:
                return  # the server is gone
            statuses.append(r.status_code)
            if r.status_code == 201:
                acknowledged[r.json()["id"]] = subject

    threads = [threading.Thread(target=client) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        wait_until(lambda: len(acknowledged) >= 20, 60, what="20 tickets acknowledged")
        kill(web)  # the fault: SIGKILL mid-load, requests in flight
        stop.set()
        for t in threads:
            t.join(30)
    finally:
        stop.set()
        kill(web)
        redis.stop()
    assert statuses and all(s == 201 for s in statuses), sorted(set(statuses))
    with app.app_context():
        stored = dict(db.session.execute(select(Ticket.id, Ticket.subject).where(Ticket.id.in_(acknowledged))).all())
        assert stored == acknowledged  # every 201 the clients saw is a ticket, as they were told
        total = db.session.scalar(select(func.count(Ticket.id)))
        created = db.session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.kind == "created"))
        half = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.reference.is_(None)))
    assert created == total and half == 0  # nothing half-written: each ticket whole, with its audit
    assert total - len(acknowledged) <= 8  # at most the requests in flight committed unanswered


def test_tickets_are_taken_while_redis_is_down_and_every_timer_is_rebuilt_after(app, world, tmp_path):
    import redis as redis_lib

    redis = PrivateRedis().start()
    port = free_port()
    env = _prod_env(app.config["SQLALCHEMY_DATABASE_URI"], redis.url)
    web = start_web(env, port, tmp_path / "web.log")
    worker = start_worker(env, tmp_path / "worker.log")
    base, token = f"http://127.0.0.1:{port}", world.tokens["boss"]
    try:
        _policy(base, world.tokens["admin"], first=10)
        wait_until(lambda: scheduled_periodic(redis_lib.Redis.from_url(redis.url)) == {p.name for p in SCHEDULE}, 30, what="the schedule")
        before = _post(base, token, ticket_body(subject="before the flush")).json()["id"]
        redis_lib.Redis.from_url(redis.url).flushall()  # fault 1: everything Redis held is gone
        redis.stop()  # fault 2: and then Redis itself
        health = requests.get(f"{base}/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["failing"] == ["redis"]
        during = []
        for i in range(5):
            r = _post(base, token, ticket_body(subject=f"while redis is down {i}"))
            assert r.status_code == 201, r.text
            during.append(r.json()["id"])
        redis.start()  # the fault ends: Redis is back, empty, on its port
        # Every timer comes back: the schedule, each ticket's clock, each acknowledgement.
        wait_until(lambda: scheduled_periodic(redis_lib.Redis.from_url(redis.url)) == {p.name for p in SCHEDULE}, 30,
                   what="the periodic jobs to be scheduled again")

        def all_breached():
            with app.app_context():
                return db.session.scalar(select(func.count(SlaFired.id)).where(
                    SlaFired.level == "breach", SlaFired.ticket_id.in_([before, *during]))) == 6
        wait_until(all_breached, 120, what="every clock to fire")

        def all_sent():
            with app.app_context():
                return db.session.scalar(select(func.count(OutboundMessage.id)).where(
                    OutboundMessage.ticket_id.in_([before, *during]),
                    OutboundMessage.status != OutboundStatus.sent)) == 0
        wait_until(all_sent, 120, what="every acknowledgement to be sent")
    finally:
        kill(worker)
        kill(web)
        redis.stop()
    with app.app_context():
        late = []
        for clock in db.session.scalars(select(SlaClock).where(SlaClock.ticket_id.in_(during),
                                                               SlaClock.name == "first_response")):
            fired = db.session.scalar(select(SlaFired.fired_at).where(SlaFired.clock_id == clock.id))
            late.append((fired - clock.due_at).total_seconds())
        assert max(late) < 60, late
        assert db.session.scalar(select(func.count(SlaFired.id)).where(SlaFired.level == "breach")) == 6  # once each


def test_with_postgresql_stopped_the_api_answers_503_and_recovers_by_itself(tmp_path):
    pg = PrivatePostgres().start()
    redis = PrivateRedis().start()
    env = _prod_env(pg.url, redis.url)
    web = worker = None
    try:
        flask(env, "db", "upgrade")
        flask(env, "users", "create", "ops@fault.cc", "--role", "admin", stdin="a-long-password\n")
        token = flask(env, "tokens", "create", "ops@fault.cc").strip()
        port = free_port()
        web = start_web(env, port, tmp_path / "web.log")
        worker = start_worker(env, tmp_path / "worker.log")
        base = f"http://127.0.0.1:{port}"
        body = {k: v for k, v in ticket_body().items() if k != "category"}
        assert _post(base, token, {**body, "subject": "before"}).status_code == 201
        pg.stop()  # the fault: the database goes away, as in a crash
        health = requests.get(f"{base}/healthz", timeout=15)
        assert health.status_code == 503 and health.json()["failing"] == ["db"]
        for attempt in (lambda: _post(base, token, {**body, "subject": "during"}),
                        lambda: requests.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {token}"},
                                             timeout=15)):
            r = attempt()
            assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable", r.text
            assert r.headers["Retry-After"]
        pg.start()  # the fault ends
        wait_until(lambda: requests.get(f"{base}/healthz", timeout=5).status_code == 200, 30,
                   what="healthz to recover")
        after = _post(base, token, {**body, "subject": "after"})
        assert after.status_code == 201
        listed = requests.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        assert sorted(t["subject"] for t in listed["items"]) == ["after", "before"]  # nothing half-written
        # The worker lived through it: the new ticket's acknowledgement goes out.
        import sqlalchemy as sa

        engine = sa.create_engine(pg.url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            wait_until(lambda: conn.execute(sa.text(
                "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'")).scalar() == 0, 90,
                what="the worker to send every acknowledgement")
        engine.dispose()
    finally:
        for proc in (worker, web):
            if proc is not None:
                kill(proc)
        redis.stop()
        pg.remove()

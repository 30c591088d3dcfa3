"""Timers come back by themselves: after Redis loses everything, and after a worker is killed
holding the scheduler's lock. Real worker processes; the test does only what the fault does."""
from __future__ import annotations

import pytest
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from sqlalchemy import select

from callcenter.extensions import db
from callcenter.schedule import SCHEDULE
from callcenter.sla.models import SlaClock, SlaFired
from tests.factories import ticket_body
from tests.processes import app_env, kill, scheduled_periodic, start_worker, wait_until

pytestmark = pytest.mark.timeout(240)
LATE_AT_MOST = 60  # seconds after its due time, whatever happened before


def _policy(api, first):
    r = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "quick", "match": {"kind": "complaint"}, "calendar": "24x7", "warn_at": [], "escalation": [],
        "targets": {"first_response_seconds": first, "resolution_seconds": 3600}})
    assert r.status_code == 201, r.json


def _ticket(app, api):
    # no email: the clock's jobs are the only ones the worker meets
    t = api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x", "phone": "13800000000"})).json
    with app.app_context():
        clock = db.session.scalar(select(SlaClock).where(SlaClock.ticket_id == t["id"],
                                                         SlaClock.name == "first_response"))
    return t["id"], clock.due_at


def _breaches(app, ticket_id):
    with app.app_context():
        return db.session.scalars(select(SlaFired.fired_at).where(SlaFired.ticket_id == ticket_id,
                                                                  SlaFired.level == "breach")).all()


def _env(app):
    return app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])


def test_after_redis_loses_everything_timers_sweeps_and_seq_come_back_by_themselves(app, api, world, redis, tmp_path):
    from callcenter.events import next_seq

    _policy(api, first=12)
    worker = start_worker(_env(app), tmp_path / "worker.log")
    try:
        wait_until(lambda: scheduled_periodic(redis) == {p.name for p in SCHEDULE}, 30, what="the periodic jobs")
        ticket_id, due = _ticket(app, api)
        with app.app_context():
            seq_before = next_seq()
        redis.flushdb()  # the fault: the schedule, the clock's timer and the seq counter are gone
        wait_until(lambda: scheduled_periodic(redis) == {p.name for p in SCHEDULE}, 30,
                   what="the periodic jobs to be scheduled again")
        fired = wait_until(lambda: _breaches(app, ticket_id), LATE_AT_MOST + 25, what="the breach")
    finally:
        kill(worker)
    assert len(fired) == 1
    assert (fired[0] - due).total_seconds() < LATE_AT_MOST
    assert api.get(f"/api/v1/tickets/{ticket_id}").json["sla"]["state"] == "breached"
    with app.app_context():
        assert next_seq() > seq_before  # clients resyncing by seq never see it go back


def _lock_holder_pid(redis) -> int | None:
    owner = redis.get(RQScheduler.get_locking_key("high"))
    if owner is None:
        return None
    pid = redis.hget(SCHEDULER_KEY_TEMPLATE % owner, "pid")
    return int(pid) if pid else None


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_a_worker_killed_holding_the_schedulers_lock_leaves_the_timers_to_the_other(app, api, world, redis, tmp_path):
    _policy(api, first=15)
    workers = [start_worker(_env(app), tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        scheduler_pid = wait_until(lambda: _lock_holder_pid(redis), 30, what="a scheduler holding the lock")
        holder = next(w for w in workers if w.pid == _parent(scheduler_pid))
        kill(holder)  # the fault: SIGKILL to the worker and its scheduler; the lock stays in Redis
        assert redis.get(RQScheduler.get_locking_key("high")) is not None
        ticket_id, due = _ticket(app, api)
        fired = wait_until(lambda: _breaches(app, ticket_id), 15 + LATE_AT_MOST + 10, what="the breach")
    finally:
        for w in workers:
            kill(w)
    assert len(fired) == 1
    late = (fired[0] - due).total_seconds()
    assert late < LATE_AT_MOST, late


def test_a_queue_whose_scheduler_died_is_taken_over_by_a_worker_scheduling_the_others(app, api, world, redis, tmp_path):
    """Two workers starting together can split the queues' scheduler locks between them. The
    one holding `high` (the SLA timers and sweeps) then dies: the survivor, whose own scheduler
    runs for the other queues, must take `high` over too."""
    from datetime import datetime, timezone

    from rq.utils import utcformat

    dead = "dead-worker-scheduler"
    # the fault as it stands after the kill: high's lock held by a scheduler whose last
    # heartbeat was just now and which will never beat again (RQ's own TTL: interval + 60)
    redis.hset(SCHEDULER_KEY_TEMPLATE % dead, mapping={"name": dead, "last_heartbeat": utcformat(datetime.now(timezone.utc))})
    redis.expire(SCHEDULER_KEY_TEMPLATE % dead, 61)
    redis.set(RQScheduler.get_locking_key("high"), dead, ex=61)
    _policy(api, first=2)
    worker = start_worker(_env(app), tmp_path / "worker.log")
    try:
        wait_until(lambda: redis.get(RQScheduler.get_locking_key("default")) not in (None, dead.encode()), 30,
                   what="the worker's scheduler to take the other queues")
        ticket_id, due = _ticket(app, api)
        fired = wait_until(lambda: _breaches(app, ticket_id), 55, what="the breach (high's scheduler taken over)")
    finally:
        kill(worker)
    assert len(fired) == 1
    assert (fired[0] - due).total_seconds() < 50

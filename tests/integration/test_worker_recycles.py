"""A worker starts afresh after WORKER_MAX_JOBS jobs (its memory given back): in the same
process, losing no job, running none twice, and its scheduler still moving due timers."""
from __future__ import annotations

from datetime import timedelta

import redis as redis_lib
from rq import Queue

from tests.processes import app_env, start_worker, stop, wait_until

DONE = "test-recycle:done"


def _note(redis_url: str, n: int) -> None:
    redis_lib.Redis.from_url(redis_url).rpush(DONE, n)


def test_a_worker_past_its_job_limit_starts_afresh_in_the_same_process_losing_no_job(app, tmp_path):
    url = app.config["REDIS_URL"]
    conn = redis_lib.Redis.from_url(url)
    log = tmp_path / "worker.log"
    worker = start_worker(app_env(app.config["SQLALCHEMY_DATABASE_URI"], url, WORKER_MAX_JOBS="5"), log)
    try:
        low = Queue("low", connection=conn)
        for n in range(12):
            low.enqueue(_note, url, n)
        high = Queue("high", connection=conn)

        def done() -> list[int]:
            return sorted(int(v) for v in conn.lrange(DONE, 0, -1))
        wait_until(lambda: "starting afresh" in log.read_text(), 60, what="the worker's first fresh start")
        high.enqueue_in(timedelta(seconds=2), _note, url, 100)  # a timer due after a fresh start
        wait_until(lambda: 100 in done() and len(done()) == 13, 90, what="every job and the timer")
        assert done() == list(range(12)) + [100]  # none lost, none run twice
        assert worker.poll() is None, "the worker is the same process, still running"
        assert log.read_text().count("starting afresh") >= 2  # 12 jobs of its own and RQ's periodic ones
    finally:
        stop(worker)

"""`flask worker`: an RQ worker that keeps its own timers alive whatever happens to Redis.

RQ keeps the schedule in Redis: periodic jobs, per-clock timers, and the lock that says
which worker's scheduler moves due jobs onto the queues. Redis flushed, restarted, or a
worker killed with its lock still held, and RQ alone waits until a restart (periodic jobs)
or ten minutes (the lock). Each worker therefore runs a timekeeper thread that every few
seconds:

- schedules every periodic job that has no run waiting (schedule.ensure_scheduled: the job
  ids name their time slot, so several workers doing it at once collapse into one job);
- restarts its scheduler if it stopped (a scheduler dies when Redis goes away), or if a
  queue has no live scheduler, first breaking the lock of a scheduler that stopped sending
  heartbeats (a killed worker's).

The database is the truth: the periodic sweeps rebuild the lost per-clock timers from it.
"""
from __future__ import annotations

import logging
import re
import sys
import threading
import time

from flask.logging import default_handler
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

from . import metrics, request_ids
from .log_redaction import RedactPrivateLinks
from .schedule import ensure_scheduled

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
# A scheduler beats every second; one silent for this long is dead (or stuck), and its lock
# is taken so another can move the due jobs.
STALE_AFTER_SECONDS = 10.0
SCHEDULER_STOP_SECONDS = 5.0


def lock_owner(connection, queue_name: str) -> str | None:
    """The scheduler holding the queue's lock, if any."""
    owner = connection.get(RQScheduler.get_locking_key(queue_name))
    return owner.decode() if isinstance(owner, bytes) else owner


def is_silent(connection, queue_name: str, interval: float = 1.0) -> bool:
    """Whether the scheduler holding the queue's lock stopped refreshing it (dead, or stuck). A
    live scheduler sets the lock's expiry back to interval + 60 s at every heartbeat (each
    second); one that has not for STALE_AFTER_SECONDS is gone. The lock's own expiry is the
    clock, so a scheduler that has only just taken its lock is never mistaken for a dead one."""
    left_ms = connection.pttl(RQScheduler.get_locking_key(queue_name))
    if left_ms is None or left_ms < 0:  # -2: gone meanwhile; -1: no expiry (not RQ's lock)
        return left_ms == -1
    return left_ms < (interval + 60 - STALE_AFTER_SECONDS) * 1000


class Timekeeper(threading.Thread):
    def __init__(self, worker: Worker, connection, tick: float = TICK_SECONDS):
        super().__init__(name="timekeeper", daemon=True)
        self.worker, self.connection, self.tick = worker, connection, tick
        self.lock = threading.Lock()  # the worker's own maintenance restarts the scheduler too
        self.stopping = threading.Event()
        self.free_since: dict[str, float] = {}  # queue -> when its lock was first seen free

    def run(self) -> None:
        while not self.stopping.wait(self.tick):
            try:
                self.once()
            except RedisError as exc:  # Redis away: try again next tick
                log.warning("timekeeper: Redis unavailable (%s); retrying", type(exc).__name__)
            except Exception:  # noqa: BLE001 - the thread must outlive any one failure
                log.exception("timekeeper tick failed; retrying")

    def once(self) -> None:
        made = ensure_scheduled(self.connection)
        if made:
            log.warning("timekeeper: periodic jobs were missing (Redis flushed?); scheduled %s", ", ".join(made))
        self.revive_scheduler()

    def revive_scheduler(self) -> None:
        """Take every queue no live scheduler holds. A scheduler process keeps the locks it took
        when it started: two workers starting together can split the queues between them, and
        when the other one dies, this one's running scheduler would never take its queues (RQ
        looks again after ten minutes). So a scheduler running without them is restarted."""
        scheduler = self.worker.scheduler
        if scheduler is None:
            return
        with self.lock:
            orphaned = self.orphaned_queues(scheduler)
            running = scheduler._process is not None and scheduler._process.is_alive()
            if running and not orphaned:
                return
            if self.stopping.is_set():
                return  # the worker is shutting down: start nothing it would leave behind
            if running:
                log.warning("timekeeper: restarting the scheduler to take %s", ", ".join(orphaned))
                self.stop_scheduler_process(scheduler)
            for name in orphaned:
                self.free_since.pop(name, None)
            if scheduler.acquire_locks(auto_start=True):
                log.warning("timekeeper: scheduler (re)started for %s", ", ".join(sorted(scheduler.acquired_locks)))

    def orphaned_queues(self, scheduler: RQScheduler) -> list[str]:
        """The queues held by a silent scheduler (that lock is broken), or free for two ticks in a
        row (a lock is briefly free while another worker restarts its scheduler, or after Redis
        lost everything and before the running scheduler takes its own back)."""
        orphaned = []
        for name in scheduler._queue_names:
            owner = lock_owner(self.connection, name)
            if owner == scheduler.name:
                self.free_since.pop(name, None)
                continue
            if owner is not None:
                self.free_since.pop(name, None)
                if not is_silent(self.connection, name, scheduler.interval):
                    continue
                release_lock(self.connection, RQScheduler.get_locking_key(name), owner)
                log.warning("timekeeper: broke the scheduler lock of %s held by silent scheduler %s", name, owner)
                orphaned.append(name)
            elif self.free_since.setdefault(name, time.monotonic()) <= time.monotonic() - self.tick:
                orphaned.append(name)
        return orphaned

    @staticmethod
    def stop_scheduler_process(scheduler: RQScheduler) -> None:
        """SIGTERM: the scheduler finishes its pass and gives its locks back."""
        process = scheduler._process
        process.terminate()
        process.join(SCHEDULER_STOP_SECONDS)
        if process.is_alive():
            process.kill()  # its locks stay under this scheduler's name: acquire_locks refreshes them
            process.join(SCHEDULER_STOP_SECONDS)


# RQ's INFO lines about routine work: a periodic run (its id, or its description) and the
# registries' clean-up every few minutes.
_ROUTINE = re.compile(r"\bperiodic-[\w-]+-\d+\b|\.schedule\.run_periodic\(|cleaning registries")
_CONSOLE_FORMAT, _CONSOLE_DATES = "%(asctime)s %(message)s", "%H:%M:%S"  # RQ's own, for one console


class QuietRoutine(logging.Filter):
    """RQ logs every job it starts and finishes at INFO; the periodic sweeps made that a dozen
    lines every 30 s. Those lines go; warnings and errors stay, as do other jobs' lines, and the
    sweeps log themselves when they did something."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not _ROUTINE.search(record.getMessage())


def quiet_routine_jobs() -> None:
    rq_log = logging.getLogger("rq.worker")
    if not any(isinstance(f, QuietRoutine) for f in rq_log.filters):
        rq_log.addFilter(QuietRoutine())


class _Console(logging.StreamHandler):
    def __init__(self, json_lines: bool = False) -> None:
        super().__init__(sys.stdout)
        self.setFormatter(request_ids.JsonLines() if json_lines else logging.Formatter(_CONSOLE_FORMAT, _CONSOLE_DATES))
        self.addFilter(RedactPrivateLinks())  # a logger's filter misses its children's records


def console_logging(app_logger: logging.Logger, *, quiet: bool = False, json_lines: bool = False) -> None:
    """`flask worker`'s console: our own lines from INFO up on stdout, private links redacted
    (nothing else configures a handler for them, so they were lost below WARNING). `quiet`
    (under `make run`) keeps RQ's own lines from warnings up. `json_lines` (LOG_FORMAT=json):
    every line, RQ's too, one JSON object naming the request that caused the job."""
    ours = logging.getLogger("callcenter")
    if not any(isinstance(h, _Console) for h in ours.handlers):
        ours.addHandler(_Console(json_lines))
    ours.setLevel(logging.INFO)
    if json_lines:  # one line a record, on stdout; and before RQ's own set-up, which then adds no handler
        ours.propagate = False
        for name in ("rq.worker", "rq.scheduler"):
            rq_log = logging.getLogger(name)
            if not any(isinstance(h, _Console) for h in rq_log.handlers):
                rq_log.addHandler(_Console(True))
            rq_log.propagate = False
    app_logger.removeHandler(default_handler)  # it would print the app's lines a second time
    if quiet:
        for name in ("rq.worker", "rq.scheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)


class _KeepsTime:
    """Mixed into RQ's workers: reconnects within seconds, shares the timekeeper's lock, and
    counts each job's outcome and lateness for /metrics (callcenter/metrics.py)."""

    max_connection_wait_time = 5.0
    timekeeper: Timekeeper | None = None
    log_result_lifespan = False  # "result is kept for 600 seconds" after every job said nothing

    def perform_job(self, job, queue):
        metrics.job_started(job, queue.name)
        tokens = request_ids.running_job((job.meta or {}).get("request_id"), job.id)  # its log lines say whose
        try:
            return super().perform_job(job, queue)
        finally:
            request_ids.finished(tokens)

    def teardown(self):
        """Before RQ stops the scheduler: no timekeeper tick may start it again (it would outlive
        the worker, holding the locks, and keep its exit waiting), and one under way is waited out."""
        if self.timekeeper is not None:
            self.timekeeper.stopping.set()
            with self.timekeeper.lock:
                pass
        return super().teardown()

    def handle_job_success(self, job, queue, started_job_registry):
        metrics.job_finished(job, "ok")
        return super().handle_job_success(job, queue, started_job_registry)

    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string=""):
        # RQ hands a failure it will retry to this same handler: count it as retried, so that
        # "failed" means a job given up on (the alert), whatever the retry settings.
        metrics.job_finished(job, "retried" if job.should_retry and self._stopped_job_id != job.id else "failed")
        return super().handle_job_failure(job, queue, started_job_registry=started_job_registry, exc_string=exc_string)

    def run_maintenance_tasks(self):
        if self.timekeeper is None:
            return super().run_maintenance_tasks()
        with self.timekeeper.lock:
            return super().run_maintenance_tasks()


class DeskWorker(_KeepsTime, SimpleWorker):
    """Runs each job in the worker process (about 3x the jobs per second of forking)."""


class ForkingDeskWorker(_KeepsTime, Worker):
    """Forks a child per job: slower, but a crashing job cannot take the worker with it."""


def run(queues: list[str], connection, *, burst: bool = False, fork: bool = False) -> None:
    """Work until asked to stop. RQ's worker quits when Redis fails under a running job; this
    one waits for Redis and starts working again in the same process, so a Redis restart needs
    no worker restart by anyone."""
    cls = ForkingDeskWorker if fork else DeskWorker
    quiet_routine_jobs()
    if burst:
        cls(queues, connection=connection).work(with_scheduler=True, burst=True)
        return
    while True:
        wait_for_redis(connection)
        worker = cls(queues, connection=connection)
        ensure_scheduled(connection)
        worker.timekeeper = Timekeeper(worker, connection)
        worker.timekeeper.start()
        try:
            worker.work(with_scheduler=True)
        except RedisError as exc:
            log.warning("worker lost Redis (%s); starting again when it answers", type(exc).__name__)
        finally:
            worker.timekeeper.stopping.set()
        if worker._stop_requested or worker._shutdown_requested_date is not None:  # SIGTERM or SIGINT
            return
        log.warning("worker %s stopped on an error; starting again", worker.name)


def wait_for_redis(connection, most: float = 5.0) -> None:
    delay = 0.5
    while True:
        try:
            connection.ping()
            return
        except RedisError:
            time.sleep(delay)
            delay = min(delay * 2, most)

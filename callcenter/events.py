"""Side effects after COMMIT only.

Services call emit_on_commit / enqueue_on_commit while they change rows; the socket emits
and RQ enqueues wait in session.info and run once the outermost transaction commits.
A rollback drops them, so no client hears of, and no job reads, a row that never existed.
"""
from __future__ import annotations

import calendar
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from . import request_ids
from .effects import RowId
from .event_schemas import EVENTS, NAMESPACE, errors
from .extensions import db, redis_client, rq_connection, socketio

log = logging.getLogger(__name__)

_KEY = "callcenter.after_commit"
SEQ_KEY = "cc:events:seq"


@dataclass
class PendingEmit:
    name: str
    payload: dict[str, Any]
    rooms: list[str]


@dataclass
class PendingJob:
    func: str
    args: tuple
    queue: str = "default"
    job_id: str | RowId | None = None
    at: Any = None  # datetime for enqueue_at
    unique: bool = False  # skip when a job with this id is already waiting to run
    kwargs: dict = field(default_factory=dict)


def _pending(session: Session) -> list:
    # Tie the items to a transaction, so that a rollback before any SQL ran still drops them.
    if not session.in_transaction():
        session.begin()
    return session.info.setdefault(_KEY, [])


def emit_on_commit(name: str, payload: dict[str, Any], rooms: list[str]) -> None:
    """Queue a Socket.IO event on /console for the given rooms, sent after commit."""
    if name not in EVENTS:
        raise ValueError(f"socket event {name!r} has no schema in event_schemas.py")
    _pending(db.session()).append(PendingEmit(name, dict(payload), list(dict.fromkeys(rooms))))


@dataclass
class PendingCall:
    func: Any
    args: tuple


def call_on_commit(func, *args) -> None:
    """Run func(*args) once the transaction commits (moving live sockets between rooms, say)."""
    _pending(db.session()).append(PendingCall(func, args))


def enqueue_on_commit(func: str, *args, queue: str = "default", job_id: str | None = None,
                      at=None, unique: bool = False, retry: tuple[int, ...] = (), **kwargs) -> None:
    """Queue an RQ job (dotted path, ids as arguments), enqueued after commit; retry: seconds
    before each further try of a run that fails."""
    if retry:
        kwargs["retry"] = Retry(max=len(retry), interval=list(retry))
    _pending(db.session()).append(PendingJob(func, args, queue, job_id, at, unique, kwargs))


def next_seq() -> int:
    """A strictly increasing sequence shared by every process, for client resync.

    It lives in Redis, which may lose it (flushed, restarted with no persistence): a counter
    that starts again starts from the clock, in microseconds, so it never goes back below a
    number already handed out (that would take over a million events a second).
    """
    return next_seqs(1)[0]


def next_seqs(n: int) -> range:
    """n numbers of the sequence in one round trip, in order (the events of one commit)."""
    last = int(redis_client().eval(_NEXT_SEQS, 1, SEQ_KEY, seq_floor(time.time()), n))
    return range(last - n + 1, last + 1)


_NEXT_SEQS = """
if redis.call('exists', KEYS[1]) == 0 then redis.call('set', KEYS[1], ARGV[1]) end
return redis.call('incrby', KEYS[1], ARGV[2])
"""


def current_seq() -> int:
    """The last sequence number handed out, or where a lost counter will start again."""
    stored = redis_client().get(SEQ_KEY)
    return int(stored) if stored is not None else seq_floor(time.time())


def seq_floor(now: float) -> int:
    """Where a lost counter starts again: microseconds since the epoch. Pure."""
    return int(now * 1_000_000)


def _run(batch: list) -> None:
    """Items of one kind, in order: calls one by one, emits with their sequence numbers taken
    together, jobs in one Redis pipeline (one round trip however many a commit sets off)."""
    first = batch[0]
    if isinstance(first, PendingCall):
        for item in batch:
            _guarded(item, item.func, *item.args)
    elif isinstance(first, PendingEmit):
        for item, seq in zip(batch, next_seqs(len(batch)), strict=True):
            _guarded(item, _emit, item, seq)  # one event failing leaves the others to go out
    else:
        _enqueue(batch)  # all or none (one MULTI): the sweeps rebuild lost jobs from the database


def _emit(item: PendingEmit, seq: int) -> None:
    payload = dict(item.payload, seq=seq)
    if current_app.config.get("TESTING"):
        problems = errors(item.name, payload)
        if problems:  # a broken promise to clients: fail loudly in tests
            raise ValueError(f"{item.name} payload breaks its schema: {problems}")
    # One emit to all rooms: a client in several of them (its team and its own room)
    # receives the event once.
    socketio.emit(item.name, payload, to=item.rooms, namespace=NAMESPACE)


def _enqueue(jobs: list[PendingJob]) -> None:
    connection = rq_connection()
    request_id = request_ids.current()
    with connection.pipeline() as pipe:
        pipe.multi()  # RQ's enqueue puts a pipeline it is handed in MULTI, which must come first
        queued: set[str] = set()  # unique jobs queued by this pipeline, which _waiting cannot see yet
        for item in jobs:
            if item.unique and item.job_id and (item.job_id in queued or _waiting(item.job_id)):
                continue
            if item.unique and item.job_id:
                queued.add(item.job_id)
            q = Queue(item.queue, connection=connection)
            meta = {"request_id": request_id}  # the job's log lines name the request that caused it
            if item.at is not None:
                meta["due_at"] = item.at.isoformat()  # its lateness is counted from here (metrics.py)
                _schedule(q, pipe, item, meta)
            else:
                q.enqueue(item.func, *item.args, job_id=item.job_id, meta=meta, pipeline=pipe, **item.kwargs)
        pipe.execute()


def _schedule(q: Queue, pipe, item: PendingJob, meta: dict) -> None:
    """RQ's Queue.enqueue_at, every write in the pipeline: RQ's own sends the job's place in the
    scheduled registry on a round trip of its own, whatever pipeline it is given."""
    job = q.create_job(item.func, args=item.args, job_id=item.job_id, meta=meta, status=JobStatus.SCHEDULED,
                       **item.kwargs)
    pipe.sadd(q.redis_queues_keys, q.key)
    job.set_status(JobStatus.SCHEDULED, pipeline=pipe)
    job.save(pipeline=pipe)
    job.cleanup(ttl=job.ttl, pipeline=pipe)
    pipe.zadd(ScheduledJobRegistry(queue=q).key, {job.id: calendar.timegm(item.at.utctimetuple())})


def _batches(items: list) -> list[list]:
    """Runs of consecutive items of the same kind: the order of the whole is kept."""
    out: list[list] = []
    for item in items:
        if out and type(out[-1][0]) is type(item):
            out[-1].append(item)
        else:
            out.append([item])
    return out


def _with_ids(item):
    """A job naming rows by RowId, with their ids, known once the commit wrote them (read from
    the identity, which loads nothing: the rows are expired by now)."""
    if not isinstance(item, PendingJob):
        return item
    args = tuple(_id_of(a) for a in item.args)
    job_id = _id_of(item.job_id)
    if args == item.args and job_id is item.job_id:
        return item
    return replace(item, args=args, job_id=job_id)


def _id_of(value):
    if not isinstance(value, RowId):
        return value
    row_id = inspect(value.row).identity[0]
    return row_id if value.template is None else value.template.format(row_id)


def _waiting(job_id: str) -> bool:
    try:
        status = Job.fetch(job_id, connection=rq_connection()).get_status(refresh=False)
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    items = session.info.pop(_KEY, [])
    for batch in _batches(items):
        ready = [done for done in (_guarded(item, _with_ids, item) for item in batch) if done is not _FAILED]
        if ready:
            _guarded(ready, _run, ready)


_FAILED = object()


def _guarded(what, fn, *args):
    """fn(*args) for after-commit work: a failure must not undo the committed change, so it is
    logged (and raised in tests) and the rest goes on; the sweepers repair lost jobs."""
    try:
        return fn(*args)
    except Exception:
        log.exception("after-commit side effect failed: %r", what)
        if current_app and current_app.config.get("TESTING") and current_app.config.get("RAISE_SIDE_EFFECT_ERRORS", True):
            raise
        return _FAILED


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    # after_soft_rollback fires even when no SQL had run yet (after_rollback would not,
    # leaving the items to leak into the next commit). A savepoint's rollback keeps them.
    if not previous_transaction.nested:
        session.info.pop(_KEY, None)

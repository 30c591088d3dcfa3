"""The actions: one function per use case, and the only code that commits and publishes.

Entry points (API handlers, pages, jobs, the CLI, socket handlers) call one action. An action
opens a unit of work, calls the domain packages (which change rows, write the audit trail and
record their effects, but never commit), publishes the effects and commits. Actions compose:
one called inside another joins its transaction, and only the outermost commits, as Zulip's
zerver/actions do with transaction.atomic(durable=True) and savepoint=False.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..effects import Call, Effects, Emit, Job
from ..events import call_on_commit, emit_on_commit, enqueue_on_commit
from ..extensions import db

_depth: ContextVar[int] = ContextVar("callcenter_action_depth", default=0)


@contextmanager
def unit_of_work(*, durable: bool = False) -> Iterator[Effects]:
    """The transaction of one use case, and the effects it sets off once it commits.

    Inside another unit of work it joins that one (no commit of its own). durable: this use
    case commits by itself and must never run inside another (it commits as it goes).
    """
    depth = _depth.get()
    if durable and depth:
        raise RuntimeError("a durable action ran inside another action's transaction")
    token = _depth.set(depth + 1)
    fx = Effects()
    try:
        yield fx
        publish(fx)
        if depth == 0:
            db.session.commit()
    except BaseException:
        if depth == 0:
            db.session.rollback()
        raise
    finally:
        _depth.reset(token)


def publish(fx: Effects) -> None:
    """Hand the effects to events.py, which runs them after the outermost commit (or drops
    them on rollback)."""
    for item in fx.items:
        if isinstance(item, Emit):
            emit_on_commit(item.name, item.payload, list(item.rooms))
        elif isinstance(item, Job):
            enqueue_on_commit(item.func, *item.args, queue=item.queue, job_id=item.job_id, at=item.at,
                              unique=item.unique, retry=item.retry)
        elif isinstance(item, Call):
            call_on_commit(item.func, *item.args)
    fx.items.clear()


def end_read() -> None:
    """Close a read-only transaction before a durable action goes on (locks are short)."""
    db.session.rollback()

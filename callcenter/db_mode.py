"""Whether a transaction will write, for SQLite's sake.

SQLite has one write lock. Transactions that will write begin with BEGIN IMMEDIATE, so two
read-then-write requests queue instead of acting on a stale row (what FOR UPDATE does on
PostgreSQL). Reads begin with a plain BEGIN and never wait for a writer (WAL). A request is
a read when its method is safe (GET, HEAD, OPTIONS); jobs and commands write. A read that
must write after all says so with `writing()`, which ends the read transaction first.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request

from .extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writing: ContextVar[bool] = ContextVar("callcenter_db_writing", default=False)


def begins_writer() -> bool:
    if _writing.get() or not has_request_context():
        return True
    return request.method not in SAFE_METHODS


@contextmanager
def writing() -> Iterator[None]:
    """Inside this block (in a GET), transactions begin as writers."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("writing() entered with unsaved changes: an action should have made them")
    db.session.rollback()  # the read so far ends here (nothing was written); the next transaction writes
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)

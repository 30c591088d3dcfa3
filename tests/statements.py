"""Counting the SQL statements a request runs: a hot path's budget is a count, which is
deterministic where a time is not."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from callcenter.extensions import db


@contextmanager
def statements(app):
    """The statements run inside the block, in order."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def redis_round_trips():
    """What this thread sends to Redis inside the block, one entry a round trip (a pipeline is
    one): every client counts, RQ's, the app's and the Socket.IO message queue's."""
    import threading

    from redis.connection import AbstractConnection

    seen: list[str] = []
    me = threading.get_ident()
    real = AbstractConnection.send_packed_command

    def send(self, command, check_health=True):
        if threading.get_ident() == me:
            first = command[0] if isinstance(command, (list, tuple)) else command
            seen.append(bytes(first)[:120].decode("utf-8", "replace"))
        return real(self, command, check_health)

    AbstractConnection.send_packed_command = send
    try:
        yield seen
    finally:
        AbstractConnection.send_packed_command = real

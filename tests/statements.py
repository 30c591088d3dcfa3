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

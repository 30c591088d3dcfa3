"""Fixtures: a real database (DATABASE_URL, or a fresh SQLite file) and a real Redis
(REDIS_URL, or the embedded redis-server), migrated with the real migrations."""
from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

# Under pytest -n (pytest-xdist) each worker process is gw0, gw1, ...: each gets a database, a
# Redis database and a Socket.IO channel of its own (Redis's pub/sub channels are shared by every
# database number of a server: two workers on one channel would hear each other's events). An
# embedded Redis and a SQLite file are already each process's own.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Read by config and inherited by the processes a test starts; never a desk's own channel.
os.environ["SOCKETIO_CHANNEL"] = f"callcenter-test-{_WORKER or 'main'}"
_TMP = Path(tempfile.mkdtemp(prefix="callcenter-test-"))
if _WORKER:  # each worker its own (the controller's, inherited, would be shared)
    os.environ["CALLCENTER_INSTANCE"] = str(_TMP / "instance")
else:
    os.environ.setdefault("CALLCENTER_INSTANCE", str(_TMP / "instance"))

from callcenter import create_app, embedded_redis  # noqa: E402
from callcenter.config import normalise_database_url  # noqa: E402
from callcenter.extensions import db  # noqa: E402

from . import factories  # noqa: E402


def _worker_index() -> int:
    return int(_WORKER[2:]) if _WORKER.startswith("gw") and _WORKER[2:].isdigit() else 0


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{_TMP / 'test.db'}"
    url = normalise_database_url(url)
    return _own_database(url) if _WORKER and url.startswith("postgresql") else url


def _own_database(url: str) -> str:
    """This worker's database beside the one configured (test -> test_gw1), created if missing."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    own = base.set(database=f"{base.database}_{_WORKER}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own.database}) is None:
                try:
                    conn.execute(text(f'CREATE DATABASE "{own.database}"'))
                except ProgrammingError as exc:  # another run's worker made it meanwhile
                    if "already exists" not in str(exc):
                        raise
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


# The Redis databases of workers gw1, gw2, ... (gw0 takes REDIS_URL's own): clear of those the
# benchmarks use (1-5, 8), or TEST_REDIS_DBS=a,b,... for the workers in turn.
WORKER_REDIS_DBS = (9, 10, 11, 12, 13, 14, 15)


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        return embedded_redis.ensure_url()
    if not _WORKER:
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "db=" in parts.query:
        raise pytest.UsageError("REDIS_URL names its database in the path (redis://host:6379/0), not as ?db=")
    base = int(parts.path.strip("/") or 0)
    chosen = os.environ.get("TEST_REDIS_DBS")
    pool = [int(n) for n in chosen.split(",")] if chosen else [base, *(n for n in WORKER_REDIS_DBS if n != base)]
    if _worker_index() >= len(pool):
        raise pytest.UsageError(f"{_WORKER} has no Redis database of its own: {len(pool)} for {len(pool)} "
                                "workers (TEST_REDIS_DBS=a,b,... gives more, or run fewer: TEST_PROCESSES)")
    return urlunsplit(parts._replace(path=f"/{pool[_worker_index()]}"))


def _drop_everything() -> None:
    """Start from an empty schema so the migrations build all of it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app():
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "REDIS_URL": _redis_url(),
        "RATELIMIT_STORAGE_URI": _redis_url(),
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
    })
    from flask_migrate import upgrade

    with app.app_context():
        _drop_everything()
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    # The process ends here: Socket.IO's listener thread, retrying a stopped embedded Redis, would
    # only log into a closed stream (pytest-xdist's workers close theirs first).
    logging.disable(logging.CRITICAL)
    embedded_redis.stop()


@pytest.fixture
def clean_state(app):
    """Empty tables and an empty Redis database (autouse in integration and e2e tests)."""
    with app.app_context():
        _truncate_all()
        db.session.remove()
    redis_lib.Redis.from_url(app.config["REDIS_URL"]).flushdb()


def _emptying_statement(conn, tables: list[str]) -> str:
    """Every table emptied and every id sequence started again, as TRUNCATE ... RESTART IDENTITY
    would, in one round trip. DELETE, because a test leaves a few rows: TRUNCATE recreates the
    files of all 34 tables and took 76-134 ms a test, this 10-12 ms (most of a test's set-up)."""
    sequences = conn.execute(text("SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                                  "FROM pg_sequences WHERE schemaname = current_schema()")).scalars().all()
    # First every table locked, as TRUNCATE locks them: a live server's late write waits for the
    # emptying or is waited for, and neither survives into the next test nor breaks a key midway.
    statements = [f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"]
    statements += [f"DELETE FROM {name}" for name in tables]  # children first
    if sequences:
        statements.append("SELECT " + ", ".join(f"setval('{seq}', 1, false)" for seq in sequences))
    return "; ".join(statements)


_EMPTYING: dict[str, str] = {}


def _truncate_all() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # A live server's late handler (a closed page's disconnect) may still hold a row lock;
        # PostgreSQL may then pick the emptying as the deadlock victim, and a second try succeeds.
        for attempt in range(5):
            try:
                with db.engine.begin() as conn:
                    if "sql" not in _EMPTYING:
                        _EMPTYING["sql"] = _emptying_statement(conn, tables)
                    conn.exec_driver_sql(_EMPTYING["sql"])
                return
            except OperationalError as exc:
                if "deadlock" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.1)
    else:
        with db.engine.begin() as conn:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            if inspect(conn).has_table("sqlite_sequence"):
                conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
def ctx(app):
    """An app context for calling services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis(app):
    return redis_lib.Redis.from_url(app.config["REDIS_URL"], decode_responses=True)


@pytest.fixture
def world(app):
    """A small desk: two teams, categories, an admin, a supervisor and agents, with tokens."""
    with app.app_context():
        w = factories.build_world()
    return w


@pytest.fixture
def api(app, world):
    return factories.ApiClient(app.test_client(), world.tokens)


class LiveServer:
    def __init__(self, app, port: int):
        self.app, self.port = app, port
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def live_server(app):
    """The app served for real (HTTP and websockets) on a local port, for browsers and socket clients."""
    import socket
    import threading
    import time

    import requests

    from callcenter.extensions import socketio

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    thread = threading.Thread(target=socketio.run, args=(app,), daemon=True,
                              kwargs={"host": "127.0.0.1", "port": port, "allow_unsafe_werkzeug": True,
                                      "use_reloader": False, "log_output": False})
    thread.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    return LiveServer(app, port)

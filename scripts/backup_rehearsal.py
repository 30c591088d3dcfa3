"""A backup and restore, rehearsed end to end on a database of its own (docs/OPERATIONS.md):

1. a fresh database `ops_rehearsal` at the head migration, the demo desk, and REHEARSAL_TICKETS
   more tickets made through the actions (customers, replies, SLA clocks, events);
2. a fingerprint of every table: its row count and an md5 of all its rows in primary-key order;
3. `pg_dump --format=custom`, then DROP DATABASE (the wipe), CREATE DATABASE, `pg_restore`;
4. the fingerprint again, which must be the same, and one more ticket made through the actions
   on the restored database (its sequences carried on: no key taken twice).

It prints each step's time and size and the tables compared, and exits 1 when anything differs.
Redis is not backed up: it holds queues, fan-out and counters, and the sweeps rebuild every
timer and resend every message from the database (docs/RELIABILITY.md).

    .venv/bin/python scripts/backup_rehearsal.py
    REHEARSAL_TICKETS=2000 .venv/bin/python scripts/backup_rehearsal.py

Knobs: REHEARSAL_DATABASE_URL (postgresql://postgres@127.0.0.1/ops_rehearsal; its database is
dropped and made again), REHEARSAL_REDIS_URL (redis://127.0.0.1:6379/7), REHEARSAL_TICKETS (300).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-rehearsal-"))

DATABASE_URL = os.environ.get("REHEARSAL_DATABASE_URL", "postgresql://postgres@127.0.0.1/ops_rehearsal")
REDIS_URL = os.environ.get("REHEARSAL_REDIS_URL", "redis://127.0.0.1:6379/7")
TICKETS = int(os.environ.get("REHEARSAL_TICKETS", "300"))


def _admin(url):
    from sqlalchemy import create_engine

    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def recreate(url) -> None:
    """DROP and CREATE the database (what the wipe and the empty target of a restore are)."""
    from sqlalchemy import text

    engine = _admin(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": url.database})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        engine.dispose()


def fingerprint(url) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of every row as text in primary-key order)} for every table of the schema."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).all()
            for table in tables:
                keys = conn.scalars(text(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(:t AS regclass) AND i.indisprimary "
                    "ORDER BY a.attnum"), {"t": table}).all()
                order = ", ".join(f'"{k}"' for k in keys) or "1"
                rows, digest = conn.execute(text(
                    f'SELECT count(*), coalesce(md5(string_agg(CAST(t AS text), \'|\' ORDER BY {order})), \'\') '
                    f'FROM "{table}" AS t')).one()
                out[table] = (int(rows), digest)
    finally:
        engine.dispose()
    return out


def fill(app, n: int) -> None:
    from callcenter import demo
    from callcenter.actions import tickets
    from callcenter.actors import Actor
    from callcenter.auth.models import User
    from callcenter.extensions import db

    demo.seed()
    boss = Actor.of_user(db.session.scalar(db.select(User).where(User.email == "supervisor@demo.callcenter")))
    for i in range(n):
        ticket, _ = tickets.create_ticket({
            "kind": ("complaint", "service_request", "inquiry")[i % 3], "channel": "phone", "category": "billing",
            "subject": f"备份演练 {i}", "description": "Rehearsal ticket / 备份演练工单",
            "customer": {"name": f"客户 {i}", "phone": f"1370{i:07d}", "email": f"r{i}@example.cn"},
        }, boss)
        if i % 4 == 0:
            tickets.add_message(ticket.id, "我们已收到。/ We have it.", False, boss)


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def main() -> int:
    from sqlalchemy.engine import make_url

    from callcenter.config import normalise_database_url

    url = make_url(normalise_database_url(DATABASE_URL))
    if url.database in (None, "", "test", "postgres", "bench", "bench_kpi", "bench_push"):
        raise SystemExit(f"refusing to wipe the database {url.database!r}: give the rehearsal one of its own")
    os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = DATABASE_URL, REDIS_URL
    libpq = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]

    from flask_migrate import upgrade

    from callcenter import create_app
    from callcenter.extensions import db

    recreate(url)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)})
    with app.app_context():
        t0 = time.perf_counter()
        upgrade()
        fill(app, TICKETS)
        print(f"made: the head migration, the demo desk and {TICKETS} tickets in {time.perf_counter() - t0:.1f} s")
        db.session.remove()
        db.engine.dispose()
    before = fingerprint(url)
    dump = Path(tempfile.mkdtemp(prefix="cc-dump-")) / "callcenter.dump"
    took = run(["pg_dump", *libpq, "--format=custom", "--file", str(dump), url.database])
    print(f"pg_dump --format=custom: {took:.2f} s, {dump.stat().st_size / 1024:.0f} KiB")
    recreate(url)
    wiped = fingerprint(url)
    print(f"wiped: DROP DATABASE and CREATE DATABASE; tables left: {len(wiped)}")
    took = run(["pg_restore", *libpq, "--no-owner", "--exit-on-error", "--dbname", url.database, str(dump)])
    print(f"pg_restore: {took:.2f} s")
    after = fingerprint(url)

    print("\n| table | rows before | rows after | same rows |\n|---|---|---|---|")
    same = True
    for table in sorted(set(before) | set(after)):
        b, a = before.get(table, (None, None)), after.get(table, (None, None))
        print(f"| {table} | {b[0]} | {a[0]} | {'yes' if a == b else 'NO'} |")
        same = same and a == b
    with app.app_context():
        from callcenter.actions import tickets
        from callcenter.actors import Actor
        from callcenter.auth.models import User
        from callcenter.tickets.models import Ticket

        highest = db.session.scalar(db.select(db.func.max(Ticket.id)))
        boss = Actor.of_user(db.session.scalar(db.select(User).where(User.email == "supervisor@demo.callcenter")))
        ticket, _ = tickets.create_ticket({"kind": "inquiry", "channel": "web", "category": "billing",
                                           "subject": "after the restore", "description": "still taking tickets",
                                           "customer": {"name": "复原", "phone": "13799999999"}}, boss)
        carried_on = ticket.id > highest
        print(f"\na ticket made after the restore: #{ticket.id} {ticket.reference} "
              f"(the highest before was #{highest}): {'the sequences carried on' if carried_on else 'KEY REUSED'}")
        db.session.remove()
        db.engine.dispose()
    ok = same and carried_on and len(before) > 0
    print(f"\nrestore equals the backup: {'yes' if ok else 'no'}")
    dump.unlink()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

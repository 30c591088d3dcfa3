from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callcenter.extensions import db


def test_migrations_build_exactly_the_models_schema(app):
    """The schema made by `flask db upgrade` matches the models: no forgotten migration."""
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


# Rows written with SQL in the shape of an old revision: the models describe today's schema.
OLD_ROWS = """
import json, sys
from datetime import datetime
import sqlalchemy as sa
from flask_migrate import upgrade
from callcenter import create_app
from callcenter.extensions import db

NOW = datetime(2026, 11, 23, 8, 0)  # naive UTC, as the old rows hold it
ISO = "2026-11-23T08:00:00+00:00"


def insert(table, **values):
    t = sa.Table(table, sa.MetaData(), autoload_with=db.engine)
    with db.engine.begin() as conn:
        return conn.execute(t.insert().values(**values)).inserted_primary_key[0]


def ticket(customer_id, status, token, **extra):
    return insert("tickets", public_token=token, reference=f"CC-2026-{token[-6:]}", kind="complaint",
                  channel="web", status=status, priority="P3", subject="s", description="d", language="zh",
                  required_skills={}, customer_id=customer_id, reopen_count=0, created_at=NOW, updated_at=NOW,
                  **extra)


app = create_app("testing")
with app.app_context():
    exec(sys.argv[1])
"""

AT_0004 = """
upgrade(revision="0003")
customer = insert("customers", name="刘洋", phone="138 0013 8000", phone_norm="13800138000", tier="VIP", created_at=NOW)
ids = []
for status, token in (("in_progress", "tok-open-000001"), ("resolved", "tok-done-000002")):
    tid = ticket(customer, status, token, sla_state="breached")
    ids.append(tid)
    for name, state, last in (("first_response", "breached", "stop"), ("resolution", "running", "start")):
        insert("sla_clocks", ticket_id=tid, name=name, calendar="24x7", target_seconds=60, warn_at=[],
               state=state, cycle=0, updated_at=NOW, history=[[ISO, "start"], ["2026-11-23T08:05:00+00:00", last]])
upgrade(revision="0004")
with db.engine.connect() as conn:
    print(json.dumps([conn.execute(sa.text("SELECT sla_state FROM tickets WHERE id = :i"), {"i": i}).scalar()
                      for i in ids]))
"""

AT_0005 = """
upgrade(revision="0004")
vip = insert("customers", name="刘洋", phone="138 0013 8000", phone_norm="13800138000", email="liu@example.cn",
             email_norm="liu@example.cn", tier="VIP", created_at=NOW)
staff = ticket(vip, "new", "old-token-staff-0001", customer_verified=True)
web = ticket(vip, "new", "old-token-web-00002", customer_verified=False, contact_phone="13800138000",
             contact_email="someone@example.com")
upgrade(revision="0005")
upgrade()  # on to today's schema, which the models read (the later revisions keep what 0005 did)
from callcenter.tickets import status_links
from callcenter.tickets.models import Ticket
out = {}
for key, tid in (("staff", staff), ("web", web)):
    t = db.session.get(Ticket, tid)
    out[key] = [t.contact_name, t.contact_phone_norm, t.contact_email, t.customer_id == vip]
out["old_links_open"] = [status_links.ticket_for(tok).id for tok in ("old-token-staff-0001", "old-token-web-00002")]
db.session.remove()  # (its transaction holds SQLite's write lock)
with db.engine.connect() as conn:
    out["token_columns"] = [c["name"] for c in sa.inspect(conn).get_columns("tickets") if "token" in c["name"]]
print(json.dumps(out, ensure_ascii=False))
"""


def _run_old(app, tmp_path, script: str) -> str:
    """On a database of its own, in a process of its own (one app per process)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "CALLCENTER_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/old.db",
           "REDIS_URL": app.config["REDIS_URL"]}
    out = subprocess.run([sys.executable, "-c", OLD_ROWS, script], cwd=root, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_upgrading_to_0004_sums_open_tickets_up_from_their_running_clocks(app, tmp_path):
    """Tickets cached 'breached' for a first response answered late read their running clocks."""
    import json

    assert json.loads(_run_old(app, tmp_path, AT_0004)) == ["running", "breached"]  # finished keeps its verdict


def test_upgrading_to_0005_keeps_each_tickets_contact_and_its_status_link(app, tmp_path):
    """Tickets get the contact they were given (a trusted one completed from the record), and the
    links customers already hold keep opening their page, with only the hash kept."""
    import json

    out = json.loads(_run_old(app, tmp_path, AT_0005))
    assert out["staff"] == ["刘洋", "13800138000", "liu@example.cn", True]
    assert out["web"] == ["刘洋", "13800138000", "someone@example.com", True]  # its own email, not the record's
    assert out["old_links_open"] == [1, 2]
    assert out["token_columns"] == []


AT_0011 = """
upgrade(revision="0010")
agent = insert("users", email="a@x.cc", name="A", role="agent", password_hash="x", active=True, capacity=5,
               languages=["zh"], presence="offline", created_at=NOW, session_version=1)
from datetime import timedelta


def later_ticket(status, n, **extra):  # the shape of 0010: no public token any more
    return insert("tickets", reference=f"CC-2026-{n:06d}", kind="inquiry", channel="web", status=status,
                  priority="P3", subject="s", description="d", language="zh", required_skills={}, reopen_count=0,
                  contact_name="x", customer_verified=True, created_at=NOW, updated_at=NOW, **extra)


done = later_ticket("resolved", 11, resolved_at=NOW + timedelta(hours=2))
gone = later_ticket("cancelled", 12, cancelled_at=NOW + timedelta(seconds=40))
alone = later_ticket("resolved", 13, resolved_at=NOW + timedelta(minutes=30))  # resolved with no assignment
for when in (NOW + timedelta(seconds=30), NOW + timedelta(minutes=5)):  # answered at the first assignment
    insert("ticket_events", ticket_id=done, kind="assigned", actor_kind="system", actor_name="system", data={},
           created_at=when)
for internal in (False, False, True):
    insert("ticket_messages", ticket_id=done, author_kind="agent", author_user_id=agent, author_name="A", body="b",
           internal=internal, created_at=NOW)
met = insert("sla_clocks", ticket_id=done, name="first_response", calendar="24x7", target_seconds=600, warn_at=[],
             state="met", cycle=1, updated_at=NOW, history=[[ISO, "start"], ["2026-11-23T08:03:00+00:00", "stop"]])
late = insert("sla_clocks", ticket_id=done, name="resolution", calendar="24x7", target_seconds=60, warn_at=[],
              state="breached", cycle=1, updated_at=NOW, due_at=NOW + timedelta(minutes=1), history=[[ISO, "start"]])
upgrade(revision="0011")
with db.engine.connect() as conn:
    rows = {r.id: [str(r.answered_at)[:19] if r.answered_at else None, r.queue_wait_seconds, r.handle_seconds,
                   r.agent_replies] for r in conn.execute(sa.text(
        "SELECT id, answered_at, queue_wait_seconds, handle_seconds, agent_replies FROM tickets"))}
    clocks = {r.id: str(r.decided_at)[:19] for r in conn.execute(sa.text("SELECT id, decided_at FROM sla_clocks"))}
print(json.dumps({"done": rows[done], "gone": rows[gone], "alone": rows[alone], "met": clocks[met],
                  "late": clocks[late]}))
"""


def test_upgrading_to_0011_fills_in_the_figures_facts_of_earlier_tickets_and_clocks(app, tmp_path):
    import json

    out = json.loads(_run_old(app, tmp_path, AT_0011))
    # answered at the first assignment (30 s), resolved 2 h after creation, two public agent replies
    assert out["done"] == ["2026-11-23 08:00:30", 30, 7170, 2]
    assert out["gone"] == [None, 40, None, 0]  # abandoned after 40 s
    assert out["alone"] == [None, None, 1800, 0]  # handled from its creation, as the app counts it
    assert out["met"] == "2026-11-23 08:03:00" and out["late"] == "2026-11-23 08:01:00"


def test_the_indexes_carry_the_columns_and_conditions_the_models_give_them(app):
    """What compare_metadata does not look at: an index's INCLUDE columns (PostgreSQL) and whether
    it is partial. The figures' index-only scans (migration 0017) depend on both."""
    from sqlalchemy import inspect

    with app.app_context(), db.engine.connect() as conn:
        dialect = conn.dialect.name
        inspector = inspect(conn)
        for table in db.metadata.sorted_tables:
            live = {ix["name"]: ix for ix in inspector.get_indexes(table.name)}
            for index in table.indexes:
                assert index.name in live, f"{index.name} missing"
                options = live[index.name].get("dialect_options", {})
                if dialect == "postgresql":
                    want = [getattr(c, "name", c) for c in index.dialect_options["postgresql"]["include"] or []]
                    assert list(live[index.name].get("include_columns") or options.get("postgresql_include") or []) \
                        == want, index.name
                    partial = index.dialect_options["postgresql"]["where"] is not None
                    assert ("postgresql_where" in options) == partial, index.name

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callcenter.extensions import db


def test_migrations_build_exactly_the_models_schema(app):
    """The schema made by `flask db upgrade` matches the models: no forgotten migration."""
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


UPGRADE_0004 = """
import json
from flask_migrate import upgrade
from callcenter import create_app
from callcenter.actors import SYSTEM
from callcenter.extensions import db
from callcenter.sla.models import SlaClock
from callcenter.tickets import services as tickets
from callcenter.tickets.models import Status, Ticket
from tests.factories import ticket_body

app = create_app("testing")
with app.app_context():
    upgrade(revision="0003")  # tickets and clocks have their present shape already
    ids = []
    for status in (Status.in_progress, Status.resolved):
        body = {k: v for k, v in ticket_body(kind="inquiry").items() if k != "category"}  # none seeded here
        ticket, _ = tickets.create_ticket(body, SYSTEM)
        ids.append(ticket.id)
        ticket = db.session.get(Ticket, ticket.id)
        ticket.status, ticket.sla_state = status, "breached"
        for name, state, last in (("first_response", "breached", "stop"), ("resolution", "running", "start")):
            db.session.add(SlaClock(ticket_id=ticket.id, name=name, calendar="24x7", target_seconds=60, warn_at=[],
                                    state=state, history=[["2026-11-23T08:00:00+00:00", "start"],
                                                          ["2026-11-23T08:05:00+00:00", last]]))
        db.session.commit()
    upgrade(revision="0004")
    print(json.dumps([db.session.get(Ticket, i, populate_existing=True).sla_state for i in ids]))
"""


def test_upgrading_to_0004_sums_open_tickets_up_from_their_running_clocks(app, tmp_path):
    """Tickets cached 'breached' for a first response answered late read their running clocks.
    On a database of its own, in a process of its own (one app per process)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "CALLCENTER_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/old.db",
           "REDIS_URL": app.config["REDIS_URL"]}
    out = subprocess.run([sys.executable, "-c", UPGRADE_0004], cwd=root, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["running", "breached"]  # finished keeps its verdict

"""The desk's set-up (categories, routing rules, SLA policies) is read once per change, not on
every ticket (callcenter/setup_cache.py), and a change saved anywhere reaches every process at
its next ticket. Another process (`flask shell`) saves changes: it shares only the database
and Redis."""
from __future__ import annotations

import pytest

from callcenter.extensions import db
from callcenter.routing.models import RoutingRule
from callcenter.tickets.models import Category
from tests.factories import policy, ticket_body
from tests.processes import app_env, flask
from tests.statements import statements

SETUP_TABLES = ("FROM categories", "FROM routing_rules", "FROM sla_policies")


@pytest.fixture
def other_process(app):
    """Run lines of Python in a `flask shell` of its own (db, the models imported)."""
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])

    def run(*lines: str) -> None:
        flask(env, "shell", stdin="\n".join([
            "from callcenter.extensions import db", "from callcenter.routing.models import RoutingRule",
            "from callcenter.tickets.models import Category", *lines, "db.session.commit()", ""]))
    return run


def _setup_reads(app, api, **body) -> tuple[int, dict]:
    with statements(app) as seen:
        r = api.post("/api/v1/tickets", json=ticket_body(**body))
    assert r.status_code == 201, r.get_json()
    return sum(1 for s in seen if any(t in s for t in SETUP_TABLES)), r.get_json()


def test_the_setup_is_read_once_then_again_only_after_a_change_or_a_lost_version(app, api, world, redis):
    with app.app_context():
        policy("standard")
    first, _ = _setup_reads(app, api)
    again, _ = _setup_reads(app, api)
    assert (first, again) == (3, 0)  # categories, rules and policies once; then from memory

    with app.app_context():
        db.session.get(Category, "other").name_en = "Other matters"
        db.session.commit()
    assert _setup_reads(app, api)[0] == 3  # a change: read again, once
    assert _setup_reads(app, api)[0] == 0

    redis.flushdb()  # the version is lost with everything else
    assert _setup_reads(app, api)[0] == 3
    assert _setup_reads(app, api)[0] == 0


def test_a_routing_rule_saved_in_another_process_applies_to_the_next_ticket_here(app, api, world, other_process):
    _reads, before = _setup_reads(app, api, subject="Refund please")
    assert before["priority"] != "P1"
    other_process('db.session.add(RoutingRule(name="refunds first", match={"keywords": ["refund"]}, priority="P1", '
                  'position=1))')
    _reads, after = _setup_reads(app, api, subject="Refund please")
    assert after["priority"] == "P1"


def test_a_category_closed_in_another_process_is_refused_here_at_once(app, api, world, other_process):
    assert api.post("/api/v1/tickets", json=ticket_body(category="network")).status_code == 201
    other_process('db.session.get(Category, "network").active = False')
    r = api.post("/api/v1/tickets", json=ticket_body(category="network"))
    assert r.status_code == 422, r.get_json()
    assert "network" not in str(r.get_json()["error"]["details"]["fields"]["category"])


def test_a_transaction_that_changed_the_setup_reads_its_own_change(app, world):
    from callcenter.routing import service as routing

    with app.app_context():
        assert routing.active_rules() == []  # kept now, empty
        db.session.add(RoutingRule(name="not yet committed", match={}, position=1))
        db.session.flush()
        assert [r.name for r in routing.active_rules()] == ["not yet committed"]
        db.session.rollback()
        assert routing.active_rules() == []


def test_the_new_version_is_out_before_the_commits_jobs_are_queued(app, world, redis):
    # A job queued by a set-up change (retargeting open tickets to an edited policy) must read
    # the new set-up wherever it runs.
    from callcenter import events

    before = redis.get("cc:setup:version")
    seen = []
    real = events._run

    def spy(batch):
        seen.append(redis.get("cc:setup:version"))
        real(batch)

    events._run = spy
    try:
        with app.app_context():
            db.session.get(Category, "other").position = 9
            events.enqueue_on_commit("callcenter.routing.jobs.sweep", queue="low")
            db.session.commit()
    finally:
        events._run = real
    assert seen and seen[0] != before

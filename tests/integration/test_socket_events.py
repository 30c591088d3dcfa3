"""Socket.IO /console over a real server: authentication, rooms, and emits after commit only."""
from __future__ import annotations

import json
import pickle

import pytest
import socketio as sio_lib

from callcenter.events import emit_on_commit
from callcenter.extensions import db
from tests.factories import ticket_body
from tests.socket_client import Listener


def test_anonymous_connections_are_refused(live_server, world):
    with pytest.raises(sio_lib.exceptions.ConnectionError):
        Listener(live_server, None)


def test_each_agent_hears_only_their_teams_tickets(api, listen):
    anna, nina, boss = listen("anna@test.cc"), listen("nina@test.cc"), listen("boss@test.cc")
    for listener in (anna, nina, boss):
        hello = listener.collect(0.5)
        assert hello and hello[0][0] == "hello"
    billing = api.post("/api/v1/tickets", json=ticket_body(category="billing")).json
    network = api.post("/api/v1/tickets", json=ticket_body(category="network")).json
    heard = {name: listener.collect() for name, listener in (("anna", anna), ("nina", nina), ("boss", boss))}
    ids = {name: {d["ticket_id"] for e, d in events if e == "ticket.updated"} for name, events in heard.items()}
    assert ids == {"anna": {billing["id"]}, "nina": {network["id"]}, "boss": {billing["id"], network["id"]}}


def test_assignment_reaches_the_agent_with_increasing_seq(api, world, listen):
    bert = listen("bert@test.cc")
    bert.collect(0.3)
    t = api.post("/api/v1/tickets", json=ticket_body(category="other")).json  # no team: bert hears nothing
    assert [e for e, _ in bert.collect(0.8)] == []
    api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("bert")})
    api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "note", "internal": True}, who="bert")
    events = bert.collect()
    names = [e for e, _ in events]
    assert "ticket.assigned" in names and "ticket.message" in names
    assigned = next(d for e, d in events if e == "ticket.assigned")
    assert assigned["ticket_id"] == t["id"] and assigned["assignee_id"] == world.id("bert")
    seqs = [d["seq"] for _, d in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_presence_change_is_broadcast_to_supervisors(api, world):
    """Captured as it is published (exact count, schema checked), rather than listened for on
    a socket for a while: the rooms decide who hears it, and the rooms tests deliver for real."""
    from tests.capture import capture

    with capture(emits=1) as seen:
        assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "away"},
                       who="anna").status_code == 200
    [(name, payload, rooms)] = seen.emits
    assert name == "presence.changed" and payload["agent_id"] == world.id("anna") and payload["presence"] == "away"
    assert "supervisors" in rooms and f"team:{world.teams['Billing']}" in rooms


def _decode(data: bytes) -> dict:
    try:  # python-socketio 5.12+ publishes JSON; older releases pickled
        return json.loads(data)
    except ValueError:
        return pickle.loads(data)


def _published(redis, action) -> list[str]:
    """Event names Flask-SocketIO published on its Redis channel while action ran."""
    from flask import current_app

    pubsub = redis.pubsub()
    pubsub.subscribe(current_app.config["SOCKETIO_CHANNEL"])
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    action()
    names = []
    while (message := pubsub.get_message(timeout=0.5)) is not None:
        if message["type"] == "message":
            names.append(_decode(message["data"])["event"])
    pubsub.close()
    return names


def test_emits_wait_for_commit_and_vanish_on_rollback(app, world):
    import redis as redis_lib

    raw = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        stats = {"ticket_id": None, "waiting": 0, "oldest_wait_seconds": 0}

        def rolled_back():
            emit_on_commit("queue.stats", stats, ["supervisors"])
            db.session.rollback()

        def committed():
            emit_on_commit("queue.stats", stats, ["supervisors"])
            assert _published(raw, lambda: None) == []  # queued, not sent, before commit
            db.session.commit()

        assert _published(raw, rolled_back) == []
        assert _published(raw, committed) == ["queue.stats"]


def test_one_event_failing_after_the_commit_leaves_the_others_of_that_commit_to_go_out(app, world, monkeypatch):
    import redis as redis_lib

    from callcenter import events

    raw = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    real = events._emit

    def flaky(item, seq):
        if item.payload.get("waiting") == 1:
            raise ConnectionError("the message queue refused this one")
        real(item, seq)

    monkeypatch.setattr(events, "_emit", flaky)
    app.config["RAISE_SIDE_EFFECT_ERRORS"] = False  # as in production: logged, not raised
    try:
        with app.app_context():
            def committed():
                for waiting in (0, 1, 2):
                    emit_on_commit("queue.stats", {"ticket_id": None, "waiting": waiting, "oldest_wait_seconds": 0},
                                   ["supervisors"])
                db.session.commit()

            assert _published(raw, committed) == ["queue.stats", "queue.stats"]
    finally:
        app.config.pop("RAISE_SIDE_EFFECT_ERRORS")


def test_a_unique_job_asked_for_twice_in_one_commit_is_queued_once(app, world):
    from rq import Queue

    from callcenter.events import enqueue_on_commit
    from callcenter.extensions import rq_connection

    with app.app_context():
        queue = Queue("high", connection=rq_connection())
        queue.empty()
        for _ in range(2):
            enqueue_on_commit("callcenter.routing.jobs.sweep", queue="high", job_id="routing-sweep-soon", unique=True)
        db.session.commit()
        assert queue.job_ids == ["routing-sweep-soon"]


def test_an_event_without_a_schema_cannot_be_emitted(app):
    with app.app_context(), pytest.raises(ValueError, match="no schema"):
        emit_on_commit("ticket.exploded", {"ticket_id": 1}, ["supervisors"])


def test_every_event_name_used_in_the_code_has_a_schema():
    import re
    from pathlib import Path

    from callcenter.event_schemas import EVENTS

    root = Path(__file__).resolve().parents[2] / "callcenter"
    used = {m for path in root.rglob("*.py")
            for m in re.findall(r'(?:emit_on_commit|\.emit)\(\s*"([a-z_.]+)"', path.read_text())}
    assert used and used <= set(EVENTS), used - set(EVENTS)


def test_a_deactivated_persons_console_is_cut_off_and_a_demoted_supervisor_leaves_the_supervisors_room(
        api, world, listen):
    anna, boss = listen("anna@test.cc"), listen("boss@test.cc")
    anna.collect(0.5), boss.collect(0.5)
    assert api.post(f"/api/v1/users/{world.id('anna')}/deactivate", json={}, who="admin").status_code == 200
    assert api.patch(f"/api/v1/users/{world.id('boss')}", json={"role": "agent", "teams": []},
                     who="admin").status_code == 200
    boss.collect(1.0)
    for _ in range(30):  # the server closes her socket; the client notices within a moment
        if not anna.client.connected:
            break
        anna.collect(0.1)
    assert not anna.client.connected
    t = api.post("/api/v1/tickets", json=ticket_body(category="network"), who="admin").json
    assert t["id"] not in {d.get("ticket_id") for _e, d in boss.collect()}  # no longer hears every team

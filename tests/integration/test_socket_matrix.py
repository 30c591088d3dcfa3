"""Each kind of person hears exactly the events of their rooms, and keeps doing so after a move
between teams: an agent never hears of another team's ticket."""
from __future__ import annotations

import threading

import pytest
import socketio as sio_lib

from callcenter.auth.models import User
from callcenter.extensions import db
from tests.factories import make_user, ticket_body
from tests.socket_client import Listener


@pytest.fixture
def people(app, live_server, world):
    with app.app_context():
        world.users["solo"] = make_user("solo@test.cc", "agent", []).id
    opened = {}
    for who in ("anna", "nina", "solo", "boss", "admin"):
        opened[who] = Listener(live_server, f"{who}@test.cc")
    for listener in opened.values():
        assert [e for e, _d in listener.collect(0.5)] == ["hello"]
    yield opened
    closers = [threading.Thread(target=listener.close) for listener in opened.values()]
    for t in closers:
        t.start()
    for t in closers:
        t.join()


def _heard(people) -> dict[str, set]:
    """Which tickets each person heard of, by event."""
    out = {}
    for who, listener in people.items():
        out[who] = {(event, data.get("ticket_id")) for event, data in listener.collect() if event != "queue.stats"}
    return out


def _tickets(api):
    billing = api.post("/api/v1/tickets", json=ticket_body(category="billing", subject="billing")).json["id"]
    network = api.post("/api/v1/tickets", json=ticket_body(category="network", subject="network")).json["id"]
    nobody = api.post("/api/v1/tickets", json=ticket_body(category="other", subject="no team")).json["id"]
    return billing, network, nobody


def test_anonymous_consoles_are_refused(live_server, world):
    with pytest.raises(sio_lib.exceptions.ConnectionError):
        Listener(live_server, None)


def test_each_person_hears_exactly_their_rooms_and_follows_a_team_change(app, api, world, people):
    billing, network, nobody = _tickets(api)
    api.post(f"/api/v1/tickets/{nobody}/assign", json={"agent_id": world.id("solo")})
    heard = _heard(people)
    created = lambda *ids: {("ticket.updated", i) for i in ids}  # noqa: E731
    assert heard["anna"] == created(billing)
    assert heard["nina"] == created(network)
    assert heard["solo"] >= {("ticket.assigned", nobody)} and {t for _e, t in heard["solo"]} == {nobody}
    for supervisor in ("boss", "admin"):
        assert {t for _e, t in heard[supervisor]} == {billing, network, nobody}

    # anna moves from Billing to Network: her open console follows, with no reconnect.
    r = api.put(f"/api/v1/agents/{world.id('anna')}/teams", json={"teams": ["Network"]}, who="admin")
    assert r.status_code == 200 and r.json["teams"] == ["Network"]
    billing2, network2, _ = _tickets(api)
    heard = _heard(people)
    assert heard["anna"] == created(network2)
    assert heard["nina"] == created(network2)
    assert billing2 not in {t for _e, t in heard["anna"] | heard["nina"] | heard["solo"]}
    with app.app_context():
        assert [t.name for t in db.session.get(User, world.id("anna")).teams] == ["Network"]


def test_a_team_that_does_not_exist_is_refused_and_nothing_moves(api, world):
    r = api.put(f"/api/v1/agents/{world.id('anna')}/teams", json={"teams": ["Biling"]}, who="admin")
    assert r.status_code == 422 and "Biling" in str(r.json["error"]["details"])
    assert api.put(f"/api/v1/agents/{world.id('anna')}/teams", json={"teams": ["Network"]}).status_code == 403
    anna = next(a for a in api.get("/api/v1/agents", who="admin").json["items"] if a["id"] == world.id("anna"))
    assert anna["teams"] == ["Billing"]

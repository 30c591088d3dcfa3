"""Collision detection over a real /console server: who has a ticket open and who is typing,
heard by those who may read the ticket only, gone when the page closes or goes silent."""
from __future__ import annotations

import json
import time

import pytest

from callcenter.console import viewers as open_pages
from tests.factories import create_ticket


def _viewers_of(events, ticket_id):
    said = [d for e, d in events if e == "ticket.viewers" and d["ticket_id"] == ticket_id]
    return said[-1]["viewers"] if said else None


def _names(viewers):
    return [(v["name"], v["typing"]) for v in viewers]


@pytest.fixture
def billing_ticket(app, world):
    with app.app_context():
        return create_ticket(world, category="billing").id


def test_two_agents_on_one_ticket_see_each_other_and_who_is_typing(listen, billing_ticket):
    anna, bert = listen("anna@test.cc"), listen("bert@test.cc")
    assert anna.client.call("ticket.view", {"ticket_id": billing_ticket}, namespace="/console") == {"ok": True}
    assert _names(_viewers_of(bert.collect(1.0), billing_ticket)) == [("Anna", False)]
    bert.client.call("ticket.view", {"ticket_id": billing_ticket}, namespace="/console")
    assert _names(_viewers_of(anna.collect(1.0), billing_ticket)) == [("Anna", False), ("Bert", False)]

    bert.client.call("ticket.typing", {"ticket_id": billing_ticket, "typing": True}, namespace="/console")
    assert _names(_viewers_of(anna.collect(1.0), billing_ticket)) == [("Anna", False), ("Bert", True)]

    bert.client.call("ticket.leave", {"ticket_id": billing_ticket}, namespace="/console")
    assert _names(_viewers_of(anna.collect(1.0), billing_ticket)) == [("Anna", False)]


def test_a_closed_page_stops_showing(listen, billing_ticket):
    anna, bert = listen("anna@test.cc"), listen("bert@test.cc")
    bert.client.call("ticket.view", {"ticket_id": billing_ticket}, namespace="/console")
    anna.collect(0.5)
    bert.close()  # the tab closes: no ticket.leave, only the disconnect
    assert _viewers_of(anna.collect(1.5), billing_ticket) == []


def test_another_teams_agent_may_not_view_and_hears_nothing(listen, billing_ticket):
    anna, nina = listen("anna@test.cc"), listen("nina@test.cc")
    assert nina.client.call("ticket.view", {"ticket_id": billing_ticket}, namespace="/console") == {
        "ok": False, "error": "forbidden"}
    anna.client.call("ticket.view", {"ticket_id": billing_ticket}, namespace="/console")
    assert _viewers_of(nina.collect(1.0), billing_ticket) is None
    assert _names(_viewers_of(anna.collect(0.5), billing_ticket)) == [("Anna", False)]


def test_typing_on_a_ticket_not_viewed_tells_nobody(listen, billing_ticket):
    anna, nina = listen("anna@test.cc"), listen("nina@test.cc")
    nina.client.call("ticket.typing", {"ticket_id": billing_ticket, "typing": True}, namespace="/console")
    assert _viewers_of(anna.collect(1.0), billing_ticket) is None


def test_malformed_client_events_are_refused_plainly(listen):
    anna = listen("anna@test.cc")  # one console for all of them: each close costs the dev server 3 s
    for bad in (None, {}, {"ticket_id": "1"}, {"ticket_id": True}, {"ticket_id": 2**40}, [1]):
        for event in ("ticket.view", "ticket.leave"):
            assert anna.client.call(event, bad, namespace="/console") == {"ok": False, "error": "bad_request"}, bad
    assert anna.client.call("ticket.typing", {"ticket_id": 1, "typing": "yes"}, namespace="/console") == {
        "ok": False, "error": "bad_request"}


def test_an_entry_no_heartbeat_renewed_no_longer_counts(app, billing_ticket):
    """A web process killed with its sockets open leaves entries behind; they expire by age."""
    with app.app_context():
        now = time.time()
        open_pages.view(billing_ticket, "sid-alive", 1, "Anna", now)
        open_pages.view(billing_ticket, "sid-dead", 2, "Bert", now - open_pages.STALE_SECONDS - 1)
        assert [v["name"] for v in open_pages.viewers(billing_ticket, now)] == ["Anna"]
        open_pages.still_here("sid-alive", now + open_pages.STALE_SECONDS)
        assert [v["name"] for v in open_pages.viewers(billing_ticket, now + open_pages.STALE_SECONDS + 5)] == ["Anna"]
        assert json.loads(app.extensions["callcenter.redis"].hget(
            open_pages.KEY.format(ticket_id=billing_ticket), "sid-alive"))["at"] == pytest.approx(
            now + open_pages.STALE_SECONDS, abs=0.01)  # Redis's cjson keeps 14 digits


def test_a_page_left_open_after_its_ticket_moved_team_is_not_named_to_the_new_team(app, api, listen, billing_ticket,
                                                                                    world):
    anna, nina = listen("anna@test.cc"), listen("nina@test.cc")
    anna.client.call("ticket.view", {"ticket_id": billing_ticket}, namespace="/console")
    with app.app_context():
        from callcenter.extensions import db
        from callcenter.tickets.models import Ticket

        db.session.get(Ticket, billing_ticket).team_id = world.teams["Network"]  # moved, as routing would
        db.session.commit()
    nina.client.call("ticket.view", {"ticket_id": billing_ticket}, namespace="/console")
    assert _names(_viewers_of(nina.collect(1.0), billing_ticket)) == [("Nina", False)]


def test_typing_after_leaving_does_not_bring_the_entry_back(app, billing_ticket):
    with app.app_context():
        now = time.time()
        open_pages.view(billing_ticket, "sid-1", 1, "Anna", now)
        assert open_pages.typing(billing_ticket, "sid-1", True, now) is True
        assert open_pages.typing(billing_ticket, "sid-1", True, now) is False  # no change
        open_pages.leave(billing_ticket, "sid-1")
        assert open_pages.typing(billing_ticket, "sid-1", False, now) is False
        open_pages.still_here("sid-1", now)
        assert open_pages.viewers(billing_ticket, now) == []

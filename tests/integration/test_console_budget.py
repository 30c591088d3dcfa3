"""The console's hot paths read a fixed number of statements however much work is on it: the
list and its live fragment (redrawn on every event), the ticket page and its conversation."""
from __future__ import annotations

import pytest

from callcenter.actions import assignment
from callcenter.actions import tickets as ticket_actions
from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.factories import actor_of, create_ticket, login, set_presence
from tests.statements import statements

BUDGET = 12  # statements for one redraw of the console's queue: what it reads, not per row


def _work(app, world, n: int) -> list[int]:
    """n tickets held by anna, every other one breached (so that the overdue view has rows)."""
    with app.app_context():
        for name in ("anna", "bert"):
            set_presence(world.id(name), "offline")
        ids = []
        for i in range(n):
            t = create_ticket(world, subject=f"work {i}", category="billing")
            assignment.assign(t.id, world.id("anna"), actor_of(world, "boss"), override=True)
            if i % 2 == 0:
                db.session.get(Ticket, t.id).sla_state = "breached"
                db.session.commit()
            ids.append(t.id)
        return ids


def _count(app, client, path: str, rows: bool = False):
    with statements(app) as seen:
        r = client.get(path)
    assert r.status_code == 200, path
    shown = r.get_data(as_text=True).count("<tr data-ticket-id=")
    return (len(seen), shown) if rows else len(seen)


@pytest.mark.parametrize("path", ["/desk/", "/desk/?view=mine", "/desk/fragments/queue?view=mine",
                                  "/desk/fragments/queue?view=overdue&sort=priority"])
def test_the_console_queue_reads_the_same_statements_for_twenty_tickets_as_for_two(app, client, world, path):
    _work(app, world, 2)
    login(client, "anna@test.cc")
    client.get(path)  # the first request after signing in reads what the session needs once
    few, few_rows = _count(app, client, path, rows=True)
    _work(app, world, 18)
    many, many_rows = _count(app, client, path, rows=True)
    assert many_rows > few_rows > 0, (few_rows, many_rows)  # the rows are there to be read
    assert many == few, (few, many)
    assert few <= BUDGET + 2, few  # the full page adds the teams for the filter


def test_a_ticket_page_and_its_conversation_read_the_same_for_many_messages(app, client, world):
    [tid] = _work(app, world, 1)
    login(client, "anna@test.cc")
    client.get(f"/desk/tickets/{tid}")
    page, conversation = _count(app, client, f"/desk/tickets/{tid}"), _count(app, client, f"/desk/tickets/{tid}/conversation")
    with app.app_context():
        for i in range(15):
            ticket_actions.add_message(tid, f"more {i}", i % 2 == 0, actor_of(world, "anna"))
    assert _count(app, client, f"/desk/tickets/{tid}") == page
    assert _count(app, client, f"/desk/tickets/{tid}/conversation") == conversation

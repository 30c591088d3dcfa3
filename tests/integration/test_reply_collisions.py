"""Two agents answering one ticket: the second sender is asked to review what changed since
their draft began, and their draft is kept; nothing reaches the customer twice by accident."""
import re

from sqlalchemy import func, select

from callcenter.extensions import db
from callcenter.tickets.models import TicketMessage
from tests.factories import create_ticket, csrf_from, login


def _draft_start(client, ticket_id):
    html = client.get(f"/desk/tickets/{ticket_id}").get_data(as_text=True)
    seen = re.search(r'name="seen_event_id"[^>]*value="(\d+)"', html) or re.search(
        r'value="(\d+)"[^>]*name="seen_event_id"', html)
    assert seen, "the reply form carries what its author has seen"
    return csrf_from(html), seen.group(1)


def _send(client, ticket_id, csrf, seen, body):
    return client.post(f"/desk/tickets/{ticket_id}/messages",
                       data={"csrf_token": csrf, "seen_event_id": seen, "body": body})


def _public_messages(app, ticket_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(TicketMessage)
                                 .where(TicketMessage.ticket_id == ticket_id, TicketMessage.internal.is_(False)))


def test_the_second_of_two_replies_begun_together_is_held_for_review(app, world):
    with app.app_context():
        tid = create_ticket(world, category="billing").id
    anna, bert = app.test_client(), app.test_client()
    login(anna, "anna@test.cc")
    login(bert, "bert@test.cc")
    anna_csrf, anna_seen = _draft_start(anna, tid)
    bert_csrf, bert_seen = _draft_start(bert, tid)

    assert _send(anna, tid, anna_csrf, anna_seen, "我们已为您退款。").status_code == 302
    held = _send(bert, tid, bert_csrf, bert_seen, "退款将在三天内到账。")

    assert held.status_code == 409
    page = held.get_data(as_text=True)
    assert "退款将在三天内到账。" in page, "the draft is shown again, not lost"
    assert "data-review-changes" in page and "我们已为您退款。" in page, "the change to review is shown"
    assert _public_messages(app, tid) == 1

    # Having read it, the agent sends the draft on purpose: the form now knows what they saw.
    csrf, seen = csrf_from(page), re.search(r'name="seen_event_id"[^>]*value="(\d+)"', page).group(1)
    assert int(seen) > int(bert_seen)
    assert _send(bert, tid, csrf, seen, "退款将在三天内到账。").status_code == 302
    assert _public_messages(app, tid) == 2


def test_a_status_change_since_the_draft_began_also_asks_for_review(app, world, api):
    with app.app_context():
        tid = create_ticket(world, category="billing").id
    bert = app.test_client()
    login(bert, "bert@test.cc")
    csrf, seen = _draft_start(bert, tid)
    api.post(f"/api/v1/tickets/{tid}/assign", json={"agent_id": world.id("anna")})
    assert api.post(f"/api/v1/tickets/{tid}/transitions", json={"to": "pending_customer"}).status_code == 200
    held = _send(bert, tid, csrf, seen, "请提供订单号。")
    assert held.status_code == 409 and "data-review-changes" in held.get_data(as_text=True)
    assert _public_messages(app, tid) == 0


def test_an_agents_own_earlier_reply_needs_no_review(app, world):
    with app.app_context():
        tid = create_ticket(world, category="billing").id
    anna = app.test_client()
    login(anna, "anna@test.cc")
    csrf, seen = _draft_start(anna, tid)
    assert _send(anna, tid, csrf, seen, "第一条").status_code == 302
    # The same (stale) page sends again: only the agent's own message came since.
    assert _send(anna, tid, csrf, seen, "第二条").status_code == 302
    assert _public_messages(app, tid) == 2


def test_the_api_refuses_a_reply_to_a_ticket_changed_since_it_was_read(app, world, api):
    with app.app_context():
        tid = create_ticket(world, category="billing").id
    events = api.get(f"/api/v1/tickets/{tid}/events").json["items"]
    seen = events[-1]["id"]
    api.post(f"/api/v1/tickets/{tid}/messages", json={"body": "first"}, who="admin")
    r = api.post(f"/api/v1/tickets/{tid}/messages", json={"body": "second", "seen_event_id": seen})
    assert r.status_code == 409 and r.json["error"]["code"] == "ticket_changed"
    changes = r.json["error"]["details"]["changes"]
    assert changes[0]["kind"] == "message" and changes[0]["body"] == "first"
    # Without seen_event_id the API behaves as before.
    assert api.post(f"/api/v1/tickets/{tid}/messages", json={"body": "third"}).status_code == 201

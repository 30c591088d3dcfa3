"""Promises to the customer: never due in the past, settled before the ticket is resolved or
closed, and shown by their own text and due time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from callcenter.actions import tickets
from callcenter.errors import ValidationFailed
from callcenter.extensions import db
from callcenter.tickets import changes
from callcenter.tickets.models import Promise, Ticket
from tests.factories import actor_of, create_ticket, csrf_from, login, moved, ticket_at, ticket_body

SHANGHAI = timezone(timedelta(hours=8))


def _promises(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Promise.id)))


def _local(moment: datetime) -> str:
    """A datetime-local form value in the desk's zone (Asia/Shanghai)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- never due in the past

def test_a_new_ticket_with_a_promise_due_in_the_past_is_422_naming_due_at(app, api, world):
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    r = api.post("/api/v1/tickets", json=ticket_body(promises=[{"description": "call back", "due_at": past}]))
    assert r.status_code == 422 and "due_at" in str(r.json["error"]["details"])
    with app.app_context():
        assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_the_promise_action_refuses_a_due_time_before_now(app, world, ctx):
    when = datetime(2030, 3, 1, 9, 0, tzinfo=timezone.utc)
    ticket = ticket_at(world, when)
    with pytest.raises(ValidationFailed) as refused:
        tickets.add_promise(ticket.id, "call back", when - timedelta(minutes=1), actor_of(world, "boss"), now=when)
    assert "due_at" in refused.value.details["fields"]
    assert db.session.scalar(select(func.count(Promise.id))) == 0


def test_a_promise_due_in_the_past_on_the_ticket_page_is_a_message_under_its_field(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
    login(client, "anna@test.cc")
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    r = client.post(f"/desk/tickets/{tid}/promises", data={
        "csrf_token": token, "description": "回电", "due_at": _local(datetime.now(timezone.utc) - timedelta(hours=2))})
    assert r.status_code == 400 and 'data-error-for="due_at"' in r.get_data(as_text=True)
    assert _promises(app) == 0


def test_a_phone_call_with_a_promise_due_in_the_past_is_a_message_under_its_field(app, client, world):
    login(client, "anna@test.cc")
    token = csrf_from(client.get("/desk/phone").get_data(as_text=True))
    r = client.post("/desk/phone", data={
        "csrf_token": token, "kind": "service_request", "name": "赵先生", "phone": "13600001234", "email": "",
        "category": "billing", "subject": "开具发票", "description": "需要十月的增值税发票", "priority": "",
        "language": "zh", "severity": "", "promise": "明天下午前发送发票",
        "promise_due": _local(datetime.now(timezone.utc) - timedelta(days=1))})
    assert r.status_code == 400 and 'data-error-for="promise_due"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Ticket.id))) == 0


# ---------------------------------------------------------------- settled before resolving or closing

def test_resolving_with_an_open_promise_is_409_listing_it(app, api, world):
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    due = datetime.now(timezone.utc) + timedelta(days=1)
    p = api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "Call back", "due_at": due.isoformat()}).json
    api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress"})
    r = api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "resolved"})
    assert r.status_code == 409 and r.json["error"]["code"] == "open_promises"
    listed = r.json["error"]["details"]["promises"]
    assert [(x["id"], x["description"]) for x in listed] == [(p["id"], "Call back")]
    assert datetime.fromisoformat(listed[0]["due_at"]) == datetime.fromisoformat(p["due_at"])
    assert api.get(f"/api/v1/tickets/{t['id']}").json["status"] == "in_progress"
    api.post(f"/api/v1/tickets/{t['id']}/promises/{p['id']}", json={"outcome": "kept"})
    assert api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "resolved"}).status_code == 200


def test_closing_a_resolved_ticket_that_still_holds_an_open_promise_is_409(app, api, world):
    """A promise left open on a resolved ticket from before this rule: closing waits for it."""
    with app.app_context():
        when = datetime.now(timezone.utc) - timedelta(hours=1)
        ticket = ticket_at(world, when, kind="inquiry")
        moved(world, ticket.id, when, "in_progress", "resolved")
        ticket = db.session.get(Ticket, ticket.id)
        promise = changes.add_promises(ticket, [("Send the letter", when + timedelta(days=2))],
                                       actor_of(world, "boss"), when)[0]
        db.session.commit()
        tid, pid = ticket.id, promise.id
    r = api.post(f"/api/v1/tickets/{tid}/transitions", json={"to": "closed"})
    assert r.status_code == 409 and [x["id"] for x in r.json["error"]["details"]["promises"]] == [pid]
    assert api.post(f"/api/v1/tickets/{tid}/promises/{pid}", json={"outcome": "cancelled"}).status_code == 200
    assert api.post(f"/api/v1/tickets/{tid}/transitions", json={"to": "closed"}).status_code == 200


def test_the_ticket_page_asks_to_settle_open_promises_before_resolving(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
        tickets.add_promise(tid, "回电告知退款", datetime.now(timezone.utc) + timedelta(days=1), actor_of(world, "boss"))
    login(client, "boss@test.cc")
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "in_progress"})
    r = client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "resolved"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Settle the open promises" in html
    assert "/kept" in html and "/cancelled" in html  # both ways to settle are offered
    with app.app_context():
        assert db.session.get(Ticket, tid).status.value == "in_progress"


def test_a_promise_is_cancelled_from_the_ticket_page(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
        pid = tickets.add_promise(tid, "回电", datetime.now(timezone.utc) + timedelta(days=1),
                                  actor_of(world, "boss")).id
    login(client, "boss@test.cc")
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    assert client.post(f"/desk/tickets/{tid}/promises/{pid}/cancelled", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(Promise, pid).status.value == "cancelled"


def test_a_closed_ticket_offers_no_promise_actions(app, client, world):
    with app.app_context():
        when = datetime.now(timezone.utc) - timedelta(hours=1)
        ticket = ticket_at(world, when, kind="inquiry")
        moved(world, ticket.id, when, "in_progress", "resolved", "closed")
        ticket = db.session.get(Ticket, ticket.id)
        changes.add_promises(ticket, [("left open", when + timedelta(days=2))], actor_of(world, "boss"), when)
        db.session.commit()
        tid = ticket.id
    login(client, "boss@test.cc")
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    assert "left open" in html
    assert "/kept" not in html and "/cancelled" not in html and "Record promise" not in html


# ---------------------------------------------------------------- shown by their text and exact due time

def test_each_promise_clock_reads_as_its_promise_with_its_exact_due_time(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
        boss = actor_of(world, "boss")
        year = datetime.now(timezone.utc).year + 1
        # 17:00 and 18:30 in Shanghai, given with seconds to spare that must not round anything down
        tickets.add_promise(tid, "回电告知退款", datetime(year, 5, 6, 9, 0, 0, 400000, tzinfo=timezone.utc), boss)
        tickets.add_promise(tid, "寄送发票", datetime(year, 5, 6, 10, 30, tzinfo=timezone.utc), boss)
    login(client, "boss@test.cc")
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    clocks = html[html.index('class="clocks"'):html.index("</ul>", html.index('class="clocks"'))]
    assert "回电告知退款" in clocks and "寄送发票" in clocks
    assert "5:00" in clocks and "6:30" in clocks  # 17:00 and 18:30 as the English page writes them
    assert "4:59" not in clocks and "6:29" not in clocks


def test_a_promise_clock_falls_due_no_earlier_than_the_promise(app, world, ctx):
    from callcenter.sla.models import SlaClock

    when = datetime(2030, 3, 1, 8, 0, 0, 600000, tzinfo=timezone.utc)  # 3599.4 s before the promise
    ticket = ticket_at(world, when)
    due = datetime(2030, 3, 1, 9, 0, tzinfo=timezone.utc)
    promise = tickets.add_promise(ticket.id, "call back", due, actor_of(world, "boss"), now=when)
    clock = db.session.scalar(select(SlaClock).where(SlaClock.name == f"promise:{promise.id}"))
    assert clock.due_at >= due


def test_the_wallboard_names_an_overdue_promise_by_its_text(app, api, client, world):
    from callcenter.actions import sla
    from callcenter.sla.models import SlaClock

    with app.app_context():
        made = datetime.now(timezone.utc) - timedelta(hours=2)
        tid = ticket_at(world, made).id
        promise = tickets.add_promise(tid, "回电告知退款", made + timedelta(hours=1), actor_of(world, "boss"), now=made)
        pid, due = promise.id, promise.due_at
        clock = db.session.scalar(select(SlaClock).where(SlaClock.name == f"promise:{pid}"))
        assert "breach" in sla.check(clock.id)
    login(client, "boss@test.cc")
    assert "回电告知退款" in client.get("/wallboard/panel").get_data(as_text=True)
    entry = next(e for e in api.get("/api/v1/kpi/sla-board").json["at_risk"] if e["ticket_id"] == tid)
    assert entry["promise"] == "回电告知退款" and datetime.fromisoformat(entry["due_at"]) == due

"""Staff pages: sign-in, the ticket list, a ticket's page and logging a phone call."""
import pytest
from sqlalchemy import select

from callcenter.actions import assignment
from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.factories import PASSWORD, actor_of, create_ticket, csrf_from, login, logout, make_user


def test_login_and_logout(client, world):
    r = login(client, "anna@test.cc")
    assert r.status_code == 302 and r.headers["Location"].endswith("/desk/?view=mine")
    assert client.get("/desk/").status_code == 200
    logout(client)
    assert client.get("/desk/").status_code == 302


def test_an_agent_signing_in_lands_on_my_work(app, client, world):
    with app.app_context():
        held = create_ticket(world, subject="Held by Anna")
        held_reference = held.reference
        assignment.assign(held.id, world.id("anna"), actor_of(world, "boss"))
        waiting = create_ticket(world, subject="Nobody holds this").reference
    r = login(client, "anna@test.cc")
    assert r.status_code == 302 and r.headers["Location"] == "/desk/?view=mine"
    html = client.get(r.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>My work</h1>" in html and held_reference in html and waiting not in html
    # signed in already: /login leads to the same place
    assert client.get("/login").headers["Location"] == "/desk/?view=mine"


@pytest.mark.parametrize("who, lands", [("boss", "/desk/?view=team"), ("admin", "/desk/"),
                                        ("lonely", "/desk/")])
def test_a_supervisor_lands_on_their_teams_and_an_admin_on_everything(app, client, world, who, lands):
    """A supervisor looks after their teams' work; an admin (in no team) and a supervisor in no
    team have no team view worth landing on: the whole list."""
    with app.app_context():
        make_user("lonely@test.cc", "supervisor")
    r = login(client, f"{who}@test.cc")
    assert r.status_code == 302 and r.headers["Location"] == lands


@pytest.mark.parametrize("who", ["anna", "boss", "admin"])
def test_a_next_link_still_wins_over_the_console_view(client, world, who):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login?next=/desk/phone", data={"email": f"{who}@test.cc", "password": PASSWORD,
                                                     "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/desk/phone"


def test_wrong_password_is_a_form_message(client, world):
    r = login(client, "anna@test.cc", "wrong-password")
    assert r.status_code == 400 and 'data-error-for="password"' in r.get_data(as_text=True)
    assert client.get("/desk/").status_code == 302


def test_login_needs_the_csrf_token(client, world):
    r = client.post("/login", data={"email": "anna@test.cc", "password": "correct-horse-9"})
    assert r.status_code == 400
    assert client.get("/desk/").status_code == 302


def test_pages_need_sign_in(client, world):
    r = client.get("/desk/phone")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_list_shows_only_the_agents_teams(app, client, world):
    with app.app_context():
        mine = create_ticket(world, subject="Billing thing", category="billing").reference
        theirs = create_ticket(world, subject="Network thing", category="network").reference
    login(client, "anna@test.cc")
    html = client.get("/desk/").get_data(as_text=True)
    assert mine in html and theirs not in html


def test_another_teams_ticket_page_is_forbidden(app, client, world):
    with app.app_context():
        tid = create_ticket(world, category="network").id
    login(client, "anna@test.cc")
    assert client.get(f"/desk/tickets/{tid}").status_code == 403


def test_agent_logs_a_phone_call_with_a_promise(app, client, world):
    login(client, "anna@test.cc")
    token = csrf_from(client.get("/desk/phone").get_data(as_text=True))
    r = client.post("/desk/phone", data={
        "csrf_token": token, "kind": "service_request", "name": "赵先生", "phone": "13600001234", "email": "",
        "category": "billing", "subject": "开具发票", "description": "需要十月的增值税发票", "priority": "", "language": "zh",
        "severity": "", "promise": "明天下午前发送发票", "promise_due": "2030-01-02T15:00"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        t = db.session.scalar(select(Ticket))
        assert t.channel.value == "phone" and t.created_by_id == world.id("anna")
        assert t.priority.value == "P3" and t.promises[0].description == "明天下午前发送发票"
        # 15:00 in Asia/Shanghai is 07:00 UTC
        assert t.promises[0].due_at.hour == 7


def test_phone_form_errors_keep_the_input(app, client, world):
    login(client, "anna@test.cc")
    token = csrf_from(client.get("/desk/phone").get_data(as_text=True))
    r = client.post("/desk/phone", data={"csrf_token": token, "kind": "complaint", "name": "赵先生", "phone": "",
                                         "email": "", "category": "billing", "subject": "", "description": "abc",
                                         "promise": "call back", "promise_due": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    for field in ("email", "subject", "description", "promise_due"):
        assert f'data-error-for="{field}"' in html, field
    assert "赵先生" in html


def test_ticket_page_actions_reply_take_and_close(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
    login(client, "anna@test.cc")
    page = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    token = csrf_from(page)
    assert client.post(f"/desk/tickets/{tid}/assign", data={"csrf_token": token, "take": "1"}).status_code == 302
    assert client.post(f"/desk/tickets/{tid}/messages", data={"csrf_token": token, "body": "已退款"}).status_code == 302
    assert client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "resolved"}).status_code == 302
    r = client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "closed"})
    assert r.status_code == 400 and "form-error" in r.get_data(as_text=True)
    r = client.post(f"/desk/tickets/{tid}/transition", data={
        "csrf_token": token, "to": "closed", "resolution_summary": "退款 99 元", "root_cause": "重复出账",
        "responsible_department": "账务部"})
    assert r.status_code == 302
    with app.app_context():
        t = db.session.get(Ticket, tid)
        assert t.status.value == "closed" and t.assignee_id == world.id("anna") and t.first_response_at
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    assert 'data-event="assigned"' in html and 'data-event="status_changed"' in html


def test_not_allowed_transition_from_a_page_is_a_message(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
    login(client, "boss@test.cc")
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    r = client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "closed"})
    assert r.status_code == 400 and "form-error" in r.get_data(as_text=True)


def test_signed_in_browser_may_call_the_api_with_the_csrf_header(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
    login(client, "anna@test.cc")
    assert client.get(f"/api/v1/tickets/{tid}").status_code == 200
    r = client.post(f"/api/v1/tickets/{tid}/messages", json={"body": "hi"})
    assert r.status_code == 400 and r.json["error"]["code"] == "csrf_failed"
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    r = client.post(f"/api/v1/tickets/{tid}/messages", json={"body": "hi"}, headers={"X-CSRFToken": token})
    assert r.status_code == 201


def test_customer_page_shows_history_and_supervisors_change_the_tier(app, client, world):
    with app.app_context():
        a = create_ticket(world, subject="first", category="billing")
        b = create_ticket(world, subject="second", category="network")
        cid, refs = a.customer_id, (a.reference, b.reference)
    login(client, "anna@test.cc")
    html = client.get(f"/desk/customers/{cid}").get_data(as_text=True)
    assert refs[0] in html and refs[1] not in html  # the network ticket is another team's
    assert "Change tier" not in html
    token = csrf_from(client.get("/desk/phone").get_data(as_text=True))
    client.post(f"/desk/customers/{cid}/tier", data={"csrf_token": token, "tier": "VIP"})
    assert 'data-tier="C"' in client.get(f"/desk/customers/{cid}").get_data(as_text=True)  # agents may not
    logout(client)
    login(client, "boss@test.cc")
    html = client.get(f"/desk/customers/{cid}").get_data(as_text=True)
    assert refs[1] in html
    assert client.post(f"/desk/customers/{cid}/tier", data={"csrf_token": csrf_from(html), "tier": "VIP"}).status_code == 302
    assert 'data-tier="VIP"' in client.get(f"/desk/customers/{cid}").get_data(as_text=True)


def test_page_posts_without_csrf_are_refused(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
    login(client, "boss@test.cc")
    assert client.post(f"/desk/tickets/{tid}/messages", data={"body": "x"}).status_code == 400
    assert client.post(f"/desk/tickets/{tid}/promises/1/kept", data={}).status_code == 400


def test_bad_list_filters_are_ignored_with_a_message(client, world):
    login(client, "boss@test.cc")
    for query in ("kind=bogus", "priority=P9", "status=open", "page=0", "page=99999999999999999999"):
        r = client.get(f"/desk/?{query}")
        assert r.status_code == 200, query
        assert "flash warning" in r.get_data(as_text=True), query


def test_huge_ids_are_not_found_not_errors(client, api, world):
    login(client, "boss@test.cc")
    assert client.get("/desk/tickets/99999999999999999999").status_code == 404
    r = api.get("/api/v1/tickets/99999999999999999999")
    assert r.status_code == 404 and r.is_json
    assert api.get("/api/v1/tickets?page=99999999999999999999").status_code == 422


def test_bulk_assign_does_each_ticket_it_may_and_names_the_ones_it_may_not(app, client, world):
    from callcenter.actions import tickets as ticket_actions
    from tests.factories import actor_of, set_presence

    with app.app_context():
        for name in ("anna", "bert"):
            set_presence(world.id(name), "offline")
        mine = [create_ticket(world, category="billing").id for _ in range(2)]
        closed = create_ticket(world, category="billing")
        ticket_actions.transition(closed.id, "cancelled", actor_of(world, "boss"))
        closed_ref = closed.reference
    login(client, "boss@test.cc")
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    r = client.post("/desk/bulk", data={"csrf_token": token, "action": "assign", "agent_id": str(world.id("bert")),
                                        "ticket_ids": [*map(str, mine), str(closed.id)], "to": "in_progress",
                                        "next": "/desk/"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "2 个工单已处理" in page or "2 tickets done" in page, page[-2000:]
    assert closed_ref in page, "the refused one is named with its reason"
    with app.app_context():
        assert {db.session.get(Ticket, i).assignee_id for i in mine} == {world.id("bert")}
        assert db.session.get(Ticket, closed.id).assignee_id is None


def test_bulk_with_nothing_ticked_says_so(app, client, world):
    login(client, "anna@test.cc")
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    r = client.post("/desk/bulk", data={"csrf_token": token, "action": "status", "to": "resolved"},
                    follow_redirects=True)
    assert r.status_code == 200 and ("请先勾选" in r.get_data(as_text=True) or "Tick at least one" in r.get_data(as_text=True))


def test_a_supervisor_transfers_a_ticket_with_a_note_for_the_colleague(app, client, world):
    from callcenter.tickets.models import TicketMessage
    from tests.factories import set_presence

    with app.app_context():
        for name in ("anna", "bert"):
            set_presence(world.id(name), "offline")
        tid = create_ticket(world, category="billing").id
    login(client, "boss@test.cc")
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    r = client.post(f"/desk/tickets/{tid}/assign", data={"csrf_token": token, "agent_id": str(world.id("bert")),
                                                          "note": "客户要求退款，请今天回电"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Ticket, tid).assignee_id == world.id("bert")
        [note] = db.session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == tid)).all()
        assert note.internal and note.body == "客户要求退款，请今天回电"


def test_a_transfer_the_assignment_refuses_leaves_no_note_behind(app, client, world):
    from callcenter.actions import tickets as ticket_actions
    from callcenter.tickets.models import TicketMessage
    from tests.factories import actor_of

    with app.app_context():
        tid = create_ticket(world, category="billing").id
        ticket_actions.transition(tid, "cancelled", actor_of(world, "boss"))  # nobody takes a cancelled ticket
    login(client, "boss@test.cc")
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    r = client.post(f"/desk/tickets/{tid}/assign", data={"csrf_token": token, "agent_id": str(world.id("bert")),
                                                          "note": "不应留下"})
    assert r.status_code in (400, 409)
    with app.app_context():
        assert db.session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == tid)).all() == []


def test_the_ticket_page_shows_the_customers_earlier_tickets_it_may_see(app, client, world):
    with app.app_context():
        earlier = create_ticket(world, subject="上个月的账单", category="billing").reference
        hidden = create_ticket(world, subject="网络的事", category="network").reference  # Nina's team
        tid = create_ticket(world, subject="这一次", category="billing").id
    login(client, "anna@test.cc")
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    panel = html[html.index('id="customer-panel"'):]
    assert earlier in panel and hidden not in panel


def test_bulk_never_names_a_ticket_the_agent_may_not_see(app, client, world):
    with app.app_context():
        theirs = create_ticket(world, subject="另一个团队的", category="network").reference
        theirs_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == theirs))
    login(client, "anna@test.cc")
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    r = client.post("/desk/bulk", data={"csrf_token": token, "action": "status", "to": "in_progress",
                                        "ticket_ids": [str(theirs_id), "2147483646"], "next": "/desk/"},
                    follow_redirects=True)
    page = r.get_data(as_text=True)
    assert theirs not in page and f"#{theirs_id}" in page and "#2147483646" in page

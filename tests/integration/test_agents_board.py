"""The supervisors' board of agents (/desk/agents), through the browser's forms: who is
available, away or offline and for how long, load against capacity, the work each one holds;
presence changed and tickets given to someone else from it; refusals as messages that keep the
choice; a fixed number of SQL statements however many agents there are."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from callcenter.actions import assignment, presence
from callcenter.auth.models import Presence, User
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from callcenter.tickets.models import Ticket
from tests import factories
from tests.factories import actor_of, create_ticket, csrf_from, login
from tests.statements import statements


def _row(html: str, user_id: int) -> str:
    match = re.search(rf'<tr data-agent-id="{user_id}".*?</tr>', html, re.S)
    assert match, f"no row for agent {user_id}"
    return match.group(0)


def _page(client, path="/desk/agents") -> tuple[str, str]:
    r = client.get(path, headers={"Accept-Language": "en"})
    assert r.status_code == 200, r.status_code
    html = r.get_data(as_text=True)
    return html, csrf_from(html)


def _held_by(app, world, who: str, **ticket) -> int:
    """A ticket given to this person by the supervisor: its id."""
    with app.app_context():
        tid = create_ticket(world, **ticket).id
        assignment.assign(tid, world.id(who), actor_of(world, "boss"))
        return tid


def _assignee(app, ticket_id: int) -> int | None:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).assignee_id


def _presence(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).presence.value


# ---------------------------------------------------------------- who may see it

@pytest.mark.parametrize("path", ["/desk/agents", "/desk/agents/rows"])
def test_agents_are_refused_the_board_and_the_signed_out_are_sent_to_sign_in(app, client, world, path):
    assert client.get(path).status_code == 302  # anonymous: the sign-in page
    login(client, "anna@test.cc")
    assert client.get(path).status_code == 403


def test_agents_may_not_use_the_boards_forms(app, client, world):
    tid = _held_by(app, world, "bert")
    login(client, "anna@test.cc")
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    assert client.post(f"/desk/agents/{world.id('bert')}/presence",
                       data={"csrf_token": token, "state": "away"}).status_code == 403
    assert client.post(f"/desk/agents/tickets/{tid}/reassign",
                       data={"csrf_token": token, "agent_id": world.id("anna")}).status_code == 403
    assert _presence(app, world.id("bert")) == "offline" and _assignee(app, tid) == world.id("bert")


@pytest.mark.parametrize("who", ["boss", "admin"])
def test_supervisors_and_admins_see_every_active_agent_and_supervisor(app, client, world, who):
    with app.app_context():
        factories.make_user("gone@test.cc", "agent", ["Billing"])
        gone = db.session.scalar(db.select(User).where(User.email == "gone@test.cc"))
        gone.active = False
        db.session.commit()
    login(client, f"{who}@test.cc")
    html, _ = _page(client)
    shown = set(map(int, re.findall(r'<tr data-agent-id="(\d+)"', html)))
    assert shown == {world.id(n) for n in ("boss", "anna", "bert", "nina")}  # no admin, nobody inactive


# ---------------------------------------------------------------- what it shows

def test_a_row_shows_presence_and_its_time_load_against_capacity_and_the_work_held(app, client, world):
    now = utcnow()
    with app.app_context():
        anna = db.session.get(User, world.id("anna"))  # arranged in the database: no routing meanwhile
        anna.presence, anna.presence_changed_at = Presence.away, now - timedelta(minutes=12)
        db.session.commit()
    tid = _held_by(app, world, "anna", subject="Refund not received", priority="P1")
    with app.app_context():
        offered = create_ticket(world, subject="Wrong tariff").id
        factories.offer(offered, world.id("anna"), utcnow())
        db.session.add(FollowUp(kind=FollowUpKind.callback, status=FollowUpStatus.assigned, name="王芳",
                                phone="+86 139 0000 1111", window_start=now, window_end=now + timedelta(hours=1),
                                assignee_id=world.id("anna"), ticket_id=tid, assigned_at=now))
        db.session.commit()
        reference = db.session.get(Ticket, tid).reference
        offered_reference = db.session.get(Ticket, offered).reference
    login(client, "boss@test.cc")
    row = _row(_page(client)[0], world.id("anna"))
    assert 'data-presence="away"' in row and "for 12 minutes" in row
    assert 'data-load="3"' in row and "3 of 5" in row  # the ticket, the offer, the callback: load.py's seats
    assert reference in row and "Refund not received" in row and "P1" in row and "SLA:" in row
    assert offered_reference in row and "answer by" in row
    assert "Callback" in row and "王芳" in row
    assert "Billing" in row


def test_the_team_filter_shows_that_teams_people_only(app, client, world):
    login(client, "boss@test.cc")
    html, _ = _page(client, "/desk/agents?team=Network")
    shown = set(map(int, re.findall(r'<tr data-agent-id="(\d+)"', html)))
    assert shown == {world.id("boss"), world.id("nina")}
    assert 'data-rows-url="/desk/agents/rows?team=Network"' in html
    rows = client.get("/desk/agents/rows?team=Network").get_data(as_text=True)
    assert set(map(int, re.findall(r'<tr data-agent-id="(\d+)"', rows))) == shown
    assert 'id="agents-summary"' in rows and "<html" not in rows


def test_the_rows_alone_change_when_an_agents_presence_changes(app, client, world):
    login(client, "boss@test.cc")
    before = client.get("/desk/agents/rows").get_data(as_text=True)
    assert 'data-presence="offline"' in _row(before, world.id("bert"))
    with app.app_context():
        presence.set_presence(world.id("bert"), "away", actor_of(world, "bert"))
    after = client.get("/desk/agents/rows").get_data(as_text=True)
    assert 'data-presence="away"' in _row(after, world.id("bert"))


# ---------------------------------------------------------------- presence from the board

def test_a_supervisor_sets_an_agents_presence_from_the_board(app, client, world):
    login(client, "boss@test.cc")
    _, token = _page(client, "/desk/agents?team=Billing")
    r = client.post(f"/desk/agents/{world.id('bert')}/presence",
                    data={"csrf_token": token, "state": "away", "team": "Billing"}, headers={"Accept-Language": "en"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/desk/agents?team=Billing")
    assert _presence(app, world.id("bert")) == "away"
    html, _ = _page(client, "/desk/agents?team=Billing")
    assert "Bert is now Away." in html


def test_an_unknown_presence_is_a_message_and_changes_nothing(app, client, world):
    login(client, "boss@test.cc")
    _, token = _page(client)
    r = client.post(f"/desk/agents/{world.id('bert')}/presence", data={"csrf_token": token, "state": "asleep"},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 400 and "Choose available, away or offline." in r.get_data(as_text=True)
    assert _presence(app, world.id("bert")) == "offline"


def test_a_presence_form_without_its_csrf_token_is_refused(app, client, world):
    login(client, "boss@test.cc")
    r = client.post(f"/desk/agents/{world.id('bert')}/presence", data={"state": "away"})
    assert r.status_code == 400 and _presence(app, world.id("bert")) == "offline"


# ---------------------------------------------------------------- reassigning from the board

def test_a_supervisor_gives_an_agents_ticket_to_another_agent(app, client, world):
    tid = _held_by(app, world, "anna")
    login(client, "boss@test.cc")
    html, token = _page(client)
    assert f'action="/desk/agents/tickets/{tid}/reassign"' in _row(html, world.id("anna"))
    r = _reassign(client, token, tid, world.id("bert"), world.id("anna"))
    assert r.status_code == 302
    assert _assignee(app, tid) == world.id("bert")
    html, _ = _page(client)
    assert "given to Bert" in html
    assert f'data-ticket-id="{tid}"' in _row(html, world.id("bert"))
    assert f'data-ticket-id="{tid}"' not in _row(html, world.id("anna"))


def test_giving_a_ticket_to_someone_at_capacity_is_a_message_that_keeps_the_choice(app, client, world):
    with app.app_context():
        db.session.get(User, world.id("bert")).capacity = 1
        db.session.commit()
    _held_by(app, world, "bert")
    tid = _held_by(app, world, "anna")
    login(client, "boss@test.cc")
    _, token = _page(client)
    r = _reassign(client, token, tid, world.id("bert"), world.id("anna"))
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "Bert is at capacity (1 of 1)." in html
    assert _assignee(app, tid) == world.id("anna")
    form = re.search(rf'action="/desk/agents/tickets/{tid}/reassign".*?</form>', html, re.S).group(0)
    assert re.search(rf'<option value="{world.id("bert")}" selected>', form)  # the choice is still made


def test_a_supervisor_may_give_a_ticket_over_capacity_when_they_say_so(app, client, world):
    with app.app_context():
        db.session.get(User, world.id("bert")).capacity = 1
        db.session.commit()
    _held_by(app, world, "bert")
    tid = _held_by(app, world, "anna")
    login(client, "boss@test.cc")
    _, token = _page(client)
    r = client.post(f"/desk/agents/tickets/{tid}/reassign", data={
        "csrf_token": token, "agent_id": world.id("bert"), "from_agent": world.id("anna"), "override": "y"})
    assert r.status_code == 302 and _assignee(app, tid) == world.id("bert")
    row = _row(_page(client)[0], world.id("bert"))
    assert 'data-load="2"' in row and "2 of 1" in row


def test_a_ticket_that_moved_since_the_page_was_drawn_is_not_moved_again(app, client, world):
    tid = _held_by(app, world, "anna")
    login(client, "boss@test.cc")
    _, token = _page(client)
    with app.app_context():
        assignment.assign(tid, world.id("nina"), actor_of(world, "boss"))  # meanwhile, another supervisor
    r = _reassign(client, token, tid, world.id("bert"), world.id("anna"))
    assert r.status_code == 409 and "has moved since the page was drawn" in r.get_data(as_text=True)
    assert _assignee(app, tid) == world.id("nina")


def _reassign(client, token, ticket_id, agent_id, from_agent):
    """The board's reassign form, as an English-speaking supervisor sends it."""
    return client.post(f"/desk/agents/tickets/{ticket_id}/reassign", headers={"Accept-Language": "en"},
                       data={"csrf_token": token, "agent_id": agent_id, "from_agent": from_agent})


def test_a_reassign_without_anyone_chosen_is_a_message(app, client, world):
    tid = _held_by(app, world, "anna")
    login(client, "boss@test.cc")
    _, token = _page(client)
    r = _reassign(client, token, tid, "", world.id("anna"))
    assert r.status_code == 400 and "Choose who takes the ticket." in r.get_data(as_text=True)
    assert _assignee(app, tid) == world.id("anna")


def test_giving_a_ticket_to_nobody_that_exists_is_a_message(app, client, world):
    tid = _held_by(app, world, "anna")
    login(client, "boss@test.cc")
    _, token = _page(client)
    r = _reassign(client, token, tid, 999999, world.id("anna"))
    assert r.status_code == 422 and "No active agent with id 999999." in r.get_data(as_text=True)
    assert _assignee(app, tid) == world.id("anna")


# ---------------------------------------------------------------- a bounded number of statements

def _desk_of(app, world, first: int, n: int) -> None:
    """n more agents, each available for a while, holding a ticket, an offer and a callback."""
    now = utcnow()
    with app.app_context():
        for i in range(first, first + n):
            user = factories.make_user(f"agent{i}@test.cc", "agent", ["Billing", "Network"] if i % 2 else ["Billing"])
            held = create_ticket(world, subject=f"held {i}").id  # everyone is offline: nothing routes
            assignment.assign(held, user.id, actor_of(world, "boss"))
            factories.offer(create_ticket(world, subject=f"offered {i}").id, user.id, now)
            db.session.add(FollowUp(kind=FollowUpKind.callback, status=FollowUpStatus.assigned, name=f"c{i}",
                                    phone="+86 139 0000 1111", window_start=now, window_end=now + timedelta(hours=1),
                                    assignee_id=user.id, ticket_id=held, assigned_at=now))
            user.presence, user.presence_changed_at = Presence.available, now - timedelta(minutes=i)
            db.session.commit()


def _count(app, client, path: str) -> tuple[int, int]:
    """(statements, rows of agents) for one request of the page."""
    with statements(app) as seen:
        r = client.get(path)
    assert r.status_code == 200
    return len(seen), len(re.findall(r"<tr data-agent-id=", r.get_data(as_text=True)))


@pytest.mark.parametrize("path", ["/desk/agents", "/desk/agents/rows", "/desk/agents?team=Billing"])
def test_the_board_reads_as_many_statements_for_ten_agents_as_for_two(app, client, world, path):
    _desk_of(app, world, 0, 2)
    login(client, "boss@test.cc")
    client.get(path)  # the first request after signing in reads what the session needs once
    few, few_rows = _count(app, client, path)
    _desk_of(app, world, 2, 8)
    many, many_rows = _count(app, client, path)
    assert many_rows == few_rows + 8  # the eight more are on the board, each with their work
    assert many == few, (few, many)

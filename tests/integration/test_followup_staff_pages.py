"""The staff pages of follow-ups, through the browser's forms: an agent's calls to make, each
try recorded or declined, a callback booked from a ticket, a customer's do-not-call hours and
the follow-up policy page. Scenes are set up through the actions with `now` given; the pages
then act at the real time."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from callcenter.actions import assignment, followup_routing, followups
from callcenter.agents.load import load_of
from callcenter.customers.models import Customer
from callcenter.db_types import utcnow
from callcenter.directory.models import SetupLogEntry
from callcenter.extensions import db
from callcenter.followups import service
from callcenter.followups.models import FollowUp, FollowUpAttempt, FollowUpKind, FollowUpStatus
from callcenter.followups.windows import window_value
from tests.factories import actor_of, csrf_from, login, moved, run_jobs, set_presence, ticket_at

T0 = datetime(2030, 3, 4, 2, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Shanghai
PHONE = "+86 139 0000 1111"


def _given(app, world, *available: str, ticket: bool = True) -> tuple[int, int | None, int]:
    """A callback on a Billing ticket that fell due and went to one of these agents:
    (its id, the ticket's id, the agent's id)."""
    with app.app_context():
        ticket_id = ticket_at(world, T0).id if ticket else None  # while nobody is there: it waits
        for who in available:
            set_presence(world.id(who), "available")
        start = T0 + timedelta(hours=1)
        callback = followups.request_callback(
            {"phone": PHONE, "name": "王芳", "window_start": start, "window_end": start + timedelta(hours=1),
             "ticket_id": ticket_id, "note": "about the refund"}, actor_of(world, "boss"), now=T0)
        followup_routing.due(callback.id, start)
        holder = db.session.get(FollowUp, callback.id).assignee_id
        assert holder is not None
        return callback.id, ticket_id, holder


def _who(world, user_id: int) -> str:
    return next(name for name, uid in world.users.items() if uid == user_id)


def _followup(app, followup_id: int) -> FollowUp:
    with app.app_context():
        row = db.session.get(FollowUp, followup_id)
        db.session.expunge(row)
        return row


def _page(client, path="/desk/followups") -> tuple[str, str]:
    r = client.get(path)
    assert r.status_code == 200, r.status_code
    html = r.get_data(as_text=True)
    return html, csrf_from(html)


# ---------------------------------------------------------------- my follow-ups

def test_my_follow_ups_list_the_assigned_callback_with_its_number_to_call(app, client, world):
    fid, ticket_id, holder = _given(app, world, "anna")
    login(client, "anna@test.cc")
    html, _token = _page(client)
    card = html.split(f'data-followup-id="{fid}"')[1].split("</article>")[0]
    assert f'data-phone="{PHONE}"' in card and 'href="tel:+8613900001111"' in card
    assert "王芳" in card and "about the refund" in card and f'href="/desk/tickets/{ticket_id}"' in card
    assert "11:00" in card  # the window, in Shanghai time
    assert f'action="/desk/followups/{fid}/attempts"' in card and f'data-decline="{fid}"' in card
    assert 'href="/desk/followups"' in html  # the header's link


def test_another_agent_sees_no_follow_up_that_is_not_theirs(app, client, world):
    fid, _ticket_id, _holder = _given(app, world, "anna")
    login(client, "bert@test.cc")
    html, _token = _page(client)
    assert f'data-followup-id="{fid}"' not in html and "data-none-mine" in html


def test_no_answer_recorded_on_the_page_shows_the_next_try_and_frees_the_seat(app, client, world):
    fid, _ticket_id, holder = _given(app, world, "anna")
    login(client, "anna@test.cc")
    _html, token = _page(client)
    r = client.post(f"/desk/followups/{fid}/attempts", data={"csrf_token": token, "outcome": "no_answer",
                                                             "note": "rang ten times"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "No answer recorded. Next try at" in html
    callback = _followup(app, fid)
    assert callback.status is FollowUpStatus.scheduled and callback.attempts_made == 1
    coming = html.split("data-coming-up")[1]
    assert f'data-next-attempt="{callback.next_attempt_at.isoformat()}"' in coming
    with app.app_context():
        assert load_of(holder) == 0
        assert db.session.scalar(select(FollowUpAttempt.note)) == "rang ten times"


def test_declining_on_the_page_is_no_try_and_the_callback_goes_to_another_available_agent(app, client, world):
    fid, _ticket_id, first = _given(app, world, "anna", "bert")
    other = world.id("bert") if first == world.id("anna") else world.id("anna")
    login(client, f"{_who(world, first)}@test.cc")
    _html, token = _page(client)
    r = client.post(f"/desk/followups/{fid}/decline", data={"csrf_token": token})
    assert r.status_code == 302
    run_jobs(app)  # the routing job the decline queued
    callback = _followup(app, fid)
    assert callback.assignee_id == other and callback.attempts_made == 0 and first in callback.declined_by


def test_a_try_on_someone_elses_follow_up_is_a_message_and_what_was_typed_is_shown_back(app, client, world):
    fid, _ticket_id, holder = _given(app, world, "anna")
    login(client, "bert@test.cc")
    _html, token = _page(client)
    r = client.post(f"/desk/followups/{fid}/attempts", data={"csrf_token": token, "outcome": "reached",
                                                             "note": "customer happy now"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "not yours to call now" in html
    assert re.search(r"<textarea readonly[^>]*data-typed>customer happy now</textarea>", html)
    callback = _followup(app, fid)
    assert callback.attempts_made == 0 and callback.assignee_id == holder


def test_a_try_recorded_twice_is_a_message_the_second_time(app, client, world):
    fid, _ticket_id, _holder = _given(app, world, "anna")
    login(client, "anna@test.cc")
    _html, token = _page(client)
    data = {"csrf_token": token, "outcome": "busy"}
    assert client.post(f"/desk/followups/{fid}/attempts", data=data).status_code == 302
    r = client.post(f"/desk/followups/{fid}/attempts", data=data)
    assert r.status_code == 409 and "Nothing was recorded" in r.get_data(as_text=True)
    assert _followup(app, fid).attempts_made == 1


def test_a_try_without_an_outcome_is_a_message_under_the_field_and_keeps_the_note(app, client, world):
    fid, _ticket_id, _holder = _given(app, world, "anna")
    login(client, "anna@test.cc")
    _html, token = _page(client)
    r = client.post(f"/desk/followups/{fid}/attempts", data={"csrf_token": token, "note": "half a sentence"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'data-error-for="outcome"' in html and "half a sentence</textarea>" in html
    assert _followup(app, fid).attempts_made == 0


def test_the_lists_alone_are_served_for_the_live_redraw(app, client, world):
    fid, _ticket_id, _holder = _given(app, world, "anna")
    login(client, "anna@test.cc")
    r = client.get("/desk/followups/lists")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'data-followup-id="{fid}"' in html and "<html" not in html


def test_supervisors_see_every_open_follow_up_and_cancel_one_agents_may_not(app, client, world):
    fid, _ticket_id, holder = _given(app, world, "anna")
    login(client, "anna@test.cc")
    _html, token = _page(client)
    assert client.post(f"/desk/followups/{fid}/cancel", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login(client, "boss@test.cc")
    html, token = _page(client)
    row = html.split("data-every-open")[1].split(f'data-followup-id="{fid}"')[1].split("</tr>")[0]
    assert f'data-assignee="{holder}"' in row and "With an agent" in row
    assert client.post(f"/desk/followups/{fid}/cancel", data={"csrf_token": token}).status_code == 302
    assert _followup(app, fid).status is FollowUpStatus.cancelled
    with app.app_context():
        assert load_of(holder) == 0


def test_a_waiting_follow_up_says_why_it_waits_to_supervisors(app, client, world):
    with app.app_context():
        start = T0 + timedelta(hours=1)
        callback = followups.request_callback({"phone": PHONE, "name": "王芳", "window_start": start,
                                               "window_end": start + timedelta(hours=1)},
                                              actor_of(world, "boss"), now=T0)
        fid = callback.id
        followup_routing.due(fid, start)  # nobody is available
    login(client, "boss@test.cc")
    html, _token = _page(client)
    row = html.split(f'data-followup-id="{fid}"')[1].split("</tr>")[0]
    assert 'data-waiting-reason="no_agent_online"' in row and "no agent online" in row


def _revisit_for_bert(app, world) -> int:
    """A resolved complaint's revisit, due and given to bert (anna resolved the ticket)."""
    with app.app_context():
        set_presence(world.id("anna"), "available")
        ticket = ticket_at(world, T0)
        assignment.assign(ticket.id, world.id("anna"), actor_of(world, "boss"), now=T0)
        moved(world, ticket.id, T0 + timedelta(hours=1), "in_progress", "resolved", by="anna")
        revisit = db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id,
                                                           FollowUp.kind == FollowUpKind.revisit))
        set_presence(world.id("bert"), "available")
        followup_routing.due(revisit.id, revisit.next_attempt_at)
        assert db.session.get(FollowUp, revisit.id).assignee_id == world.id("bert")
        return revisit.id


def test_a_reached_revisit_asks_for_the_customers_answers_and_records_them(app, client, world):
    fid = _revisit_for_bert(app, world)
    login(client, "bert@test.cc")
    html, token = _page(client)
    assert "data-revisit-answers" in html.split(f'data-followup-id="{fid}"')[1].split("</article>")[0]
    r = client.post(f"/desk/followups/{fid}/attempts", data={"csrf_token": token, "outcome": "reached",
                                                             "solved": "yes", "comment": "快多了"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'data-error-for="score"' in html and "快多了</textarea>" in html
    r = client.post(f"/desk/followups/{fid}/attempts", data={
        "csrf_token": token, "outcome": "reached", "solved": "yes", "score": "4", "comment": "快多了",
        "may_contact_again": "no"})
    assert r.status_code == 302
    with app.app_context():
        attempt = db.session.scalar(select(FollowUpAttempt).where(FollowUpAttempt.followup_id == fid))
        assert (attempt.solved, attempt.score, attempt.comment, attempt.may_contact_again) == (True, 4, "快多了", False)
        assert db.session.get(FollowUp, fid).status is FollowUpStatus.completed


# ---------------------------------------------------------------- a ticket's callbacks

def _slot_values(html: str) -> list[str]:
    select_html = html.split('name="slot"')[1].split("</select>")[0]
    return re.findall(r'<option[^>]*value="([^"]+)"', select_html)


def test_the_ticket_page_books_a_callback_in_an_offered_window(app, client, world):
    with app.app_context():
        ticket = ticket_at(world, utcnow())
        ticket_id, contact_phone = ticket.id, ticket.contact_phone
    login(client, "anna@test.cc")
    html, token = _page(client, f"/desk/tickets/{ticket_id}")
    assert 'id="followups"' in html and f'value="{contact_phone}"' in html.split('id="callback-form"')[1]
    slot = _slot_values(html)[-1]  # a whole slot (the first is "as soon as possible")
    r = client.post(f"/desk/tickets/{ticket_id}/callbacks", data={
        "csrf_token": token, "slot": slot, "phone": contact_phone, "note": "after lunch is best"})
    assert r.status_code == 302 and r.headers["Location"].startswith(f"/desk/tickets/{ticket_id}")
    with app.app_context():
        booked = db.session.scalar(select(FollowUp))
        assert booked.ticket_id == ticket_id and booked.note == "after lunch is best" and booked.requested_by == "agent"
        assert window_value(booked.window_start, booked.window_end) == slot
    html, _token = _page(client, f"/desk/tickets/{ticket_id}")
    section = html.split('id="followups"')[1].split("</section>")[0]
    assert f'data-followup-id="{booked.id}"' in section and "Callback" in section and "Scheduled" in section


def test_the_ticket_page_refuses_a_window_that_has_begun_under_its_field_and_keeps_the_input(app, client, world):
    with app.app_context():
        ticket_id = ticket_at(world, utcnow()).id
    login(client, "anna@test.cc")
    _html, token = _page(client, f"/desk/tickets/{ticket_id}")
    start = utcnow().replace(microsecond=0) - timedelta(hours=2)
    r = client.post(f"/desk/tickets/{ticket_id}/callbacks", data={
        "csrf_token": token, "slot": f"{start.isoformat()}/{(start + timedelta(hours=1)).isoformat()}",
        "phone": "+86 137 1234 5678", "note": "call me"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    error = html.split('data-error-for="slot"')[1].split("</p>")[0]
    assert "already begun" in error
    form = html.split('id="callback-form"')[1]
    assert 'value="+86 137 1234 5678"' in form and 'value="call me"' in form
    with app.app_context():
        assert db.session.scalar(select(func.count(FollowUp.id))) == 0


# ---------------------------------------------------------------- a customer's do-not-call hours

def test_the_customer_page_saves_do_not_call_hours_and_refuses_ones_that_do_not_read(app, client, world):
    with app.app_context():
        customer_id = ticket_at(world, utcnow()).customer_id
    login(client, "anna@test.cc")
    html, token = _page(client, f"/desk/customers/{customer_id}")
    assert 'name="do_not_call"' in html
    r = client.post(f"/desk/customers/{customer_id}/do-not-call", data={"csrf_token": token,
                                                                        "do_not_call": "12:00-13:30, 21:00-09:00"})
    assert r.status_code == 302
    html, token = _page(client, f"/desk/customers/{customer_id}")
    assert 'data-do-not-call="12:00-13:30,21:00-09:00"' in html
    for bad in ("25:00-09:00", "after dinner", "00:00-24:00"):
        r = client.post(f"/desk/customers/{customer_id}/do-not-call", data={"csrf_token": token, "do_not_call": bad})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and 'data-error-for="do_not_call"' in html, bad
        assert f'value="{bad}"' in html, bad
    with app.app_context():
        assert db.session.get(Customer, customer_id).do_not_call == "12:00-13:30,21:00-09:00"


def test_the_customer_page_shows_a_suspect_number_and_a_customer_at_risk(app, client, world):
    with app.app_context():
        customer_id = ticket_at(world, utcnow()).customer_id
        customer = db.session.get(Customer, customer_id)
        customer.phone_suspect_at = customer.at_risk_at = T0
        db.session.commit()
    login(client, "anna@test.cc")
    html, _token = _page(client, f"/desk/customers/{customer_id}")
    assert 'data-flag="phone-suspect"' in html and 'data-flag="at-risk"' in html


# ---------------------------------------------------------------- the policy page

def _policy_form(token: str, **changes) -> dict:
    data = {"csrf_token": token, "calendar": "24x7", "retry_schedule": "10m, 2h", "max_attempts": "4",
            "callback_skill": "", "slot_minutes": "30", "warn_before_seconds": "300", "revisit_window_hours": "8",
            "rule_count": "2", "rule-0-order": "1", "rule-0-kind": "complaint", "rule-0-tier": "",
            "rule-0-category": "", "rule-0-after_hours": "12", "rule-0-sample": "100", "rule-1-order": "2",
            "rule-1-kind": "", "rule-1-tier": "", "rule-1-category": "", "rule-1-after_hours": "",
            "rule-1-sample": "", "survey_expiry_days": "10", "survey_reminder_days": "2",
            "survey_per_customer_days": "5", "auto_close_days": "6"}
    return {**data, **changes}


def test_an_admin_saves_the_follow_up_policy_on_its_page_and_the_set_up_log_says_so(app, client, world):
    login(client, "admin@test.cc")
    html, token = _page(client, "/admin/followups")
    assert 'id="followup-policy-form"' in html and 'value="15m, 1h, next_morning"' in html
    r = client.post("/admin/followups", data=_policy_form(token, **{"rule-1-tier": "VIP", "rule-1-after_hours": "1.5",
                                                                    "rule-1-sample": "25"}))
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        st = service.settings()
        assert st.retry_schedule == ("10m", "2h") and st.max_attempts == 4 and st.slot_minutes == 30
        assert st.revisit_window_seconds == 8 * 3600 and st.auto_close_days == 6
        assert list(st.revisit_rules) == [{"match": {"kind": "complaint"}, "after_seconds": 43200, "sample": 1.0},
                                          {"match": {"tier": "VIP"}, "after_seconds": 5400, "sample": 0.25}]
        assert db.session.scalar(select(func.count(SetupLogEntry.id)).where(
            SetupLogEntry.action == "followup_policy.saved")) == 1
    assert "follow-up policy changed" in client.get("/admin/setup-log").get_data(as_text=True)


def test_the_policy_page_refuses_bad_values_under_their_fields_keeps_them_and_saves_nothing(app, client, world):
    login(client, "admin@test.cc")
    _html, token = _page(client, "/admin/followups")
    r = client.post("/admin/followups", data=_policy_form(token, max_attempts="11", retry_schedule="soon",
                                                          slot_minutes="abc", **{"rule-0-sample": "150"}))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    for name in ("max_attempts", "retry_schedule", "slot_minutes", "rule-0-sample"):
        assert f'data-error-for="{name}"' in html, name
    assert 'value="soon"' in html and 'value="11"' in html and 'value="150"' in html
    with app.app_context():
        assert service.settings() == service.Settings()


def test_a_policy_naming_a_calendar_that_does_not_exist_is_refused_under_the_field(app, client, world):
    login(client, "admin@test.cc")
    _html, token = _page(client, "/admin/followups")
    r = client.post("/admin/followups", data=_policy_form(token, calendar="office"))
    assert r.status_code == 400 and 'data-error-for="calendar"' in r.get_data(as_text=True)


@pytest.mark.parametrize("who, read", [("boss", 200), ("anna", 403)])
def test_supervisors_read_the_policy_without_saving_and_agents_may_not_see_it(app, client, world, who, read):
    login(client, f"{who}@test.cc")
    r = client.get("/admin/followups")
    assert r.status_code == read
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    if read == 200:
        html = r.get_data(as_text=True)
        form = html.split('id="followup-policy-form"')[1].split("</form>")[0]
        assert "data-read-only" in html and '<fieldset class="plain" disabled>' in form and "<button" not in form
    assert client.post("/admin/followups", data=_policy_form(token, max_attempts="5")).status_code == 403
    with app.app_context():
        assert service.settings().max_attempts == service.Settings().max_attempts


def test_a_rule_condition_the_page_does_not_show_is_kept_when_the_page_saves(app, client, world):
    with app.app_context():
        service.save_settings({"revisit_rules": [{"match": {"kind": "complaint", "priority": "P1"},
                                                  "after_seconds": 3600, "sample": 1.0}]}, actor_of(world, "admin"))
        db.session.commit()
    login(client, "admin@test.cc")
    html, token = _page(client, "/admin/followups")
    assert "data-other-conditions" in html.split('data-rule-row="0"')[1].split("</tr>")[0]
    r = client.post("/admin/followups", data=_policy_form(token, **{"rule-0-after_hours": "2"}))
    assert r.status_code == 302
    with app.app_context():
        assert list(service.settings().revisit_rules) == [
            {"match": {"priority": "P1", "kind": "complaint"}, "after_seconds": 7200, "sample": 1.0}]


def test_numbers_that_are_no_numbers_are_refused_under_their_fields_not_a_server_error(app, client, world):
    login(client, "admin@test.cc")
    _html, token = _page(client, "/admin/followups")
    r = client.post("/admin/followups", data=_policy_form(token, revisit_window_hours="inf", **{
        "rule-0-after_hours": "1e400", "rule-0-sample": "nan", "rule-0-order": "first"}))
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'data-error-for="rule-0-order"' in html
    r = client.post("/admin/followups", data=_policy_form(token, revisit_window_hours="inf", **{
        "rule-0-after_hours": "1e400", "rule-0-sample": "nan"}))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    for name in ("revisit_window_hours", "rule-0-after_hours", "rule-0-sample"):
        assert f'data-error-for="{name}"' in html, name


def test_the_customer_page_shows_their_survey_and_revisit_answers(app, client, world):
    from callcenter.followups import service as followup_service
    from tests.factories import create_ticket

    with app.app_context():
        ticket = create_ticket(world)
        assignment.assign(ticket.id, world.id("anna"), actor_of(world, "boss"))
        moved(world, ticket.id, None, "in_progress", "resolved", by="anna")
        followups.answer_survey(followup_service.survey_token(followup_service.survey_for_ticket(ticket.id)), 4, 8,
                                "还行")
        customer_id = ticket.customer_id
    login(client, "anna@test.cc")
    html = client.get(f"/desk/customers/{customer_id}").get_data(as_text=True)
    assert 'data-answer="survey"' in html and "还行" in html


def test_the_tickets_timeline_tells_each_follow_up_step_in_words(app, client, world):
    with app.app_context():
        ticket = ticket_at(world, T0)
        callback = followups.request_callback({"phone": "13900001111", "name": "王芳", "ticket_id": ticket.id,
                                               "window_start": T0 + timedelta(hours=1),
                                               "window_end": T0 + timedelta(hours=2)}, actor_of(world, "boss"), now=T0)
        set_presence(world.id("anna"), "available")
        followup_routing.due(callback.id, T0 + timedelta(hours=1))
        followups.record_attempt(callback.id, actor_of(world, "anna"), "no_answer", now=T0 + timedelta(hours=1))
        ticket_id = ticket.id
    login(client, "anna@test.cc")
    html = client.get(f"/desk/tickets/{ticket_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    shown = re.sub(r"<[^>]+>", " ", html)  # the text a reader sees, not the data- attributes
    for code in ("callback_requested", "callback_assigned", "callback_attempt"):
        assert code not in shown
    assert "booked a callback to 13900001111" in html and "Callback try 1: No answer" in html

"""The customer's side of follow-ups: a callback asked for on the status page and on /submit,
and the satisfaction survey at /s/<token>, whose opening records nothing."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from callcenter.actions import followup_routing, followups
from callcenter.actors import Actor
from callcenter.auth.models import User
from callcenter.extensions import db, limiter
from callcenter.followups import service
from callcenter.followups.models import FollowUp, FollowUpStatus, Survey
from callcenter.followups.windows import window_value
from callcenter.sla.models import SlaCalendar
from callcenter.tickets.models import Ticket, TicketEvent
from tests.factories import actor_of, agent, csrf_from, moved, ticket_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {"kind": "inquiry", "name": "王芳", "phone": "139 1111 2222", "email": "", "category": "billing",
        "subject": "宽带什么时候装", "description": "预约了宽带安装，想确认上门时间。"}


# ---------------------------------------------------------------- helpers

def _submit(client, headers=None, **overrides):
    token = csrf_from(client.get("/submit", headers=headers).get_data(as_text=True))
    return client.post("/submit", data={**FORM, **overrides, "csrf_token": token}, headers=headers)


def _status_location(client, headers=None) -> str:
    response = _submit(client, headers=headers)
    assert response.status_code == 302
    return response.headers["Location"]


def _options(html: str) -> list[tuple[str, str]]:
    """The window select's options: (value, text)."""
    select_html = re.search(r'<select[^>]*name="window".*?</select>', html, re.S)
    assert select_html, "no window select on the page"
    return [(unescape(v), unescape(t).strip())
            for v, t in re.findall(r'<option[^>]*value="([^"]+)"[^>]*>(.*?)</option>', select_html.group(0), re.S)]


def _session_csrf(client) -> str:
    """The session's CSRF token, for posting to a page that shows no form."""
    return csrf_from(client.get("/submit").get_data(as_text=True))


def _ask_callback(client, location: str, window: str, **fields):
    data = {"window": window, "phone": "139 1111 2222", "note": "", **fields, "csrf_token": _session_csrf(client)}
    return client.post(location + "/callback", data=data)


def _window(start: datetime, minutes: int = 60) -> str:
    return window_value(start, start + timedelta(minutes=minutes))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _ticket_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Ticket.id))


def actor_of_user(user_id: int) -> Actor:
    return Actor.of_user(db.session.get(User, user_id))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _office_hours_only(app, world) -> None:
    """The desk calls 09:00-18:00 Shanghai time on weekdays."""
    with app.app_context():
        db.session.add(SlaCalendar(name="office", tz="Asia/Shanghai", weekly={str(d): "09:00-18:00" for d in range(5)}))
        db.session.commit()
        service.save_settings({"calendar": "office"}, actor_of(world, "admin"))
        db.session.commit()


def _resolve(api, ticket_id: int) -> None:
    for to in ("in_progress", "resolved"):
        assert api.post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": to}).status_code == 200


def _survey_token(app, ticket_id: int) -> str:
    with app.app_context():
        return service.survey_token(service.survey_for_ticket(ticket_id))


def _survey_row(app, ticket_id: int) -> Survey:
    with app.app_context():
        survey = service.survey_for_ticket(ticket_id)
        db.session.expunge(survey)
        return survey


def _answers_recorded(app, ticket_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "survey_answered"))


def _resolved_ticket_with_survey(app, client, api, headers=None) -> tuple[str, int, str]:
    """(status page, ticket id, survey token) of a ticket submitted on the form and resolved."""
    location = _status_location(client, headers=headers)
    ticket_id = _ticket_id(app)
    _resolve(api, ticket_id)
    return location, ticket_id, _survey_token(app, ticket_id)


def _answer(client, token: str, **fields):
    data = {"csat": "4", "nps": "9", "comment": "", **fields, "csrf_token": _session_csrf(client)}
    return client.post(f"/s/{token}", data=data)


# ---------------------------------------------------------------- a callback from the status page

def test_the_status_page_offers_windows_in_shanghai_time_and_books_the_one_chosen(app, client, world):
    chinese = {"Accept-Language": "zh-CN"}
    location = _status_location(client, headers=chinese)
    page = client.get(location, headers=chinese).get_data(as_text=True)
    options = _options(page)
    assert options and 'value="139 1111 2222"' in page  # the ticket's number, to change if need be
    value, text = options[-1]  # a whole slot (the first may be "as soon as possible")
    start = datetime.fromisoformat(value.split("/")[0])
    assert f"{start.astimezone(SHANGHAI):%H:%M}" in text  # the desk's zone, not UTC
    response = _ask_callback(client, location, value, phone="138 0000 9999", note="下午方便")
    assert response.status_code == 302 and response.headers["Location"] == location
    ticket_id = _ticket_id(app)
    with app.app_context():
        callback = db.session.scalar(select(FollowUp))
        assert callback.ticket_id == ticket_id and callback.requested_by == "customer"
        assert callback.phone == "138 0000 9999" and callback.note == "下午方便"
        assert window_value(callback.window_start, callback.window_end) == value
    after = client.get(location, headers=chinese).get_data(as_text=True)
    assert 'data-callback-status="scheduled"' in after and text in unescape(after)


def test_while_a_call_may_be_made_now_the_first_window_offered_is_as_soon_as_possible(app, client, world):
    location = _status_location(client)
    value, text = _options(client.get(location).get_data(as_text=True))[0]
    assert value == "asap" and "As soon as possible" in text
    sent = _now()
    assert _ask_callback(client, location, value).status_code == 302
    with app.app_context():
        start = db.session.scalar(select(FollowUp.window_start))
    assert abs((start - sent).total_seconds()) < 5  # from when the form was sent, however long it took


def test_a_window_already_begun_is_a_message_under_the_field_and_books_nothing(app, client, world):
    location = _status_location(client)
    response = _ask_callback(client, location, _window(_now() - timedelta(hours=2)), phone="138 0000 9999",
                             note="after lunch")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'data-error-for="window"' in html
    assert 'value="138 0000 9999"' in html and "after lunch" in html  # what was typed is kept
    assert _count(app, FollowUp) == 0


def test_a_window_outside_the_desks_hours_is_a_message_and_books_nothing(app, client, world):
    _office_hours_only(app, world)
    location = _status_location(client)
    tomorrow = (_now().astimezone(SHANGHAI) + timedelta(days=1)).date()
    three_am = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 3, tzinfo=SHANGHAI)
    response = _ask_callback(client, location, _window(three_am))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'data-error-for="window"' in html
    assert "We do not make calls at that time" in html
    assert _count(app, FollowUp) == 0


def test_a_window_longer_than_a_slot_or_not_a_window_is_refused(app, client, world):
    location = _status_location(client)
    for window in (_window(_now() + timedelta(hours=2), minutes=24 * 60), "tomorrow please"):
        response = _ask_callback(client, location, window)
        assert response.status_code == 400 and 'data-error-for="window"' in response.get_data(as_text=True)
    assert _count(app, FollowUp) == 0


def test_a_second_request_while_one_is_open_is_refused_and_books_once(app, client, world):
    location = _status_location(client)
    first, second = _options(client.get(location).get_data(as_text=True))[:2]
    assert _ask_callback(client, location, first[0]).status_code == 302
    page = client.get(location).get_data(as_text=True)
    assert 'id="callback-form"' not in page  # the page offers no second booking
    response = _ask_callback(client, location, second[0])  # from a page opened before the first
    assert response.status_code == 400 and "You already asked for a callback" in response.get_data(as_text=True)
    assert _count(app, FollowUp) == 1


def test_a_closed_ticket_offers_no_callback_form_and_books_none(app, client, api, world):
    location = _status_location(client)
    window = _options(client.get(location).get_data(as_text=True))[0][0]
    ticket_id = _ticket_id(app)
    for to in ("in_progress", "resolved", "closed"):
        api.post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": to})
    assert 'id="callback-form"' not in client.get(location).get_data(as_text=True)
    assert _ask_callback(client, location, window).status_code == 400
    assert _count(app, FollowUp) == 0


def test_a_retried_callback_shows_its_next_try_and_no_staff_name(app, client, world):
    location = _status_location(client)
    _ask_callback(client, location, _options(client.get(location).get_data(as_text=True))[-1][0])
    with app.app_context():
        zoe = agent("zoe@test.cc")
        callback = db.session.scalar(select(FollowUp))
        followup_routing.due(callback.id, callback.window_start)
        assert db.session.get(FollowUp, callback.id).assignee_id == zoe.id
        followups.record_attempt(callback.id, actor_of_user(zoe.id), "no_answer",
                                 now=callback.window_start + timedelta(minutes=1))
        retry = db.session.get(FollowUp, callback.id)
        assert retry.status is FollowUpStatus.scheduled and retry.next_attempt_at
        retry_hour = f"{retry.next_attempt_at.astimezone(SHANGHAI):%H:%M}"
    page = unescape(client.get(location, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
    next_try = re.search(r"<span[^>]*data-next-try>(.*?)</span>", page, re.S)
    assert next_try and retry_hour in next_try.group(1)
    assert "Zoe" not in page and "zoe@test.cc" not in page


def test_asking_for_callbacks_too_often_is_429(app, client, world):
    location = _status_location(client)
    previous = app.config["RATELIMIT_SUBMIT"]
    app.config["RATELIMIT_SUBMIT"] = "2 per minute"
    try:
        codes = [_ask_callback(client, location, "not a window").status_code for _ in range(3)]
    finally:
        app.config["RATELIMIT_SUBMIT"] = previous
        limiter.reset()
    assert codes == [400, 400, 429]


# ---------------------------------------------------------------- a callback from /submit

def test_submit_with_a_callback_books_the_ticket_and_the_callback(app, client, world):
    window = _options(client.get("/submit").get_data(as_text=True))[-1][0]  # a whole slot, not "asap"
    response = _submit(client, callback="y", window=window)
    assert response.status_code == 302
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        callback = db.session.scalar(select(FollowUp))
        assert callback.ticket_id == ticket.id and callback.requested_by == "customer"
        assert window_value(callback.window_start, callback.window_end) == window
    assert 'data-callback-status="scheduled"' in client.get(response.headers["Location"]).get_data(as_text=True)


def test_submit_with_a_window_already_begun_keeps_the_form_and_creates_nothing(app, client, world):
    response = _submit(client, callback="y", window=_window(_now() - timedelta(hours=3)))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'data-error-for="window"' in html
    assert "宽带什么时候装" in html and "预约了宽带安装" in html  # the request as typed
    assert _count(app, Ticket) == 0 and _count(app, FollowUp) == 0


def test_submit_with_a_callback_needs_a_phone(app, client, world):
    window = _options(client.get("/submit").get_data(as_text=True))[0][0]
    response = _submit(client, callback="y", window=window, phone="", email="wang@example.cn")
    assert response.status_code == 400 and 'data-error-for="phone"' in response.get_data(as_text=True)
    assert _count(app, Ticket) == 0


def test_submit_without_the_callback_choice_books_no_callback(app, client, world):
    response = _submit(client, window="whatever was left in the select")
    assert response.status_code == 302
    assert _count(app, Ticket) == 1 and _count(app, FollowUp) == 0


# ---------------------------------------------------------------- the survey

def test_the_status_page_shows_the_survey_link_after_resolution(app, client, api, world):
    location = _status_location(client)
    assert "/s/" not in client.get(location).get_data(as_text=True)  # not before
    ticket_id = _ticket_id(app)
    _resolve(api, ticket_id)
    page = client.get(location).get_data(as_text=True)
    assert f'href="/s/{_survey_token(app, ticket_id)}"' in page


def test_opening_a_survey_link_records_nothing(app, client, api, world):
    _location, ticket_id, token = _resolved_ticket_with_survey(app, client, api)
    for _ in range(2):  # a mail scanner, then the customer
        page = client.get(f"/s/{token}")
        assert page.status_code == 200 and 'name="csat"' in page.get_data(as_text=True)
    assert _survey_row(app, ticket_id).answered_at is None
    assert _answers_recorded(app, ticket_id) == 0


def test_a_survey_answer_is_recorded_once_and_the_link_then_says_it_was_used(app, client, api, world):
    location, ticket_id, token = _resolved_ticket_with_survey(app, client, api)
    response = _answer(client, token, csat="4", nps="9", comment="装得很快")
    assert response.status_code == 200 and 'data-survey="answered"' in response.get_data(as_text=True)
    survey = _survey_row(app, ticket_id)
    assert (survey.csat, survey.nps, survey.comment) == (4, 9, "装得很快") and survey.answered_at
    again = _answer(client, token, csat="1", nps="0")
    assert again.status_code == 410 and 'data-survey-gone="used"' in again.get_data(as_text=True)
    assert _survey_row(app, ticket_id).csat == 4 and _answers_recorded(app, ticket_id) == 1
    assert "4 out of 5" in client.get(location).get_data(as_text=True)  # the status page thanks them


def test_a_forged_survey_link_is_a_404_page_and_records_nothing(app, client, api, world):
    _location, ticket_id, token = _resolved_ticket_with_survey(app, client, api)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    page = client.get(f"/s/{forged}")
    assert page.status_code == 404 and 'data-survey-gone="forged"' in page.get_data(as_text=True)
    assert _answer(client, forged).status_code == 404
    assert _survey_row(app, ticket_id).answered_at is None and _answers_recorded(app, ticket_id) == 0


def test_an_expired_survey_link_is_a_410_page_and_records_nothing(app, client, world):
    resolved_at = _now() - timedelta(days=20)
    with app.app_context():
        ticket = ticket_at(world, resolved_at, kind="inquiry")
        moved(world, ticket.id, resolved_at, "in_progress", "resolved")
        ticket_id = ticket.id
    token = _survey_token(app, ticket_id)
    page = client.get(f"/s/{token}")
    assert page.status_code == 410 and 'data-survey-gone="expired"' in page.get_data(as_text=True)
    assert _answer(client, token).status_code == 410
    assert _survey_row(app, ticket_id).answered_at is None and _answers_recorded(app, ticket_id) == 0


@pytest.mark.parametrize("fields, wrong", [
    ({"csat": "0"}, "csat"),
    ({"csat": ""}, "csat"),
    ({"csat": "great"}, "csat"),
    ({"nps": "11"}, "nps"),
    ({"comment": "x" * 2001}, "comment"),
])
def test_invalid_survey_answers_are_messages_and_record_nothing(app, client, api, world, fields, wrong):
    _location, ticket_id, token = _resolved_ticket_with_survey(app, client, api)
    response = _answer(client, token, **fields)
    assert response.status_code == 400 and f'data-error-for="{wrong}"' in response.get_data(as_text=True)
    assert _survey_row(app, ticket_id).answered_at is None and _answers_recorded(app, ticket_id) == 0


def test_a_survey_without_nps_or_comment_is_an_answer(app, client, api, world):
    _location, ticket_id, token = _resolved_ticket_with_survey(app, client, api)
    assert _answer(client, token, csat="5", nps="").status_code == 200
    survey = _survey_row(app, ticket_id)
    assert (survey.csat, survey.nps, survey.comment) == (5, None, None)


def test_the_survey_is_in_the_tickets_language_until_the_visitor_switches(app, client, api, world):
    _location, _ticket, token = _resolved_ticket_with_survey(app, client, api, headers={"Accept-Language": "zh-CN"})
    english_browser = {"Accept-Language": "en"}
    assert '<html lang="zh-CN">' in client.get(f"/s/{token}", headers=english_browser).get_data(as_text=True)
    client.get(f"/lang/en?next=/s/{token}")
    assert '<html lang="en">' in client.get(f"/s/{token}", headers=english_browser).get_data(as_text=True)


def test_answering_surveys_too_often_is_429(app, client, world):
    previous = app.config["RATELIMIT_SUBMIT"]
    app.config["RATELIMIT_SUBMIT"] = "2 per minute"
    csrf = _session_csrf(client)
    try:
        codes = [client.post("/s/not-a-real-link", data={"csrf_token": csrf}).status_code for _ in range(3)]
    finally:
        app.config["RATELIMIT_SUBMIT"] = previous
        limiter.reset()
    assert codes == [404, 404, 429]

"""The follow-ups API as integrators use it: /callbacks, /revisits, /followup-policy and the
follow-up figures. Bad input is a JSON error and books nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from callcenter.actions import followup_routing
from callcenter.extensions import db
from callcenter.followups.models import FollowUp
from tests.factories import ticket_body


def _soon(minutes: int = 5) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=minutes)


def _body(**kw):
    start = kw.pop("start", _soon())
    return {"phone": "+86 139 0000 2222", "name": "陈静", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=1)).isoformat(), **kw}


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(FollowUp.id)))


def test_a_callback_posted_is_201_with_the_contract_fields(api):
    r = api.post("/api/v1/callbacks", json=_body(note="after lunch"))
    assert r.status_code == 201, r.json
    body = r.json
    assert {"id", "status", "assignee", "attempts", "next_attempt_at", "window_start", "window_end",
            "ticket_id"} <= set(body)
    assert body["status"] == "scheduled" and body["assignee"] is None and body["attempts"] == []
    assert body["next_attempt_at"] == body["window_start"]
    assert api.get(f"/api/v1/callbacks/{body['id']}").json["id"] == body["id"]


def test_a_callback_in_the_past_is_422_json_and_books_nothing(app, api):
    r = api.post("/api/v1/callbacks", json=_body(start=_soon(-90)))
    assert r.status_code == 422 and r.json["error"]["code"] == "in_past"
    assert "window_start" in r.json["error"]["details"]["fields"]
    assert _count(app) == 0


def test_a_callback_ending_before_it_starts_is_422(app, api):
    start = _soon()
    r = api.post("/api/v1/callbacks", json={"phone": "13900002222", "name": "x", "window_start": start.isoformat(),
                                            "window_end": (start - timedelta(minutes=5)).isoformat()})
    assert r.status_code == 422 and r.json["error"]["code"] == "ends_before_start"
    assert _count(app) == 0


def test_a_callback_with_a_number_nobody_can_call_is_422(app, api):
    r = api.post("/api/v1/callbacks", json=_body(phone="abc"))
    assert r.status_code == 422 and _count(app) == 0


def test_a_callback_without_an_offset_is_422(app, api):
    r = api.post("/api/v1/callbacks", json=_body() | {"window_start": "2030-01-01T10:00:00"})
    assert r.status_code == 422 and _count(app) == 0


def test_slots_offered_are_windows_a_callback_can_be_booked_in(api):
    slots = api.get("/api/v1/callbacks/slots?count=3").json["items"]
    assert len(slots) == 3
    r = api.post("/api/v1/callbacks", json={"phone": "13900002222", "name": "x", **slots[0]})
    assert r.status_code == 201, r.json


def test_an_attempt_on_a_callback_nobody_holds_is_409(app, api):
    cid = api.post("/api/v1/callbacks", json=_body()).json["id"]
    r = api.post(f"/api/v1/callbacks/{cid}/attempts", json={"outcome": "reached"})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_assigned"


def test_an_unknown_outcome_is_422(api):
    cid = api.post("/api/v1/callbacks", json=_body()).json["id"]
    assert api.post(f"/api/v1/callbacks/{cid}/attempts", json={"outcome": "maybe"}).status_code == 422


def test_an_agent_records_no_answer_and_reads_the_next_try(app, api, world):
    from tests.factories import set_presence

    with app.app_context():
        set_presence(world.id("anna"), "available")
    start = _soon(1)
    cid = api.post("/api/v1/callbacks", json=_body(start=start)).json["id"]
    with app.app_context():
        followup_routing.due(cid, start)
    body = api.get(f"/api/v1/callbacks/{cid}", who="anna").json
    assert body["status"] == "assigned" and body["assignee"]["id"] == world.id("anna")
    r = api.post(f"/api/v1/callbacks/{cid}/attempts", json={"outcome": "no_answer", "note": "rang out"}, who="anna")
    assert r.status_code == 201, r.json
    assert r.json["status"] == "scheduled" and r.json["attempts"][0]["outcome"] == "no_answer"
    assert r.json["next_attempt_at"] is not None and r.json["assignee"] is None


def test_another_teams_agent_cannot_read_a_callback_on_a_ticket_they_cannot_see(api):
    ticket = api.post("/api/v1/tickets", json=ticket_body()).json
    cid = api.post("/api/v1/callbacks", json=_body(ticket_id=ticket["id"])).json["id"]
    assert api.get(f"/api/v1/callbacks/{cid}", who="nina").status_code == 403
    assert api.get(f"/api/v1/callbacks/{cid}", who="anna").status_code == 200


def test_revisits_of_a_ticket_are_listed_after_its_resolution(app, api, world):
    ticket = api.post("/api/v1/tickets", json=ticket_body()).json
    api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("anna")})
    for to in ("in_progress", "resolved"):
        assert api.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": to}, who="anna").status_code == 200
    items = api.get(f"/api/v1/revisits?ticket_id={ticket['id']}").json["items"]
    assert len(items) == 1 and items[0]["status"] == "scheduled" and items[0]["ticket_id"] == ticket["id"]
    assert {"id", "ticket_id", "status", "assignee", "attempts", "next_attempt_at", "due_at"} <= set(items[0])
    assert api.get(f"/api/v1/revisits/{items[0]['id']}").status_code == 200


def test_revisit_answers_need_a_reached_customer(api):
    r = api.post("/api/v1/revisits/1/attempts", json={"outcome": "no_answer", "score": 2})
    assert r.status_code == 422 and "score" in str(r.json["error"]["details"])


def test_the_policy_is_read_by_supervisors_and_changed_by_admins_only(api):
    assert api.get("/api/v1/followup-policy").json["max_attempts"] == 3
    assert api.get("/api/v1/followup-policy", who="anna").status_code == 403
    assert api.put("/api/v1/followup-policy", json={"max_attempts": 4}).status_code == 403
    r = api.put("/api/v1/followup-policy", json={"max_attempts": 4, "retry_schedule": ["10m", "next_morning"]},
                who="admin")
    assert r.status_code == 200 and r.json["max_attempts"] == 4 and r.json["retry_schedule"] == ["10m", "next_morning"]
    assert api.get("/api/v1/followup-policy").json["max_attempts"] == 4


def test_a_policy_naming_a_calendar_that_does_not_exist_is_422_and_changes_nothing(api):
    r = api.put("/api/v1/followup-policy", json={"calendar": "Mars office", "max_attempts": 5}, who="admin")
    assert r.status_code == 422 and "calendar" in r.json["error"]["details"]["fields"]
    assert api.get("/api/v1/followup-policy").json["max_attempts"] == 3


def test_a_policy_with_a_retry_step_nobody_can_read_is_422(api):
    r = api.put("/api/v1/followup-policy", json={"retry_schedule": ["soon"]}, who="admin")
    assert r.status_code == 422 and "retry_schedule" in str(r.json["error"]["details"])


def test_followup_figures_count_surveys_and_callbacks_of_the_period(app, api, world):
    from callcenter.actions import followups
    from callcenter.followups import service

    ticket = api.post("/api/v1/tickets", json=ticket_body()).json
    api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("anna")})
    for to in ("in_progress", "resolved"):
        api.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": to}, who="anna")
    with app.app_context():
        token = service.survey_token(service.survey_for_ticket(ticket["id"]))
        followups.answer_survey(token, 4, 10, None)
    figures = api.get("/api/v1/kpi/followups").json
    assert figures["surveys_answered"] == 1 and figures["csat_avg"] == 4.0 and figures["nps"] == 100.0
    assert figures["callback_success_rate"] is None
    assert api.get("/api/v1/kpi/followups", who="anna").status_code == 403

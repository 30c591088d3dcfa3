"""Business calendars edited on the page and through the API: bad hours are refused with the
input kept, an edit moves the due times of open tickets, a rename follows through to policies."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from callcenter.extensions import db
from callcenter.sla.calendar import parse_hours
from callcenter.sla.holidays_source import country_calendar
from callcenter.sla.models import SlaClock
from callcenter.tickets.models import TicketEvent
from tests.factories import csrf_from, login, logout, run_jobs, ticket_body

WEEKDAYS = {f"day_{d}": "09:00-12:00,13:00-18:00" for d in range(5)}


def _form(token, **fields):
    data = {"csrf_token": token, "name": "Guangzhou office", "tz": "Asia/Shanghai", "country": "CN",
            **{f"day_{d}": "" for d in range(7)}, **WEEKDAYS, "extra_closed": "", "extra_open": ""}
    data.update(fields)
    return data


def _clock(app, ticket_id):
    with app.app_context():
        return db.session.scalar(select(SlaClock).where(SlaClock.ticket_id == ticket_id,
                                                        SlaClock.name == "first_response"))


def test_bad_opening_hours_on_the_calendar_page_are_refused_with_the_input_kept(client, world):
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/sla-calendars/new").get_data(as_text=True))
    r = client.post("/desk/sla-calendars/new", data=_form(
        token, day_0="9am to 6pm", day_1="09:00-12:00,11:00-13:00", extra_closed="next tuesday",
        extra_open="2026-12-26"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    for name in ("day_0", "day_1", "extra_closed", "extra_open"):
        assert f'data-error-for="{name}"' in html, name
    assert 'value="9am to 6pm"' in html and "next tuesday" in html
    closed_all_week = _form(token, **{f"day_{d}": "" for d in range(7)})
    r = client.post("/desk/sla-calendars/new", data=closed_all_week)
    assert r.status_code == 400 and 'data-error-for="day_0"' in r.get_data(as_text=True)
    r = client.post("/desk/sla-calendars/new", data=_form(token, name="24x7"))
    assert r.status_code == 400 and "form-error" in r.get_data(as_text=True)


def test_an_admin_creates_and_edits_a_calendar_and_open_tickets_get_new_due_times(app, api, client, world):
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/sla-calendars/new").get_data(as_text=True))
    r = client.post("/desk/sla-calendars/new", data=_form(token, extra_closed="2026-12-31\n2027-01-04",
                                                          extra_open="2026-12-26 09:00-12:00"))
    assert r.status_code == 302, r.get_data(as_text=True)
    stored = api.get("/api/v1/sla-calendars", who="admin").json["items"][0]
    assert stored["weekly"] == {str(d): "09:00-12:00,13:00-18:00" for d in range(5)}
    assert stored["extra_closed"] == ["2026-12-31", "2027-01-04"] and stored["extra_open"] == {
        "2026-12-26": "09:00-12:00"}
    assert api.post("/api/v1/sla-policies", who="admin", json={
        "name": "business hours", "calendar": "Guangzhou office",
        "targets": {"first_response_seconds": 4 * 3600, "resolution_seconds": 40 * 3600}}).status_code == 201
    ticket = api.post("/api/v1/tickets", json=ticket_body()).json
    before = _clock(app, ticket["id"]).due_at
    created = _clock(app, ticket["id"]).history[0][0]
    office = country_calendar("CN", range(2025, 2030), "Asia/Shanghai",
                              {d: parse_hours("09:00-12:00,13:00-18:00") for d in range(5)},
                              extra_closed=[date(2026, 12, 31), date(2027, 1, 4)],
                              extra_open={date(2026, 12, 26): parse_hours("09:00-12:00")})
    assert before == office.add(datetime.fromisoformat(created), 4 * 3600)  # computed on the office hours

    # Open round the clock every day instead: the same 4 business hours end sooner (or as soon).
    page = f"/desk/sla-calendars/{stored['id']}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    every_hour = {f"day_{d}": "00:00-24:00" for d in range(7)}
    renamed = client.post(page, data=_form(token, name="Guangzhou 24h", country="", **every_hour))
    assert renamed.status_code == 400 and "keeps its name" in renamed.get_data(as_text=True)
    r = client.post(page, data=_form(token, country="", **every_hour))
    assert r.status_code == 302, r.get_data(as_text=True)
    run_jobs(app)
    clock = _clock(app, ticket["id"])
    assert clock.due_at == datetime.fromisoformat(created) + timedelta(hours=4)
    with app.app_context():
        moved = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket["id"],
                                                             TicketEvent.kind == "sla_due_moved")).all()
    # 40 business hours span nights and a weekend: the resolution due time always moves; the
    # first response's only when four office hours from its creation were not four plain hours.
    first_moves = before != datetime.fromisoformat(created) + timedelta(hours=4)
    expected = ["first_response", "resolution"] if first_moves else ["resolution"]
    assert sorted(e.data["clock"] for e in moved) == expected
    assert "calendar Guangzhou office changed" in client.get(f"/desk/tickets/{ticket['id']}").get_data(as_text=True)


def test_the_calendar_page_shows_the_coming_holidays_and_our_own_dates(app, client, world):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the calendar's own day
    new_year = date(today.year + 1, 1, 1)  # within a year and a week: in one table or the other
    ours = today + timedelta(days=20)
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/sla-calendars/new").get_data(as_text=True))
    assert client.post("/desk/sla-calendars/new", data=_form(
        token, extra_closed=ours.isoformat())).status_code == 302
    logout(client)
    login(client, "boss@test.cc")
    html = client.get("/desk/sla-policies").get_data(as_text=True)
    assert "Guangzhou office" in html
    calendar_id = html.split('data-calendar-id="')[1].split('"')[0]
    page = client.get(f"/desk/sla-calendars/{calendar_id}", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<fieldset class=\"plain\" disabled" in html  # supervisors read only
    assert f'data-day="{new_year.isoformat()}" data-reason="holiday" data-hours=""' in html and "元旦" in html
    assert f'data-day="{ours.isoformat()}" data-reason="closed"' in html
    assert html.count("data-day=") >= 7 + 2
    token = csrf_from(html)
    assert client.post(f"/desk/sla-calendars/{calendar_id}", data=_form(token)).status_code == 403


def test_calendars_are_replaced_through_the_api_by_admins_only(api, world):
    week = {str(d): "09:00-18:00" for d in range(5)}
    first = api.post("/api/v1/sla-calendars", who="admin", json={"name": "A", "weekly": week}).json
    api.post("/api/v1/sla-calendars", who="admin", json={"name": "B", "weekly": week})
    assert api.get(f"/api/v1/sla-calendars/{first['id']}", who="boss").json["name"] == "A"
    assert api.get("/api/v1/sla-calendars/999999", who="boss").status_code == 404
    body = {"name": "A", "weekly": {**week, "5": "10:00-14:00"}, "tz": "Europe/Berlin", "country": "DE"}
    assert api.put(f"/api/v1/sla-calendars/{first['id']}", who="boss", json=body).status_code == 403
    r = api.put(f"/api/v1/sla-calendars/{first['id']}", who="admin", json=body)
    assert r.status_code == 200 and r.json["weekly"]["5"] == "10:00-14:00" and r.json["tz"] == "Europe/Berlin"
    taken = api.put(f"/api/v1/sla-calendars/{first['id']}", who="admin", json={**body, "name": "B"})
    assert taken.status_code == 422 and taken.json["error"]["details"]["fields"]["name"] == ["taken"]
    lower = api.put(f"/api/v1/sla-calendars/{first['id']}", who="admin", json={**body, "country": "cn"})
    assert lower.status_code == 200 and lower.json["country"] == "CN"  # stored the way holidays knows it
    assert api.put(f"/api/v1/sla-calendars/{first['id']}", who="admin",
                   json={**body, "weekly": {"0": "25:00-26:00"}}).status_code == 422

"""SLA clocks on real tickets: started by policy, paused, stopped by a reply, fired once, by real
workers on time, and by the sweep when the job was lost."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from callcenter.actions import sla
from callcenter.extensions import db
from callcenter.sla.models import SlaClock, SlaFired
from tests.factories import logout, ticket_at, ticket_body

ROOT = Path(__file__).resolve().parents[2]


def _policy(api, first=1800, resolution=14400, calendar="24x7", match=None, **kw):
    r = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "test policy", "match": match or {"kind": "complaint"}, "calendar": calendar,
        "targets": {"first_response_seconds": first, "resolution_seconds": resolution}, **kw})
    assert r.status_code == 201, r.json
    return r.json


def _clock(app, ticket_id, name="first_response"):
    with app.app_context():
        return db.session.scalar(select(SlaClock).where(SlaClock.ticket_id == ticket_id, SlaClock.name == name))


def _fired(app, ticket_id):
    with app.app_context():
        return [(f.level, f.fired_at) for f in db.session.scalars(select(SlaFired).where(
            SlaFired.ticket_id == ticket_id).order_by(SlaFired.id))]


def test_policies_and_calendars_are_admin_data(api, world):
    assert api.post("/api/v1/sla-policies", who="boss", json={"name": "x", "targets": {
        "first_response_seconds": 60, "resolution_seconds": 600}}).status_code == 403
    bad = api.post("/api/v1/sla-policies", who="admin", json={"name": "", "targets": {"resolution_seconds": 0},
                                                             "calendar": "nowhere"})
    assert bad.status_code == 422
    assert api.post("/api/v1/sla-policies", who="admin", json={"name": "x", "calendar": "nowhere", "targets": {
        "first_response_seconds": 60, "resolution_seconds": 600}}).status_code == 422
    cal = api.post("/api/v1/sla-calendars", who="admin", json={
        "name": "Shanghai office", "tz": "Asia/Shanghai", "country": "CN",
        "weekly": {"0": "09:00-18:00", "1": "09:00-18:00", "2": "09:00-18:00", "3": "09:00-18:00", "4": "09:00-18:00"}})
    assert cal.status_code == 201, cal.json
    assert api.post("/api/v1/sla-calendars", who="admin", json={"name": "bad", "tz": "Mars/Base",
                                                                "weekly": {"0": "9-18"}}).status_code == 422
    _policy(api, calendar="Shanghai office")
    listed = api.get("/api/v1/sla-policies", who="boss").json
    assert listed["total"] == 1 and listed["items"][0]["calendar"] == "Shanghai office"


def test_a_matching_ticket_gets_running_clocks_and_due_times(api, world):
    _policy(api, first=1800, resolution=14400)
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    assert t["sla"]["state"] == "running"
    created = t["created_at"]
    from datetime import datetime

    assert datetime.fromisoformat(t["sla"]["first_response_due_at"]) - datetime.fromisoformat(created) == timedelta(
        seconds=1800)
    first = next(c for c in t["sla"]["clocks"] if c["name"] == "first_response")
    assert first["state"] == "running" and first["target_seconds"] == 1800 and first["remaining_seconds"] <= 1800
    assert first["due_at"] == t["sla"]["first_response_due_at"] and 0 <= first["percent_used"] < 0.01
    other = api.post("/api/v1/tickets", json=ticket_body(kind="inquiry")).json
    assert other["sla"] == {"first_response_due_at": None, "resolution_due_at": None, "state": "none", "clocks": []}


def test_a_reply_meets_the_first_response_target_and_nothing_fires_later(app, api, world):
    _policy(api, first=60)
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "We are on it"})
    clock = _clock(app, t["id"])
    assert clock.state == "met" and clock.next_check_at is None
    with app.app_context():  # the check that was already queued runs after the due time: nothing
        assert sla.check(clock.id, now=clock.updated_at + timedelta(minutes=5)) == []
    assert _fired(app, t["id"]) == []


def test_waiting_on_the_customer_pauses_and_their_answer_resumes(app, api, client, world):
    _policy(api, first=60, resolution=3600)
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "Please send a photo"})
    api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "pending_customer"})
    clock = _clock(app, t["id"], "resolution")
    assert clock.state == "paused" and clock.due_at is None
    assert api.get(f"/api/v1/tickets/{t['id']}").json["sla"]["resolution_due_at"] is None
    api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress"})
    clock = _clock(app, t["id"], "resolution")
    assert clock.state == "running" and [k for _, k in clock.history] == ["start", "pause", "resume"]


def test_warnings_and_breach_fire_once_each_however_often_checked(app, api, world):
    _policy(api, first=100)
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    clock = _clock(app, t["id"])
    start = clock.due_at - timedelta(seconds=100)
    with app.app_context():
        assert sla.check(clock.id, now=start + timedelta(seconds=80)) == ["warning:0.75"]
        assert sla.check(clock.id, now=start + timedelta(seconds=95)) == ["warning:0.9"]
        assert sla.check(clock.id, now=start + timedelta(seconds=101)) == ["breach"]
        assert sla.check(clock.id, now=start + timedelta(seconds=120)) == []
    assert [level for level, _ in _fired(app, t["id"])] == ["warning:0.75", "warning:0.9", "breach"]
    events = [e["kind"] for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]]
    assert events.count("sla_warning") == 2 and events.count("sla_breached") == 1
    assert api.get(f"/api/v1/tickets/{t['id']}").json["sla"]["state"] == "breached"


def test_the_sweep_fires_what_a_flushed_redis_lost(app, api, world, redis):
    _policy(api, first=60)
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    redis.flushdb()  # every scheduled check is gone
    clock = _clock(app, t["id"])
    with app.app_context():
        assert sla.sweep(now=clock.due_at + timedelta(seconds=1)) == 3  # two warnings and the breach
        assert sla.sweep(now=clock.due_at + timedelta(seconds=2)) == 0
    assert [level for level, _ in _fired(app, t["id"])] == ["warning:0.75", "warning:0.9", "breach"]


def test_a_real_worker_fires_a_3_second_target_within_2_seconds_of_its_due_time(app, api, world):
    _policy(api, first=3, resolution=3600, warn_at=[])
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "CALLCENTER_ENV": "testing"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)  # the worker and its scheduler are up
        t = api.post("/api/v1/tickets", json=ticket_body()).json
        due = _clock(app, t["id"]).due_at
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _fired(app, t["id"]):
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    fired = _fired(app, t["id"])
    assert [level for level, _ in fired] == ["breach"]
    lateness = (fired[0][1] - due).total_seconds()
    assert 0 <= lateness < 2, lateness


def test_a_breach_escalates_to_supervisors_with_a_raised_priority_then_to_a_supervisor(app, api, world):
    _policy(api, first=100, warn_at=[], escalation=[
        {"level": 2, "after_seconds": 60, "notify": "supervisors", "raise_priority": True},
        {"level": 3, "after_seconds": 120, "reassign_to": "supervisor"}])
    t = api.post("/api/v1/tickets", json=ticket_body(priority="P3")).json
    api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")})
    clock = _clock(app, t["id"])
    due = clock.due_at
    with app.app_context():
        assert sla.check(clock.id, now=due + timedelta(seconds=1)) == ["breach"]
        assert sla.check(clock.id, now=due + timedelta(seconds=61)) == ["escalation:2"]
        assert api.get(f"/api/v1/tickets/{t['id']}").json["priority"] == "P2"
        assert sla.check(clock.id, now=due + timedelta(seconds=121)) == ["escalation:3"]
        assert sla.check(clock.id, now=due + timedelta(seconds=999)) == []
    after = api.get(f"/api/v1/tickets/{t['id']}").json
    assert after["assignee"]["id"] == world.id("boss") and after["priority"] == "P2"
    assert [level for level, _ in _fired(app, t["id"])] == ["breach", "escalation:2", "escalation:3"]
    events = api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]
    assert [e["data"]["level"] for e in events if e["kind"] == "sla_escalated"] == ["escalation:2", "escalation:3"]
    assert [e["kind"] for e in events].count("sla_breached") == 1


def test_a_priority_change_retargets_the_clocks(app, api, world):
    api.post("/api/v1/sla-policies", who="admin", json={"name": "P1", "match": {"priority": "P1"}, "position": 1,
                                                        "targets": {"first_response_seconds": 600,
                                                                    "resolution_seconds": 3600}})
    _policy(api, first=7200, resolution=86400, match={"kind": "complaint"}, position=5)
    t = api.post("/api/v1/tickets", json=ticket_body(priority="P3")).json
    before = _clock(app, t["id"]).due_at
    api.patch(f"/api/v1/tickets/{t['id']}", json={"priority": "P1"})
    after = _clock(app, t["id"])
    assert after.target_seconds == 600 and after.due_at == before - timedelta(seconds=6600)


def test_a_worker_killed_mid_check_loses_nothing_and_fires_nothing_twice(app, api, world, tmp_path):
    """Two workers; the check job blocks on the ticket's row lock and the worker running it is
    killed (with its scheduler): the other worker's periodic sweep records the breach, once.
    Nothing is run by hand after the kill."""
    import redis as redis_lib
    from rq.job import Job
    from rq.registry import StartedJobRegistry
    from sqlalchemy import text

    from tests.processes import app_env, kill, start_worker, wait_until

    _policy(api, first=2, resolution=3600, warn_at=[], escalation=[])
    # no email, so the only job the workers meet is the clock's check
    t = api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x", "phone": "13800000000"})).json
    clock = _clock(app, t["id"])
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])
    connection = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    started = StartedJobRegistry("high", connection=connection)
    with app.app_context():
        holder = db.engine.connect()
        if db.engine.dialect.name == "postgresql":
            holder.execute(text("SELECT 1 FROM tickets WHERE id = :id FOR UPDATE"), {"id": t["id"]})
        else:
            holder.exec_driver_sql("UPDATE tickets SET updated_at = updated_at WHERE id = ?", (t["id"],))
        workers = [start_worker(env, tmp_path / f"worker{i}.log") for i in range(2)]
        try:
            job_id = wait_until(lambda: next((j for j in started.get_job_ids() if j.startswith(f"sla-{clock.id}-")),
                                             None), 30, what="the check job to start")
            time.sleep(0.5)  # it is now waiting on the ticket's lock: mid-job
            runner = Job.fetch(job_id, connection=connection).worker_name
            pid = int(connection.hget(f"rq:worker:{runner}", "pid"))
            victim = next(w for w in workers if w.pid == pid)
            kill(victim)  # the fault: the worker running the check dies, and its scheduler with it
        finally:
            holder.rollback()
            holder.close()
        assert _fired(app, t["id"]) == []  # the killed job committed nothing
        try:
            wait_until(lambda: _fired(app, t["id"]), 75, what="the other worker's sweep to record the breach")
            time.sleep(2)  # and a moment for anything that would fire it twice
        finally:
            for w in workers:
                kill(w)
    assert [level for level, _ in _fired(app, t["id"])] == ["breach"]
    events = [e["kind"] for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]]
    assert events.count("sla_breached") == 1


def test_each_customer_message_starts_a_next_response_clock_that_a_reply_stops(app, api, client, world):
    from tests.factories import csrf_from

    api.post("/api/v1/sla-policies", who="admin", json={"name": "with next", "match": {}, "targets": {
        "first_response_seconds": 600, "next_response_seconds": 300, "resolution_seconds": 86400}})
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    location = client.post("/submit", data={"csrf_token": token, "kind": "inquiry", "name": "x", "phone": "13800000000",
                                            "email": "", "category": "billing", "subject": "s",
                                            "description": "question"}).headers["Location"]
    tid = api.get("/api/v1/tickets").json["items"][0]["id"]
    api.post(f"/api/v1/tickets/{tid}/messages", json={"body": "answer"})
    assert _clock(app, tid, "next_response") is None
    client.post(location + "/reply", data={"csrf_token": csrf_from(client.get(location).get_data(as_text=True)),
                                           "body": "follow-up"})
    clock = _clock(app, tid, "next_response")
    assert clock.state == "running" and clock.target_seconds == 300 and clock.cycle == 1
    api.post(f"/api/v1/tickets/{tid}/messages", json={"body": "second answer"})
    assert _clock(app, tid, "next_response").state == "met"


def test_a_missed_promise_warns_breaks_and_escalates_like_an_sla(app, api, world):
    from datetime import datetime, timezone

    t = api.post("/api/v1/tickets", json=ticket_body()).json
    due = datetime.now(timezone.utc) + timedelta(hours=1)
    p = api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "Call back", "due_at": due.isoformat()}).json
    clock = _clock(app, t["id"], f"promise:{p['id']}")
    assert clock is not None and abs((clock.due_at - due).total_seconds()) < 2
    with app.app_context():
        assert sla.check(clock.id, now=clock.due_at - timedelta(minutes=10)) == ["warning:0.75"]
        assert sla.check(clock.id, now=clock.due_at + timedelta(seconds=1)) == ["breach"]
    ticket = api.get(f"/api/v1/tickets/{t['id']}").json
    assert ticket["promises"][0]["status"] == "broken" and ticket["sla"]["state"] == "breached"
    kept = api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "Email", "due_at": due.isoformat()}).json
    api.post(f"/api/v1/tickets/{t['id']}/promises/{kept['id']}", json={"outcome": "kept"})
    assert _clock(app, t["id"], f"promise:{kept['id']}").state == "met"


def test_complaints_get_a_final_response_deadline_that_resolving_meets(app, api, world):
    api.post("/api/v1/sla-policies", who="admin", json={"name": "complaints", "match": {}, "targets": {
        "first_response_seconds": 600, "resolution_seconds": 86400, "final_response_seconds": 3 * 86400}})
    complaint = api.post("/api/v1/tickets", json=ticket_body()).json
    inquiry = api.post("/api/v1/tickets", json=ticket_body(kind="inquiry")).json
    assert _clock(app, complaint["id"], "final_response").target_seconds == 3 * 86400
    assert _clock(app, inquiry["id"], "final_response") is None
    for to in ("in_progress", "resolved"):
        api.post(f"/api/v1/tickets/{complaint['id']}/transitions", json={"to": to})
    assert _clock(app, complaint["id"], "final_response").state == "met"


def test_retargeting_leaves_promise_clocks_alone(app, api, world):
    from datetime import datetime, timezone

    _policy(api, first=7200)
    t = api.post("/api/v1/tickets", json=ticket_body(priority="P3")).json
    due = datetime.now(timezone.utc) + timedelta(hours=5)
    p = api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "Visit", "due_at": due.isoformat()}).json
    assert api.patch(f"/api/v1/tickets/{t['id']}", json={"priority": "P1"}).status_code == 200
    assert abs((_clock(app, t["id"], f"promise:{p['id']}").due_at - due).total_seconds()) < 2


def test_the_desk_shows_the_clocks(app, api, client, world):
    from tests.factories import login

    _policy(api, first=1800)
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    login(client, "boss@test.cc")
    page = client.get(f"/desk/tickets/{t['id']}").get_data(as_text=True)
    assert 'data-clock="first_response" data-state="running"' in page
    assert 'class="sla-running"' in client.get("/desk/").get_data(as_text=True)


def test_an_admin_writes_an_sla_policy_on_the_page(app, api, client, world):
    from tests.factories import csrf_from, login

    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/sla-policies/new").get_data(as_text=True))
    bad = client.post("/desk/sla-policies/new", data={"csrf_token": token, "name": "", "calendar": "24x7",
                                                      "warn_at": "75,150", "first_response": "", "resolution": "60",
                                                      "position": "1"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'data-error-for="name"' in html and 'data-error-for="warn_at"' in html
    r = client.post("/desk/sla-policies/new", data={
        "csrf_token": token, "name": "P1 fast", "kind": "complaint", "priority": "P1", "tier": "", "category": "",
        "calendar": "24x7", "first_response": "15", "next_response": "", "resolution": "240", "final_response": "",
        "warn_at": "80", "pause_statuses": "pending_customer", "position": "1", "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)
    policy = api.get("/api/v1/sla-policies", who="admin").json["items"][0]
    assert policy["match"] == {"kind": "complaint", "priority": "P1"} and policy["warn_at"] == [0.8]
    assert policy["targets"] == {"first_response_seconds": 900, "resolution_seconds": 14400}
    t = api.post("/api/v1/tickets", json=ticket_body(priority="P1")).json
    assert _clock(app, t["id"]).target_seconds == 900
    logout(client)
    login(client, "boss@test.cc")
    assert "P1 fast" in client.get("/desk/sla-policies").get_data(as_text=True)
    assert client.get("/desk/sla-policies/new").status_code == 403  # no form whose save would be refused
    token = csrf_from(client.get("/desk/sla-policies").get_data(as_text=True))
    r = client.post("/desk/sla-policies/new", data={"csrf_token": token, "name": "x", "calendar": "24x7",
                                                    "first_response": "5", "resolution": "5", "warn_at": "75",
                                                    "pause_statuses": "", "position": "1"})
    assert r.status_code == 403 and len(api.get("/api/v1/sla-policies", who="admin").json["items"]) == 1


def test_editing_a_policy_retargets_the_open_tickets_under_it(app, api, world):
    from tests.factories import run_jobs

    policy = _policy(api, first=7200, resolution=86400)
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    before = _clock(app, t["id"]).due_at
    body = {k: policy[k] for k in ("name", "match", "calendar", "warn_at", "pause_statuses", "position", "active")}
    body["targets"] = {"first_response_seconds": 3600, "resolution_seconds": 86400}
    assert api.put(f"/api/v1/sla-policies/{policy['id']}", json=body, who="admin").status_code == 200
    run_jobs(app)
    after = _clock(app, t["id"])
    assert after.target_seconds == 3600 and after.due_at == before - timedelta(seconds=3600)


def test_bad_calendars_are_refused_before_they_can_break_tickets(api, world):
    week = {str(d): "09:00-18:00" for d in range(5)}
    for body in ({"name": "a", "weekly": {}}, {"name": "b", "weekly": week, "extra_open": {"2026-12-26": "nonsense"}},
                 {"name": "c", "weekly": week, "country": "ZZ"},
                 {"name": "d", "weekly": {"0": "09:00-18:00,10:00-12:00"}},
                 {"name": "e", "weekly": {"0": "22:00-06:00", "1": "05:00-07:00"}}):
        r = api.post("/api/v1/sla-calendars", who="admin", json=body)
        assert r.status_code == 422, (body, r.json)


def test_a_clock_paused_after_its_due_time_resumes_and_its_breach_is_recorded(app, api, world):
    _policy(api, first=60, resolution=120, warn_at=[])
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "hi"})
    with app.app_context():  # make the resolution clock overdue, then wait on the customer
        clock = db.session.scalar(select(SlaClock).where(SlaClock.ticket_id == t["id"], SlaClock.name == "resolution"))
        clock.history = [[(clock.due_at - timedelta(hours=1)).isoformat(), "start"]]
        db.session.commit()
    api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "pending_customer"})
    clock = _clock(app, t["id"], "resolution")
    with app.app_context():
        sla.sweep(now=clock.updated_at + timedelta(seconds=1))
    assert "breach" in [level for level, _ in _fired(app, t["id"])]
    api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress"})
    assert [k for _, k in _clock(app, t["id"], "resolution").history][-1] == "resume"
    for to in ("resolved", "closed"):
        api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": to, "resolution": {
            "summary": "s", "root_cause": "r", "department": "d"}})
    assert [k for _, k in _clock(app, t["id"], "resolution").history][-1] == "stop"


def test_a_reopen_does_not_fire_what_was_already_fired(app, api, world):
    _policy(api, first=60, resolution=100, warn_at=[0.75], escalation=[
        {"level": 2, "after_seconds": 10, "raise_priority": True}])
    t = api.post("/api/v1/tickets", json=ticket_body(priority="P3")).json
    clock = _clock(app, t["id"], "resolution")
    with app.app_context():
        sla.check(clock.id, now=clock.due_at + timedelta(seconds=20))
    assert api.get(f"/api/v1/tickets/{t['id']}").json["priority"] == "P2"
    for to in ("in_progress", "resolved", "in_progress"):
        api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": to})
    clock = _clock(app, t["id"], "resolution")
    assert clock.cycle == 2
    with app.app_context():
        assert sla.check(clock.id, now=clock.updated_at + timedelta(seconds=30)) == []
    assert api.get(f"/api/v1/tickets/{t['id']}").json["priority"] == "P2"


def test_a_broken_promise_after_resolution_does_not_reopen_the_ticket(app, api, world):
    from datetime import datetime, timezone

    from callcenter.actions import unit_of_work
    from callcenter.sla import service as sla_service
    from callcenter.tickets import changes
    from callcenter.tickets.models import Ticket
    from tests.factories import actor_of

    _policy(api, first=60, escalation=[{"level": 2, "after_seconds": 0, "reassign_to": "supervisor"}])
    t = api.post("/api/v1/tickets", json=ticket_body()).json
    due = datetime.now(timezone.utc) + timedelta(minutes=5)
    for to in ("in_progress", "resolved"):
        api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": to})
    with app.app_context(), unit_of_work() as fx:
        # Left open from before a ticket was resolved only with its promises settled.
        ticket = db.session.get(Ticket, t["id"])
        now = datetime.now(timezone.utc)
        made = changes.add_promises(ticket, [("Call", due)], actor_of(world, "boss"), now)
        sla_service.start_promises(ticket, made, now, fx)
        p = {"id": made[0].id}
    clock = _clock(app, t["id"], f"promise:{p['id']}")
    with app.app_context():
        sla.check(clock.id, now=clock.due_at + timedelta(seconds=5))
    after = api.get(f"/api/v1/tickets/{t['id']}").json
    assert after["status"] == "resolved" and after["promises"][0]["status"] == "broken"


def test_a_sweep_batch_with_a_broken_clock_is_redone_one_clock_at_a_time(app, api, world, monkeypatch):
    """The sweep checks several clocks in one transaction; one whose check fails rolls that
    batch back, and its clocks are checked again one by one: the others fire, each once."""
    monkeypatch.setattr(sla, "SWEEP_BATCH", 3)
    _policy(api, first=60, warn_at=[], escalation=[])
    ids = [api.post("/api/v1/tickets", json=ticket_body()).json["id"] for _ in range(5)]
    with app.app_context():
        broken = db.session.scalar(select(SlaClock).where(SlaClock.ticket_id == ids[1],
                                                          SlaClock.name == "first_response"))
        broken.history = [["not an instant", "start"]]  # its check raises
        db.session.commit()
    now = _clock(app, ids[-1]).due_at + timedelta(seconds=1)
    with app.app_context():
        assert sla.sweep(now=now) == 4  # the first batch fired one breach before the broken clock: undone, redone
        assert sla.sweep(now=now) == 0  # the broken clock still fails, alone
    for i, ticket_id in enumerate(ids):
        assert [level for level, _ in _fired(app, ticket_id)] == ([] if i == 1 else ["breach"])
        events = [e["kind"] for e in api.get(f"/api/v1/tickets/{ticket_id}/events").json["items"]]
        assert events.count("sla_breached") == (0 if i == 1 else 1)


def test_the_sweep_commits_after_each_escalation_and_goes_on(app, api, world):
    """An escalation may lock agent rows, which come after every ticket row: the sweep's batch
    ends after the clock that escalated, and the rest are checked in the next one."""
    _policy(api, first=60, warn_at=[], escalation=[{"level": 2, "after_seconds": 0, "reassign_to": "supervisor"}])
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    ids = [api.post("/api/v1/tickets", json=ticket_body()).json["id"] for _ in range(3)]
    commits = []

    def counted(_session):
        commits.append(1)

    with app.app_context():
        event.listen(Session, "after_commit", counted)
        try:
            assert sla.sweep(now=_clock(app, ids[-1]).due_at + timedelta(seconds=1)) == 6
        finally:
            event.remove(Session, "after_commit", counted)
    assert len(commits) == 3  # one transaction per escalating clock, though all three fit one batch
    for ticket_id in ids:
        assert [level for level, _ in _fired(app, ticket_id)] == ["breach", "escalation:2"]
        assert api.get(f"/api/v1/tickets/{ticket_id}").json["assignee"]["id"] == world.id("boss")


def test_the_ticket_list_reads_the_clocks_of_a_page_in_one_query(app, api, world):
    from sqlalchemy import event

    week = {str(d): "09:00-18:00" for d in range(5)}
    assert api.post("/api/v1/sla-calendars", who="admin", json={"name": "office", "weekly": week}).status_code == 201
    _policy(api, calendar="office")
    ids = [api.post("/api/v1/tickets", json=ticket_body()).json["id"] for _ in range(4)]
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            counts = {}
            for per_page in (4, 1, 4):  # the first request of a token does more: counted again
                statements.clear()
                page = api.get(f"/api/v1/tickets?per_page={per_page}").json
                counts[per_page] = len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert counts[4] == counts[1], counts  # no query per ticket (nor per clock for its calendar)
    assert [t["id"] for t in page["items"]] == ids[::-1]
    for t in page["items"]:
        one = api.get(f"/api/v1/tickets/{t['id']}").json["sla"]
        assert [(c["name"], c["due_at"], c["target_seconds"]) for c in t["sla"]["clocks"]] == \
            [(c["name"], c["due_at"], c["target_seconds"]) for c in one["clocks"]] == \
            [("first_response", t["sla"]["first_response_due_at"], 1800),
             ("resolution", t["sla"]["resolution_due_at"], 14400)]


def test_a_resolved_ticket_keeps_its_breach_once_its_promise_is_kept(app, api, world):
    from datetime import datetime, timezone

    _policy(api, first=1, warn_at=[], match={"kind": "service_request"})
    with app.app_context():
        t = {"id": ticket_at(world, datetime.now(timezone.utc) - timedelta(seconds=2), kind="service_request").id}
    due = datetime.now(timezone.utc) + timedelta(days=2)
    p = api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "Call back", "due_at": due.isoformat()}).json
    with app.app_context():
        assert "breach" in sla.check(_clock(app, t["id"]).id)
    api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")})
    api.post(f"/api/v1/tickets/{t['id']}/promises/{p['id']}", json={"outcome": "kept"})  # resolving waits for it
    r = api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "resolved"})
    assert r.status_code == 200, r.json
    assert api.get(f"/api/v1/tickets/{t['id']}").json["sla"]["state"] == "breached"


def test_a_breach_recorded_after_its_due_time_is_dated_when_the_target_passed(app, world):
    """However late the check records it (the clock paused past its due time, resumed since, or
    stopped late and reopened), the firing is dated when the target passed: the wallboard counts
    a day's breaches by it, as the figures count the clock's decided_at."""
    from datetime import datetime, timezone

    from tests.factories import answered, moved, policy, replied

    t0 = datetime(2030, 3, 4, 2, 0, tzinfo=timezone.utc)
    at = lambda seconds: t0 + timedelta(seconds=seconds)  # noqa: E731
    with app.app_context():
        policy(first=60, resolution=600, warn_at=(), escalation=[])
        paused, resumed, reopened = (ticket_at(world, t0, kind="inquiry").id for _ in range(3))
        for ticket_id in (paused, resumed):
            answered(world, ticket_id, "anna", at(10))  # taken, not replied to: the first response runs on
            moved(world, ticket_id, at(100), "pending_customer", by="anna")  # 40 s past it, nothing checked yet
        moved(world, resumed, at(150), "in_progress", by="anna")
        answered(world, reopened, "anna", at(10))
        replied(world, reopened, "anna", at(20))
        moved(world, reopened, at(700), "resolved", by="anna")  # 100 s past the resolution target, unchecked
        moved(world, reopened, at(800), "in_progress", by="anna")
        sla.sweep(now=at(900))
        fired = {(f.ticket_id, c.name): f.due_at for f, c in db.session.execute(
            select(SlaFired, SlaClock).join(SlaClock, SlaClock.id == SlaFired.clock_id).where(SlaFired.level == "breach"))}
        decided = {(c.ticket_id, c.name): c.decided_at for c in db.session.scalars(
            select(SlaClock).where(SlaClock.state == "breached"))}
    expected = {(paused, "first_response"): at(60), (resumed, "first_response"): at(60),
                (resumed, "resolution"): at(650), (reopened, "resolution"): at(600)}
    assert fired == expected
    assert decided == expected

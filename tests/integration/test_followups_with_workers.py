"""Follow-ups with real worker processes, a real console connection and a real SMTP server on
loopback: a callback falls due by its own timer and reaches an agent's console; missed tries
are retried by the worker until the callback closes and the customer is mailed; a callback
whose timer Redis lost still becomes work; a bad revisit alerts the supervisor live. The tests
do only what a person or a fault does."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.extensions import db
from callcenter.followups.models import FollowUp
from callcenter.notifications.models import OutboundMessage
from callcenter.schedule import SCHEDULE
from tests.factories import ticket_body
from tests.processes import app_env, free_port, kill, scheduled_periodic, start_worker, wait_until

pytestmark = pytest.mark.timeout(240)


def _console(listen, email_address):
    """A console signed in, its hello heard."""
    listener = listen(email_address)
    listener.collect(0.3)
    return listener


class Inbox:
    """An SMTP server on loopback (aiosmtpd) keeping what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: list[tuple[list[str], str, str]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((envelope.rcpt_tos, str(mail["Subject"]), mail.get_body().get_content()))
        return "250 OK"


@pytest.fixture
def inbox():
    box = Inbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture
def worker(app, redis, tmp_path, inbox):
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"], MAIL_BACKEND="smtp",
                  SMTP_HOST="127.0.0.1", SMTP_PORT=str(inbox.port))
    proc = start_worker(env, tmp_path / "worker.log")
    wait_until(lambda: scheduled_periodic(redis) == {p.name for p in SCHEDULE}, 30, what="the periodic jobs")
    yield proc
    kill(proc)


def _in(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def _book(api, seconds: float, **extra) -> int:
    start = _in(seconds)
    r = api.post("/api/v1/callbacks", json={"phone": "+86 139 0000 3333", "name": "周敏",
                                            "window_start": start.isoformat(),
                                            "window_end": (start + timedelta(hours=1)).isoformat(), **extra})
    assert r.status_code == 201, r.json
    return r.json["id"]


def _available(api, world, who):
    assert api.put(f"/api/v1/agents/{world.id(who)}/presence", json={"state": "available"}, who=who).status_code == 200


def _heard(listener, name, predicate, timeout):
    found = []

    def hear():
        found.extend(d for e, d in listener.collect(0.5) if e == name and predicate(d))
        return found

    return wait_until(hear, timeout, what=f"{name} on the console")


def test_a_callback_due_in_two_seconds_reaches_an_available_agents_console(api, world, worker, listen):
    _available(api, world, "anna")
    anna = _console(listen, "anna@test.cc")
    cid = _book(api, 2)
    due = _heard(anna, "callback.due", lambda d: d["followup_id"] == cid, 30)
    assert due[0]["phone"] == "+86 139 0000 3333" and due[0]["assignee_id"] == world.id("anna")
    assert api.get(f"/api/v1/callbacks/{cid}").json["status"] == "assigned"


def test_three_missed_tries_close_it_as_unreachable_and_mail_the_customer(api, world, worker, inbox):
    assert api.put("/api/v1/followup-policy", json={"retry_schedule": ["2s"], "max_attempts": 3},
                   who="admin").status_code == 200
    _available(api, world, "anna")
    ticket = api.post("/api/v1/tickets", json=ticket_body(customer={
        "name": "周敏", "phone": "+86 139 0000 3333", "email": "zhou@example.cn"})).json
    cid = _book(api, 1, ticket_id=ticket["id"])
    for n in range(1, 4):  # the agent calls each time the worker hands the callback back to them
        wait_until(lambda: api.get(f"/api/v1/callbacks/{cid}", who="anna").json["status"] == "assigned", 60,
                   what=f"try {n} to be given to the agent")
        r = api.post(f"/api/v1/callbacks/{cid}/attempts", json={"outcome": "no_answer"}, who="anna")
        assert r.status_code == 201, r.json
    body = api.get(f"/api/v1/callbacks/{cid}").json
    assert body["status"] == "unreachable" and len(body["attempts"]) == 3
    tried = ("We tried to call you", "我们尝试联系过您")
    mails = wait_until(lambda: [m for m in inbox.received if m[1] in tried], 30, what="the message saying we tried")
    assert mails[0][0] == ["zhou@example.cn"] and "3" in mails[0][2]
    events = api.get(f"/api/v1/tickets/{ticket['id']}/events?per_page=1000").json["items"]
    assert [e["kind"] for e in events].count("callback_attempt") == 3


def test_after_redis_loses_everything_a_due_callback_still_becomes_work(app, api, world, worker, redis):
    _available(api, world, "anna")
    cid = _book(api, 2)
    redis.flushdb()  # the fault: its timer, and every periodic job, are gone

    def assigned():
        with app.app_context():
            followup = db.session.scalar(select(FollowUp).where(FollowUp.id == cid))
            return followup.status.value == "assigned" and followup.assignee_id == world.id("anna")

    wait_until(assigned, 90, what="the callback to be given to the agent by the sweep")


def test_a_revisit_scored_two_reopens_its_ticket_raises_priority_and_alerts_the_supervisor(api, world, worker,
                                                                                          listen):
    assert api.put("/api/v1/followup-policy", json={"revisit_rules": [
        {"match": {"kind": "complaint"}, "after_seconds": 0, "sample": 1.0}]}, who="admin").status_code == 200
    _available(api, world, "anna")
    ticket = api.post("/api/v1/tickets", json=ticket_body(priority="P3")).json
    api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("anna")})
    for to in ("in_progress", "resolved"):
        assert api.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": to}, who="anna").status_code == 200
    _available(api, world, "bert")  # who resolved it does not revisit it when someone else can
    boss = _console(listen, "boss@test.cc")
    revisit = api.get(f"/api/v1/revisits?ticket_id={ticket['id']}").json["items"][0]
    wait_until(lambda: api.get(f"/api/v1/revisits/{revisit['id']}").json["status"] == "assigned", 60,
               what="the revisit to be given to an agent")
    assert api.get(f"/api/v1/revisits/{revisit['id']}").json["assignee"]["id"] == world.id("bert")
    r = api.post(f"/api/v1/revisits/{revisit['id']}/attempts", who="bert", json={
        "outcome": "reached", "solved": True, "score": 2, "comment": "took too long"})
    assert r.status_code == 201, r.json
    alert = _heard(boss, "recovery.started", lambda d: d["ticket_id"] == ticket["id"], 15)
    assert alert[0]["source"] == "revisit" and alert[0]["priority"] == "P2"
    after = api.get(f"/api/v1/tickets/{ticket['id']}").json
    assert after["status"] == "in_progress" and after["priority"] == "P2"


def test_the_resolution_mail_carries_a_survey_link_that_records_one_answer_on_submit_only(app, api, client, world,
                                                                                        worker, inbox):
    import re

    from callcenter.followups.models import Survey
    from callcenter.tickets.models import TicketEvent
    from tests.factories import csrf_from

    ticket = api.post("/api/v1/tickets", json=ticket_body(kind="inquiry", customer={
        "name": "周敏", "phone": "+86 139 0000 3333", "email": "zhou@example.cn"})).json
    api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": world.id("anna")})
    for to in ("in_progress", "resolved"):
        assert api.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": to}, who="anna").status_code == 200
    mails = wait_until(lambda: [m for m in inbox.received if "/s/" in m[2]], 30, what="the resolution mail")
    link = re.search(r"/s/([\w.\-]+)", mails[0][2]).group(1)

    def answered():
        with app.app_context():
            survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket["id"]))
            events = db.session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket["id"])).all()
            return survey.answered_at, "survey_answered" in events

    page = client.get(f"/s/{link}")  # what a mail scanner does
    assert page.status_code == 200 and answered() == (None, False)
    r = client.post(f"/s/{link}", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "csat": "5",
                                        "nps": "9", "comment": "快"})
    assert r.status_code in (200, 302) and answered()[1] is True
    again = client.get(f"/s/{link}")
    assert again.status_code == 410
    with app.app_context():
        assert db.session.scalar(select(Survey.csat).where(Survey.ticket_id == ticket["id"])) == 5
        stored = " ".join(db.session.scalars(select(OutboundMessage.body)).all())
    assert link not in stored  # the link is put in when sent, never stored

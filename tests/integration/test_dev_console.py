"""The console under `make run`: each mail and SMS printed readably (the status link usable),
links on the port the server listens on, and a worker that speaks only when something happened."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import redis as redis_lib
from rq import Queue
from sqlalchemy import select

from callcenter import worker
from callcenter.config import default_public_base_url
from callcenter.extensions import db
from callcenter.notifications import delivery
from callcenter.notifications.jobs import resend_unsent
from callcenter.notifications.models import OutboundMessage
from callcenter.privacy.jobs import retention
from callcenter.routing.jobs import sweep as routing_sweep
from callcenter.schedule import run_periodic
from callcenter.sla.jobs import sweep as sla_sweep
from tests.factories import run_jobs, set_presence, ticket_body

ROOT = Path(__file__).resolve().parents[2]


def _link(text: str, base: str) -> str:
    match = re.search(re.escape(base) + r"(/t/[A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def test_the_log_mail_backend_prints_the_whole_message_with_a_link_that_opens_the_ticket(
        app, api, client, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "log")
    t = api.post("/api/v1/tickets", json=ticket_body(language="en")).json
    capsys.readouterr()
    run_jobs(app)
    out = capsys.readouterr().out
    assert "To:      liu@example.cn" in out
    assert f"Subject: We received your request {t['reference']}" in out
    assert f'We have received your request "Charged twice" as {t["reference"]}.' in out
    path = _link(out, app.config["PUBLIC_BASE_URL"])
    assert t["reference"] in client.get(path).get_data(as_text=True)


def test_the_log_sms_backend_prints_the_text_and_only_the_start_of_the_number(capsys):
    delivery.send_sms({"SMS_BACKEND": "log"}, "+8613800138000", "Your request CC-2026-000001: http://x/t/abc")
    out = capsys.readouterr().out
    assert "To:      +86…" in out and "13800138000" not in out
    assert "Your request CC-2026-000001: http://x/t/abc" in out


def test_a_customers_text_sends_no_control_sequence_to_the_console(capsys):
    delivery.send({"MAIL_BACKEND": "log"}, "a@example.com", "Hi\x1b[2J", "clear\x1b]0;owned\x07 me\r\nnext line")
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "Hi" in out and "next line" in out


def test_links_follow_PORT_when_PUBLIC_BASE_URL_is_unset():
    assert default_public_base_url({"PORT": "5201"}) == "http://127.0.0.1:5201"
    assert default_public_base_url({}) == "http://127.0.0.1:5000"
    assert default_public_base_url({"PORT": "5201", "PUBLIC_BASE_URL": "https://desk.example.cn"}) == \
        "https://desk.example.cn"
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    proc = subprocess.run([sys.executable, "-c", "from callcenter.config import BaseConfig as C; print(C.PUBLIC_BASE_URL)"],
                          cwd=ROOT, env={**env, "PORT": "5201"}, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "http://127.0.0.1:5201", proc.stderr


def _ours(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("callcenter") and r.levelno >= logging.INFO]


def test_periodic_sweeps_with_nothing_to_do_log_nothing_at_info(app, world, caplog):
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    for name, queue in (("routing-sweep", "high"), ("sla-sweep", "high"), ("resend-unsent-messages", "low"),
                        ("privacy-retention", "low")):
        Queue(queue, connection=conn).enqueue(run_periodic, name, job_id=f"periodic-{name}-1800000000")
    with caplog.at_level(logging.INFO):
        worker.run(["high", "low"], conn, burst=True)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert _ours(caplog) == []
    assert not [m for m in lines if "periodic" in m or "cleaning registries" in m], lines
    with caplog.at_level(logging.INFO):  # nor when called as jobs by hand
        routing_sweep(), sla_sweep(), resend_unsent(), retention()
    assert _ours(caplog) == []


def test_a_sweep_that_did_something_says_what(app, api, world, redis, caplog):
    api.post("/api/v1/tickets", json=ticket_body())  # every agent offline: it waits
    redis.flushdb()  # its routing and delivery jobs are lost
    with app.app_context():
        set_presence(world.id("anna"), "available")
        for message in db.session.scalars(select(OutboundMessage)):
            message.created_at -= timedelta(minutes=5)
        db.session.commit()
    with caplog.at_level(logging.INFO):
        routing_sweep()
        resend_unsent()
    assert _ours(caplog) == ["routing sweep: assigned 1; 0 still waiting",
                             "resending 1 message(s) whose delivery job was lost"]


def _boom():
    raise RuntimeError("boom")


def test_rq_says_nothing_of_periodic_runs_but_still_of_other_jobs_and_of_failures(app, world, caplog):
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    low = Queue("low", connection=conn)
    low.enqueue(run_periodic, "resend-unsent-messages", job_id="periodic-resend-unsent-messages-1800000000")
    low.enqueue(_boom, job_id="periodic-resend-unsent-messages-1800000030")
    low.enqueue(resend_unsent, job_id="by-hand")
    with caplog.at_level(logging.INFO):
        worker.run(["low"], conn, burst=True)
    rq_lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "rq.worker"]
    assert not [m for level, m in rq_lines if level < logging.WARNING and "periodic-" in m], rq_lines
    assert [m for level, m in rq_lines if level < logging.WARNING and "by-hand" in m]
    assert [m for level, m in rq_lines if level >= logging.WARNING and "periodic-resend-unsent-messages-1800000030" in m]
    assert not [m for _level, m in rq_lines if "result is kept" in m]


def test_the_quiet_worker_prints_the_mail_and_none_of_rqs_chatter(app, api):
    t = api.post("/api/v1/tickets", json=ticket_body(language="en")).json
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "CALLCENTER_ENV": "testing", "MAIL_BACKEND": "log", "PORT": "5201"}
    env.pop("PUBLIC_BASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", "--quiet"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"Subject: We received your request {t['reference']}" in proc.stdout
    _link(proc.stdout, "http://127.0.0.1:5201")
    for chatter in ("Listening on", "Job OK", "started with PID", "Successfully completed"):
        assert chatter not in proc.stdout + proc.stderr


def test_make_run_keeps_the_demo_logins_last_and_prints_a_customers_mail_with_a_link_on_its_port(tmp_path):
    """`make run` itself, on its own embedded Redis and SQLite file: the demo's own messages print
    before the logins, nothing of RQ's follows them, and a ticket submitted on the form brings
    its acknowledgement to the console with a link to this port that opens the ticket."""
    import threading

    import requests

    from tests.factories import csrf_from
    from tests.processes import free_port, stop, wait_until

    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "PUBLIC_BASE_URL", "CALLCENTER_ENV")}
    env.update(CALLCENTER_INSTANCE=str(tmp_path / "instance"), PORT=str(port), MAIL_BACKEND="log")
    proc = subprocess.Popen([sys.executable, "-m", "callcenter.devserver"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: any(line.startswith("Callcenter on") for line in lines), 120, what="make run to start")
        session = requests.Session()
        token = csrf_from(session.get(f"{base}/submit", timeout=10).text)
        r = session.post(f"{base}/submit", timeout=10, data={
            "csrf_token": token, "kind": "complaint", "name": "Sam", "phone": "", "email": "sam@example.com",
            "category": "billing", "subject": "Charged twice", "description": "My bill was charged twice."})
        assert r.status_code == 200, r.text
        wait_until(lambda: any("To:      sam@example.com" in line for line in lines), 60, what="the mail")
        out = "".join(lines)
        path = _link(out[out.index("To:      sam@example.com"):], base)
        assert "Charged twice" in requests.get(base + path, timeout=10).text
    finally:
        stop(proc)
        reader.join(timeout=10)
    out = "".join(lines)
    logins = out.index("Demo logins (password for all:")
    assert out.count("--- mail") > 1 and out.rindex("--- mail") > logins  # the demo's mails, then Sam's
    demo_mails, after_logins = out[:logins], out[logins:out.index("To:      sam@example.com")]
    assert "--- mail" in demo_mails and after_logins.count("--- mail") == 1, after_logins
    for chatter in ("Listening on", "started with PID", "Job OK", "Acquired scheduler lock", "Successfully completed"):
        assert chatter not in out

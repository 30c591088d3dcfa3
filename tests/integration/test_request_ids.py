"""A request's id: said back in X-Request-ID, kept in the meta of the jobs it causes, and named
in the worker's JSON log lines while those jobs run (LOG_FORMAT=json)."""
from __future__ import annotations

import json
import logging
import re
import subprocess
import sys

import redis as redis_lib
from rq import Queue

from tests.factories import ticket_body
from tests.processes import ROOT, app_env


def test_a_request_says_back_the_id_it_was_given_or_a_new_one(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"}).headers["X-Request-ID"] == "lb-7f3a.1"
    made = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    odd = client.get("/healthz", headers={"X-Request-ID": "x" * 65}).headers["X-Request-ID"]  # too long: not taken
    assert odd != "x" * 65 and re.fullmatch(r"[0-9a-f]{32}", odd)
    assert client.get("/healthz").headers["X-Request-ID"] != made


def test_a_log_line_in_json_names_the_request(app):
    from callcenter.request_ids import JsonLines

    record = {}

    class Keep(logging.Handler):
        def emit(self, r):
            record["line"] = JsonLines().format(r)

    handler = Keep()
    app.logger.addHandler(handler)
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "req-42"}):
            app.preprocess_request()
            app.logger.warning("客户 %s waited", 7)
    finally:
        app.logger.removeHandler(handler)
    line = json.loads(record["line"])
    assert line["request_id"] == "req-42" and line["message"] == "客户 7 waited" and line["level"] == "WARNING"
    assert line["logger"] == app.logger.name and line["job_id"] is None and line["time"].endswith("+00:00")


def test_the_jobs_a_request_causes_carry_its_id_into_the_workers_json_lines(app, api):
    r = api.post("/api/v1/tickets", json=ticket_body(language="en"), headers={"X-Request-ID": "req-abc-123"})
    assert r.status_code == 201 and r.headers["X-Request-ID"] == "req-abc-123"
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    jobs = [job for name in ("high", "default", "low") for job in Queue(name, connection=conn).jobs]
    assert jobs and all(job.meta.get("request_id") == "req-abc-123" for job in jobs), [j.meta for j in jobs]
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"], LOG_FORMAT="json",
                  MAIL_BACKEND="log")
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["request_id"] == "req-abc-123"]
    done = {line["job_id"] for line in ours if line["message"].startswith("Successfully completed")}
    assert {job.id for job in jobs} <= done, (done, [line["message"] for line in lines][:20])
    assert all(line["job_id"] for line in ours)  # said while a job ran

"""GET /metrics (Prometheus): request latency, the figures of now read at the scrape (job queue
depth, tickets waiting, open tickets breached), and the jobs' outcomes counted by a real worker
process and added up through the shared multiprocess directory."""
from __future__ import annotations

import socket
import subprocess
import sys

import redis as redis_lib
import requests
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, Retry

from tests.factories import ticket_body
from tests.processes import ROOT, app_env, free_port, start_worker, stop, wait_until


def _boom():
    raise RuntimeError("boom")


def _fine():
    return 1


def _flaky(key: str, redis_url: str):
    """Fails on its first run only (the count kept in Redis, across the worker's runs)."""
    if redis_lib.Redis.from_url(redis_url).incr(key) == 1:
        raise RuntimeError("first time")
    return 1


def _scrape(client, **headers) -> dict:
    """{(name, labels as a sorted tuple): value} of one scrape."""
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200 and r.mimetype == "text/plain", r.status_code
    out = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _requests_counted(scrape: dict, endpoint: str, status: str) -> float:
    key = ("callcenter_http_request_duration_seconds_count",
           tuple(sorted({"method": "POST", "endpoint": endpoint, "status": status}.items())))
    return scrape.get(key, 0.0)


def test_metrics_count_requests_and_read_the_queue_and_the_waiting_tickets_at_the_scrape(app, client, api, world):
    before = _scrape(client)
    for i in range(3):  # nobody is online: they wait
        assert api.post("/api/v1/tickets", json=ticket_body(subject=f"waiting {i}")).status_code == 201
    assert api.post("/api/v1/tickets", json={"subject": ""}).status_code == 422
    Queue("low", connection=redis_lib.Redis.from_url(app.config["REDIS_URL"])).enqueue(_fine)
    after = _scrape(client)
    assert _requests_counted(after, "/api/v1/tickets", "201") - _requests_counted(before, "/api/v1/tickets", "201") == 3
    assert _requests_counted(after, "/api/v1/tickets", "422") - _requests_counted(before, "/api/v1/tickets", "422") == 1
    assert after[("callcenter_tickets_waiting", ())] == 3
    assert after[("callcenter_oldest_wait_seconds", ())] >= 0
    assert after[("callcenter_job_queue_depth", (("queue", "low"),))] >= 1
    assert after[("callcenter_sla_breached_open_tickets", ())] == 0


def test_metrics_ask_for_the_token_when_one_is_set(app, client):
    app.config["METRICS_TOKEN"] = "s3cret"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert _scrape(client, Authorization="Bearer s3cret")
    finally:
        app.config["METRICS_TOKEN"] = None


def test_a_workers_job_outcomes_and_lateness_reach_the_scrape_through_the_multiprocess_directory(app, client, tmp_path):
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    low = Queue("low", connection=conn)
    low.enqueue(_fine)
    low.enqueue(_fine)
    low.enqueue(_boom)
    low.enqueue(_flaky, "test-metrics:flaky", app.config["REDIS_URL"], retry=Retry(max=2))  # fails, then succeeds
    low.enqueue(_boom, retry=Retry(max=1))  # fails, is retried, fails for good
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"],
                  PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", "--quiet"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob("*.db")), "the worker wrote its values to the shared directory"
    app.config["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    app.extensions.pop("callcenter.metrics", None)
    try:
        scrape = _scrape(client)
    finally:
        app.config["PROMETHEUS_MULTIPROC_DIR"] = None
        app.extensions.pop("callcenter.metrics", None)
    fine = "tests.integration.test_metrics._fine"
    boom = "tests.integration.test_metrics._boom"
    flaky = "tests.integration.test_metrics._flaky"
    assert scrape[("callcenter_jobs_total", (("job", fine), ("outcome", "ok")))] == 2
    assert scrape[("callcenter_jobs_total", (("job", boom), ("outcome", "failed")))] == 2  # retries spent: failed
    assert scrape[("callcenter_jobs_total", (("job", boom), ("outcome", "retried")))] == 1
    assert scrape[("callcenter_jobs_total", (("job", flaky), ("outcome", "retried")))] == 1  # a retry is no failure
    assert scrape[("callcenter_jobs_total", (("job", flaky), ("outcome", "ok")))] == 1
    assert ("callcenter_jobs_total", (("job", flaky), ("outcome", "failed"))) not in scrape
    assert scrape[("callcenter_job_lateness_seconds_count", (("queue", "low"),))] == 7
    assert scrape[("callcenter_job_queue_depth", (("queue", "low"),))] == 0


def test_a_scrape_during_a_redis_outage_still_answers_and_says_which_source_failed(app, client):
    from tests.processes import free_port

    real = app.extensions["callcenter.rq_redis"]
    app.extensions["callcenter.rq_redis"] = redis_lib.Redis(port=free_port(), socket_connect_timeout=0.5)  # nobody there
    try:
        scrape = _scrape(client)
    finally:
        app.extensions["callcenter.rq_redis"] = real
    assert scrape[("callcenter_scrape_source_up", (("source", "redis"),))] == 0
    assert scrape[("callcenter_scrape_source_up", (("source", "database"),))] == 1
    assert ("callcenter_tickets_waiting", ()) in scrape
    assert not [k for k in scrape if k[0] == "callcenter_job_queue_depth"]


def test_an_unknown_method_is_counted_as_other_not_as_a_label_of_its_own(client):
    client.open("/nowhere", method="FOOBAR")
    scrape = _scrape(client)
    methods = {dict(labels).get("method") for (name, labels) in scrape
               if name == "callcenter_http_request_duration_seconds_count"}
    assert "other" in methods and "FOOBAR" not in methods


def test_a_worker_on_a_machine_of_its_own_serves_its_job_counts_on_its_metrics_port(app):
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    port = free_port()
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"], WORKER_METRICS_PORT=str(port))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    worker = start_worker(env)
    try:
        low = Queue("low", connection=conn)
        low.enqueue(_fine)
        low.enqueue(_boom)

        def counted():
            try:
                text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except requests.RequestException:
                return None
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for family in text_string_to_metric_families(text) for s in family.samples}
            done = samples.get(("callcenter_jobs_total", (("job", "tests.integration.test_metrics._boom"),
                                                          ("outcome", "failed"))))
            return done and samples
        samples = wait_until(counted, 60, what="the worker's job counts on its own port")
        assert samples[("callcenter_jobs_total", (("job", "tests.integration.test_metrics._fine"), ("outcome", "ok")))] == 1
        assert samples[("callcenter_job_lateness_seconds_count", (("queue", "low"),))] >= 2
    finally:
        stop(worker)


def test_a_worker_told_a_metrics_port_it_cannot_have_says_so_and_stops(app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])
        proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--metrics-port", str(port)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert f"cannot serve metrics on 127.0.0.1:{port}" in proc.stderr, proc.stderr


def test_a_forking_worker_asked_for_a_metrics_port_without_the_shared_directory_is_refused(app):
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--fork", "--metrics-port",
                           str(free_port())], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "set PROMETHEUS_MULTIPROC_DIR" in proc.stderr, proc.stderr

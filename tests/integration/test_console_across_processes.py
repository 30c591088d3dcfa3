"""Several web processes: a console connected to one hears what another web process and a
worker caused (Flask-SocketIO's Redis message queue carries it)."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import requests

from tests.factories import ticket_body
from tests.processes import app_env, free_port, start_web, start_worker, stop
from tests.socket_client import Listener

pytestmark = pytest.mark.timeout(180)


def _heard(listener, name, ticket_id, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for event, data in listener.collect(0.3):
            if event == name and data.get("ticket_id") == ticket_id:
                return data
    raise AssertionError(f"{name} for ticket {ticket_id} never reached the console")


def test_a_console_on_one_web_process_hears_the_other_and_the_worker(app, world, tmp_path):
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])
    ports = free_port(), free_port()
    procs = [start_web(env, ports[0], tmp_path / "web-a.log", threads=8),
             start_web(env, ports[1], tmp_path / "web-b.log", threads=8)]
    procs.append(start_worker(env, tmp_path / "worker.log"))
    web_a, web_b = (SimpleNamespace(url=f"http://127.0.0.1:{p}") for p in ports)
    boss = None
    try:
        boss = Listener(web_a, "boss@test.cc")
        headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
        r = requests.post(f"{web_b.url}/api/v1/sla-policies", headers=headers, timeout=10, json={
            "name": "quick", "match": {}, "calendar": "24x7", "warn_at": [],
            "targets": {"first_response_seconds": 2, "resolution_seconds": 3600}})
        assert r.status_code == 201, r.text
        r = requests.post(f"{web_b.url}/api/v1/tickets", json=ticket_body(category="other"), timeout=10,
                          headers={"Authorization": f"Bearer {world.tokens['boss']}"})
        assert r.status_code == 201, r.text
        ticket_id = r.json()["id"]
        # Caused in web process B, heard on A:
        created = _heard(boss, "ticket.updated", ticket_id, 10)
        # Caused in the worker (the SLA timer fires there), heard on A:
        breached = _heard(boss, "sla.breached", ticket_id, 30)
        assert breached["seq"] > created["seq"]
    finally:
        if boss is not None:
            boss.close()
        for proc in procs:
            stop(proc)

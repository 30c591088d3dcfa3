"""The production layout on one machine: nginx (deploy/nginx.conf, from Debian's package) in
front of two web processes under gunicorn, two RQ workers, Redis as the Socket.IO message queue,
the test's database. A console connected through nginx hears events caused on either web
process; tickets made through nginx and straight at both processes, routed by the web processes
and both workers at once, end with no agent over capacity and no ticket assigned twice."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select

from tests.factories import ticket_body
from tests.processes import ROOT, app_env, free_port, start_web_as_deployed, start_worker, stop, wait_until
from tests.socket_client import Listener

pytestmark = pytest.mark.timeout(240)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _nginx(tmp_path: Path, listen: int, upstreams: list[int]) -> subprocess.Popen:
    """deploy/nginx.conf as shipped, with this test's ports and its own log and pid files."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = re.sub(r"(?m)^(\s*)server 127\.0\.0\.1:\d+;\n", "", conf)
    conf = conf.replace("keepalive 32;", "".join(f"server 127.0.0.1:{p};\n        " for p in upstreams) + "keepalive 32;")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("/var/log/nginx/callcenter-access.log", str(tmp_path / "nginx-access.log"))
    conf = conf.replace("http {", "http {\n" + "".join(  # nginx's scratch space in the test's directory (not /var/lib)
        f"    {kind}_temp_path {tmp_path / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")), 1)
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    proc = subprocess.Popen([NGINX, "-c", str(path), "-p", str(tmp_path), "-g",
                             f"daemon off; pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'nginx-error.log'};"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: _answers(listen), 20, what="nginx")
    return proc


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _heard(listener, ticket_id: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for event, data in listener.collect(0.3):
            if event == "ticket.updated" and data.get("ticket_id") == ticket_id:
                return
    raise AssertionError(f"ticket.updated for {ticket_id} never reached the console behind nginx")


def test_two_web_processes_and_two_workers_behind_nginx_deliver_every_event_and_route_exactly(app, world, tmp_path):
    if not os.path.exists(NGINX):
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing: .ci/run installs it")
        pytest.skip("nginx is not installed (apt-get install nginx); CI installs it")
    from callcenter.auth.models import User
    from callcenter.extensions import db
    from callcenter.tickets.models import Ticket, TicketEvent

    with app.app_context():
        agents = [world.id(n) for n in ("anna", "bert", "nina")]
        for agent_id in agents:
            db.session.get(User, agent_id).capacity = 4
        db.session.commit()
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])
    ports = free_port(), free_port()
    procs = [start_web_as_deployed(env, ports[0], tmp_path / "web-a.log"),
             start_web_as_deployed(env, ports[1], tmp_path / "web-b.log"),
             start_worker(env, tmp_path / "worker-1.log"), start_worker(env, tmp_path / "worker-2.log")]
    front = free_port()
    procs.append(_nginx(tmp_path, front, list(ports)))
    listener = None
    try:
        listener = Listener(SimpleNamespace(url=f"http://127.0.0.1:{front}"), "boss@test.cc")
        boss = {"Authorization": f"Bearer {world.tokens['boss']}"}
        for port in ports:  # caused on each process in turn: the console behind nginx sits on one of them
            r = requests.post(f"http://127.0.0.1:{port}/api/v1/tickets", headers=boss, timeout=10,
                              json=ticket_body(subject=f"straight to :{port}"))
            assert r.status_code == 201, r.text
            _heard(listener, r.json()["id"], 10)
        for attempt in range(4):  # as a browser connects: polling, then the upgrade. Without sticky
            # sessions a request of the handshake lands on the other process ("Invalid session")
            polling = Listener(SimpleNamespace(url=f"http://127.0.0.1:{front}"), "boss@test.cc",
                               transports=("polling", "websocket"))
            try:
                r = requests.post(f"http://127.0.0.1:{ports[attempt % 2]}/api/v1/tickets", headers=boss, timeout=10,
                                  json=ticket_body(subject=f"to a polling console {attempt}"))
                assert r.status_code == 201, r.text
                _heard(polling, r.json()["id"], 10)
            finally:
                polling.close()

        given = requests.get(f"http://127.0.0.1:{front}/healthz", headers={"X-Request-ID": "lb-1"}, timeout=10)
        assert given.headers["X-Request-ID"] == "lb-1"  # an outer id carries through nginx
        made = requests.get(f"http://127.0.0.1:{front}/healthz", timeout=10).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)  # else nginx's $request_id
        assert requests.get(f"http://127.0.0.1:{front}/metrics", timeout=10).status_code == 200  # from 127.0.0.1

        targets = [front, ports[0], ports[1]]

        def create(i: int) -> int:
            r = requests.post(f"http://127.0.0.1:{targets[i % 3]}/api/v1/tickets", headers=boss, timeout=30,
                              json=ticket_body(subject=f"load {i}", category="network" if i % 2 else "billing",
                                               customer={"name": f"客户 {i}", "phone": f"1350000{i:04d}"}))
            assert r.status_code == 201, r.text
            return r.json()["id"]

        def available(agent_id: int) -> None:
            token = world.tokens[next(n for n in ("anna", "bert", "nina") if world.id(n) == agent_id)]
            r = requests.put(f"http://127.0.0.1:{front}/api/v1/agents/{agent_id}/presence", timeout=30,
                             headers={"Authorization": f"Bearer {token}"}, json={"state": "available"})
            assert r.status_code == 200, r.text

        with ThreadPoolExecutor(8) as pool:  # tickets arrive while the agents come online: every router at once
            made = list(pool.map(create, range(12)))
            list(pool.map(available, agents))
            made += list(pool.map(create, range(12, 30)))
        assert len(set(made)) == 30

        def settled():
            with app.app_context():
                db.session.remove()
                held = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.assignee_id.is_not(None)))
                return held == 12 and held  # 3 agents x 4 seats (anna and bert Billing, nina Network)
        wait_until(settled, 60, what="every seat filled")
        time.sleep(2)  # anything still in flight would now show as a thirteenth
        with app.app_context():
            db.session.remove()
            held = Counter(db.session.scalars(select(Ticket.assignee_id).where(Ticket.assignee_id.is_not(None))))
            assert all(n <= 4 for n in held.values()) and sum(held.values()) == 12, held
            assigned = Counter(db.session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "assigned")))
            assert max(assigned.values()) == 1, [t for t, n in assigned.items() if n > 1]
        listener.close()  # nginx logs the websocket once it ends
        listener = None
        log = wait_until(lambda: (lambda text: "/socket.io/" in text and text)(
            (tmp_path / "nginx-access.log").read_text()), 10, what="the console's websocket in nginx's log")
        assert re.search(r'"GET /socket\.io/\?[^"]*transport=websocket[^"]*" 101 ', log)  # upgraded through nginx
        assert log.count('"POST /api/v1/tickets HTTP/1.1" 201') == 10  # a third of the load went through nginx
    finally:
        if listener is not None:
            listener.close()
        for proc in procs:
            stop(proc)

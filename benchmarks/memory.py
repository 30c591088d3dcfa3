"""Memory after a long day: 100,000 tickets through one web process while 500 consoles are
connected, and the worker that ran their jobs.

As deployed: gunicorn gthread, one web process (`deploy/gunicorn.conf.py`'s worker class, with
enough threads for the sockets), one `flask worker` with its scheduler, the production
configuration, PostgreSQL and Redis. The desk is the demo's, with its agents available and room
for every ticket (each is routed in its request), and every ticket a new customer. The 500
consoles (benchmarks/_push_clients.py: real websockets, Engine.IO pings, console heartbeats)
are signed in as a supervisor (one console in a hundred: each hears every ticket event) and as
an agent with no team, no skills and one seat (the rest: they hear their own room only).
MEMORY_CLIENTS threads send the tickets as fast as they are taken.

Every MEMORY_SAMPLE seconds it prints the tickets so far and the memory (VmRSS, MB) of the web
process (the gunicorn worker, not its master) and of the worker (the largest of the worker and
its scheduler), and the consoles still connected. Target: both under 250 MB at the end, and
flat once warm. Figures are reported, not asserted; it exits 1 if a request failed or a console
was dropped.

    .venv/bin/python benchmarks/memory.py                  # about 30 minutes; bench_memory rebuilt, Redis db 2 flushed!
    MEMORY_TICKETS=5000 .venv/bin/python benchmarks/memory.py   # a short look

Knobs (environment): MEMORY_TICKETS (100000), MEMORY_CONSOLES (500), MEMORY_CLIENTS (8),
MEMORY_SAMPLE (60 s), DATABASE_URL (postgresql://postgres@127.0.0.1/bench_memory), REDIS_URL
(redis://127.0.0.1:6379/2).
"""
from __future__ import annotations

import itertools
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1/bench_memory")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/2")
os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-bench-memory-"))
os.environ.setdefault("PUSH_CLIENTS", os.environ.get("MEMORY_CONSOLES", "500"))

import _summary  # noqa: E402
import intake  # noqa: E402
import push  # noqa: E402
from _procs import free_port, pct, rss_largest_mb, spawn, stop, wait_for  # noqa: E402

TICKETS = int(os.environ.get("MEMORY_TICKETS", "100000"))
CONSOLES = push.CLIENTS
CLIENTS = int(os.environ.get("MEMORY_CLIENTS", "8"))
SAMPLE = float(os.environ.get("MEMORY_SAMPLE", "60"))
TARGET_MB = 250
LISTENER = "listener@bench.memory"
PASSWORD = "bench-memory-pass-1"


def setup(logs: Path) -> str:
    """The intake benchmark's desk (demo data, agents with room for every ticket) and an agent
    with no team, no skills and one seat, whose consoles hear only their own room (and who takes
    at most one ticket of the run). Returns a token."""
    from callcenter import create_app
    from callcenter.actions import accounts
    from callcenter.config import normalise_database_url
    from callcenter.extensions import db

    intake.ensure_database(intake.Ceiling.db_name())
    token = intake.setup_project(logs)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ["DATABASE_URL"])})
    with app.app_context():
        accounts.create_user(LISTENER, PASSWORD, "agent", name="Listener", teams=[], skills={}, capacity=1,
                             languages=["zh"])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return token


def sign_in(port: int) -> list[str]:
    """Cookies for the consoles: one in a hundred a supervisor's, the rest the listener's."""
    from callcenter.demo import DEMO_PASSWORD

    push.PASSWORD = PASSWORD
    listener = push.sign_in(port, [LISTENER])[0]
    push.PASSWORD = DEMO_PASSWORD
    supervisor = push.sign_in(port, ["supervisor@demo.callcenter"])[0]
    return [supervisor] + [listener] * 99


def main() -> int:
    import requests

    logs = Path(tempfile.mkdtemp(prefix="cc-bench-memory-logs-"))
    print(f"machine: {os.cpu_count()} cores; {TICKETS:,} tickets from {CLIENTS} client threads, {CONSOLES} consoles; "
          f"logs in {logs}", flush=True)
    token = setup(logs)
    env = {**os.environ, "CALLCENTER_ENV": "production", "SECRET_KEY": secrets.token_hex(16),
           "SESSION_COOKIE_SECURE": "0", "PRESENCE_CONSOLELESS_AWAY_SECONDS": "0"}
    worker = spawn([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env, ROOT, logs / "worker.log")
    port = free_port()
    web = spawn([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "-w", "1",
                 "--threads", str(CONSOLES + 2 * CLIENTS), "-b", f"127.0.0.1:{port}", "wsgi:app"], env, ROOT,
                logs / "web.log")
    fleet = None
    failures: list[str] = []
    samples: list[tuple[float, int, float, float, int]] = []
    latencies: list[float] = []
    sent = itertools.count()
    done = threading.Event()
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", web)
        fleet = push.ClientFleet(port, sign_in(port), logs / "clients.log")
        print(f"consoles: {fleet.connected} connected, {fleet.failed} failed", flush=True)
        lock = threading.Lock()

        def client():
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
            while not done.is_set():
                with lock:
                    n = next(sent)
                if n >= TICKETS:
                    return
                t0 = time.perf_counter()
                try:
                    r = s.post(f"http://127.0.0.1:{port}/api/v1/tickets", json=intake.ticket_body(n), timeout=60)
                    if r.status_code != 201:
                        failures.append(f"HTTP {r.status_code}: {r.text[:200]}")
                        continue
                except requests.RequestException as exc:
                    failures.append(f"{type(exc).__name__}: {exc}"[:300])
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t0)

        def sample(t_start: float) -> None:
            made = len(latencies)
            _events, closed = fleet.dump()  # drained, so the clients' own buffers stay small
            web_mb = max(rss_largest_mb(c.pid) for c in _children(web.pid))
            worker_mb = rss_largest_mb(worker.pid)
            samples.append((time.monotonic() - t_start, made, web_mb, worker_mb, fleet.connected - closed))
            print(f"  {samples[-1][0]:7.0f} s  {made:>7,} tickets  web {web_mb:6.1f} MB  worker {worker_mb:6.1f} MB  "
                  f"consoles {fleet.connected - closed}", flush=True)

        t_start = time.monotonic()
        sample(t_start)
        threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=SAMPLE / len(threads))
            if time.monotonic() - t_start >= SAMPLE * len(samples):
                sample(t_start)
        seconds = time.monotonic() - t_start
        time.sleep(10)  # the worker's last jobs
        sample(t_start)
    finally:
        done.set()
        if fleet is not None:
            fleet.quit()
        stop(web)
        stop(worker)
    ms = sorted(s * 1000 for s in latencies)
    first_warm = next((s for s in samples if s[1] >= min(TICKETS, 10_000)), samples[0])
    end = samples[-1]
    dropped = samples[0][4] - end[4]
    print(f"\n{len(latencies):,} tickets in {seconds:.0f} s ({len(latencies) / seconds:.1f} a second; median "
          f"{statistics.median(ms):.1f} ms, p99 {pct(ms, 99):.1f} ms), {len(failures)} failed; consoles dropped: {dropped}")
    print(f"web process: {samples[0][2]:.1f} MB at the start, {first_warm[2]:.1f} MB at {first_warm[1]:,} tickets, "
          f"{end[2]:.1f} MB at the end (largest {max(s[2] for s in samples):.1f})")
    print(f"worker: {samples[0][3]:.1f} MB at the start, {first_warm[3]:.1f} MB at {first_warm[1]:,} tickets, "
          f"{end[3]:.1f} MB at the end (largest {max(s[3] for s in samples):.1f})")
    _summary.report("memory", [
        (f"web process after {len(latencies):,} tickets, {end[4]} consoles", f"{end[2]:.1f} MB", f"< {TARGET_MB} MB",
         end[2] < TARGET_MB),
        (f"worker after {len(latencies):,} tickets", f"{end[3]:.1f} MB", f"< {TARGET_MB} MB", end[3] < TARGET_MB),
        ("tickets a second meanwhile", f"{len(latencies) / seconds:.1f}", "", None),
    ])
    if failures:
        print(f"{len(failures)} request(s) failed, e.g. {failures[0]}")
    return 1 if failures or dropped else 0


def _children(pid: int):
    """gunicorn's workers (the master's children); the master itself if it has none yet."""
    import psutil

    return psutil.Process(pid).children() or [psutil.Process(pid)]


if __name__ == "__main__":
    sys.exit(main())

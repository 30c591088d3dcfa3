"""Soak: a steady stream of tickets for a long while, with every SLA timer due meanwhile, against
the app as deployed (gunicorn gthread, one web process, one `flask worker` with its scheduler).

Every ticket starts an SLA policy with a short first-response target (SOAK_TARGET seconds, with
a warning at half of it), so thousands of timers fall due during the run. Agents are online
with little room, so most tickets wait in the queue (routing runs for each all the same).
Every SOAK_SAMPLE seconds it reads the memory (VmRSS, MB) of the web process and of the worker.
After the stream stops it waits for the last timers, then checks every clock whose due instant
has passed: each warning and breach fired exactly once (sla_fired is unique per clock, level
and cycle), and how late (fired_at - due_at).

It prints the figures and writes them as JSON to SOAK_JSON if set; exit 1 if a request failed
or a timer was missed or fired early. Lateness and memory are reported, not asserted.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_soak"   # once
    .venv/bin/python benchmarks/soak.py           # 30 minutes; the schema is rebuilt, Redis db 8 flushed!
    SOAK_SECONDS=60 SOAK_RATE=3 .venv/bin/python benchmarks/soak.py   # a short look

Knobs (environment): SOAK_SECONDS (1800), SOAK_RATE (tickets a second, 10), SOAK_TARGET
(first-response target in seconds, 20), SOAK_SAMPLE (seconds between memory samples, 30),
SOAK_AGENTS (5, capacity 2 each), DATABASE_URL (postgresql://postgres@127.0.0.1/bench_soak),
REDIS_URL (redis://127.0.0.1:6379/8), SOAK_JSON (a file for the figures).
"""
from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1/bench_soak")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-bench-soak-"))

SECONDS = float(os.environ.get("SOAK_SECONDS", "1800"))
RATE = float(os.environ.get("SOAK_RATE", "10"))
TARGET = int(os.environ.get("SOAK_TARGET", "20"))
SAMPLE = float(os.environ.get("SOAK_SAMPLE", "30"))
AGENTS = int(os.environ.get("SOAK_AGENTS", "5"))
import _summary  # noqa: E402
from _procs import free_port, pct, rss_largest_mb, rss_mb, stop, wait_for  # noqa: E402

GRACE = 5.0  # seconds after the last due instant before the timers are checked


def setup() -> str:
    """A fresh schema, the short-target policy, agents online with little room, a token."""
    import redis
    from flask_migrate import downgrade, upgrade

    from callcenter import create_app
    from callcenter.actions import accounts
    from callcenter.actions.presence import set_presence
    from callcenter.actors import SYSTEM
    from callcenter.extensions import db
    from callcenter.sla.models import SlaPolicy

    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": os.environ["REDIS_URL"]})
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    with app.app_context():
        if db.inspect(db.engine).has_table("alembic_version"):
            downgrade(revision="base")
        upgrade()
        db.session.add(SlaPolicy(name="soak", match={}, calendar="24x7", warn_at=[0.5], escalation=[],
                                 targets={"first_response_seconds": TARGET, "resolution_seconds": 30 * 86400}))
        db.session.commit()
        boss = accounts.create_user("boss@bench.soak", secrets.token_hex(8), "supervisor", name="Soak boss",
                                    teams=[], skills={}, capacity=5, languages=["zh"])
        for i in range(AGENTS):
            agent = accounts.create_user(f"agent{i}@bench.soak", secrets.token_hex(8), "agent", name=f"Agent {i}",
                                         teams=[], skills={}, capacity=2, languages=["zh"])
            set_presence(agent.id, "available", SYSTEM)
        token = accounts.create_token(boss, "soak")
        db.session.remove()
        db.engine.dispose()
    return token


class Stream:
    """SOAK_RATE tickets a second, evenly spaced, from a few client threads."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.sent = self.failed = 0
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def post(self, session, i: int) -> None:
        body = {"kind": "complaint", "channel": "api", "subject": f"soak {i}", "description": "steady load",
                "customer": {"name": f"Soak {i}", "phone": f"+86 137 {i:08d}"}}
        started = time.perf_counter()
        try:
            ok = session.post(f"{self.url}/api/v1/tickets", json=body, timeout=30).status_code == 201
        except Exception:
            ok = False
        with self.lock:
            self.sent += 1
            self.failed += not ok
            self.latencies.append(time.perf_counter() - started)

    def run(self, seconds: float) -> None:
        import requests

        local = threading.local()

        def session():
            if not hasattr(local, "s"):
                local.s = requests.Session()
                local.s.headers["Authorization"] = f"Bearer {self.token}"
            return local.s

        from concurrent.futures import ThreadPoolExecutor

        start = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            i = 0
            while (due := start + i / RATE) < start + seconds:
                time.sleep(max(0.0, due - time.monotonic()))
                pool.submit(lambda n=i: self.post(session(), n))
                i += 1


def timers() -> dict:
    """Every timer due by now: fired once each, and how late."""
    from sqlalchemy import create_engine, text

    engine = create_engine(os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        clocks = conn.execute(text(
            "SELECT id, due_at FROM sla_clocks WHERE name = 'first_response'")).all()
        fired = conn.execute(text("SELECT clock_id, level, fired_at, due_at FROM sla_fired")).all()
    engine.dispose()
    now = time.time()
    by_clock: dict[int, list] = {}
    for clock_id, level, fired_at, due_at in fired:
        by_clock.setdefault(clock_id, []).append((level, fired_at, due_at))
    due = missed = early = 0
    lateness: list[float] = []
    for clock_id, due_at in clocks:
        expected = {"breach": _ts(due_at), "warning:0.5": _ts(due_at) - TARGET / 2}  # 24x7, never paused
        for level, when in expected.items():
            if when > now - GRACE:
                continue  # not due long enough ago to be judged
            due += 1
            got = [f for f in by_clock.get(clock_id, []) if f[0] == level]
            if not got:
                missed += 1
                continue
            late = _ts(got[0][1]) - _ts(got[0][2])
            early += late < 0
            lateness.append(late)
    return {"timers_due": due, "fired": len(lateness), "missed": missed, "early": early,
            "lateness_median_s": statistics.median(lateness) if lateness else None,
            "lateness_p99_s": pct(lateness, 99) if lateness else None,
            "lateness_max_s": max(lateness) if lateness else None}


def _ts(value) -> float:
    from datetime import datetime, timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def main() -> int:
    token = setup()
    logs = Path(tempfile.mkdtemp(prefix="cc-soak-logs-"))
    port = free_port()
    env = {**os.environ, "CALLCENTER_ENV": "production", "SECRET_KEY": secrets.token_hex(16), "BIND": f"127.0.0.1:{port}",
           "WEB_THREADS": "32"}
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                           env=env, stdout=open(logs / "web.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                              stdout=open(logs / "worker.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
    samples: list[tuple[float, float, float, float, float]] = []

    def sample() -> tuple[float, float, float, float, float]:
        return (time.monotonic() - started, rss_mb(web.pid), rss_mb(worker.pid), rss_largest_mb(web.pid),
                rss_largest_mb(worker.pid))
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        time.sleep(2)  # the worker's scheduler is up
        print(f"soak: {SECONDS:.0f} s at {RATE} tickets/s, first-response target {TARGET} s (warning at half), "
              f"{AGENTS} agents x 2 seats, {os.cpu_count()} cores; logs in {logs}", flush=True)
        stream = Stream(f"http://127.0.0.1:{port}", token)
        feeder = threading.Thread(target=stream.run, args=(SECONDS,))
        started = time.monotonic()
        feeder.start()
        while feeder.is_alive():
            samples.append(sample())
            print(f"  {samples[-1][0]:6.0f} s  sent {stream.sent:6d}  web {samples[-1][1]:6.1f} MB "
                  f"(its process {samples[-1][3]:6.1f})  worker {samples[-1][2]:6.1f} MB "
                  f"(its process {samples[-1][4]:6.1f})", flush=True)
            feeder.join(timeout=SAMPLE)
        samples.append(sample())
        time.sleep(TARGET + GRACE + 1)  # the last tickets' timers fall due and fire
        result = {"seconds": SECONDS, "rate": RATE, "target_s": TARGET, "sent": stream.sent, "failed": stream.failed,
                  "request_median_ms": statistics.median(stream.latencies) * 1000 if stream.latencies else None,
                  "request_p99_ms": pct(stream.latencies, 99) * 1000 if stream.latencies else None,
                  **timers(), **_memory(samples)}
    finally:
        for proc in (worker, web):
            stop(proc)
    print(json.dumps(result, indent=2))
    _summary.report("soak", [
        (f"{result['sent']} tickets in {SECONDS:.0f} s, SLA timers fired", f"{result['fired']} of {result['timers_due']}",
         "all, none early", not result["missed"] and not result["early"]),
        ("timer lateness", f"p99 {result['lateness_p99_s'] or 0:.2f} s, max {result['lateness_max_s'] or 0:.2f} s",
         "p99 < 2 s", (result["lateness_p99_s"] or 0) < 2),
        ("web process memory", f"last {result['web_process_mb_last']:.0f} MB, peak {result['web_process_mb_peak']:.0f} MB, "
         f"{result['web_process_mb_per_10_min']:+.1f} MB / 10 min", "< 250 MB, flat",
         result["web_process_mb_peak"] < 250),
        ("worker process memory", f"last {result['worker_process_mb_last']:.0f} MB, "
         f"peak {result['worker_process_mb_peak']:.0f} MB, {result['worker_process_mb_per_10_min']:+.1f} MB / 10 min "
         f"(with its scheduler: peak {result['worker_mb_peak']:.0f} MB)", "< 250 MB, flat",
         result["worker_process_mb_peak"] < 250),
    ])
    if os.environ.get("SOAK_JSON"):
        Path(os.environ["SOAK_JSON"]).write_text(json.dumps(result))
    return 1 if result["failed"] or result["missed"] or result["early"] else 0


def _memory(samples: list[tuple[float, float, float, float, float]]) -> dict:
    """First and last samples, the peak, and the growth per 10 minutes (least squares) of each,
    over the run after its first fifth (start-up and warm caches are not a leak): web and worker
    with the processes beside them (gunicorn's master, the scheduler), and the largest one alone."""
    out = {}
    settled = [s for s in samples if s[0] >= samples[-1][0] / 5] or samples
    for name, column in (("web", 1), ("worker", 2), ("web_process", 3), ("worker_process", 4)):
        ys = [s[column] for s in samples]
        xs, ys_settled = [s[0] for s in settled], [s[column] for s in settled]
        slope = 0.0
        if len(xs) > 1 and max(xs) > min(xs):
            mx, my = statistics.fmean(xs), statistics.fmean(ys_settled)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys_settled, strict=False)) / sum((x - mx) ** 2 for x in xs)
        out.update({f"{name}_mb_first": ys[0], f"{name}_mb_last": ys[-1], f"{name}_mb_peak": max(ys),
                    f"{name}_mb_per_10_min": slope * 600})
    return out


if __name__ == "__main__":
    sys.exit(main())

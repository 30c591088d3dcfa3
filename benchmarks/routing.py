"""Routing speed.

1. Engine decision time, pure Python, no database: a new ticket against 1,000 agents, and an
   agent freeing up against 10,000 waiting tickets. Target: p99 under 5 ms.
2. End to end through the API over HTTP: POST /api/v1/tickets until the answer says
   "assigned" (routing runs in the creating request), 50 agents online, one client. Target: p99
   under 50 ms. Twice on PostgreSQL: in this process under the development server with the test
   configuration (which also checks each socket event against its schema), and as deployed
   (gunicorn with deploy/gunicorn.conf.py, or ROUTING_GUNICORN_CONF, the production
   configuration, the machine's Redis). ROUTING_API_ONLY=1 skips the engine's figures.

    .venv/bin/python benchmarks/routing.py                      # SQLite + embedded Redis
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench"     # once
    DATABASE_URL=postgresql://postgres@127.0.0.1/bench REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python benchmarks/routing.py                  # PostgreSQL (the schema is rebuilt!)
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _summary  # noqa: E402

from callcenter.routing import engine  # noqa: E402

SKILLS = ["billing", "network", "device", "logistics", "complaints", "account", "legal", "vip"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


DECISION_P99_TARGET_MS, API_P99_TARGET_MS = 5.0, 50.0


def report(name: str, seconds: list[float]) -> tuple[float, float]:
    """Prints the line; returns (median, p99) in ms."""
    ms = [s * 1000 for s in seconds]
    print(f"{name:<58} n={len(ms):>5}  median {statistics.median(ms):7.3f} ms  p99 {pct(ms, 99):7.3f} ms"
          f"  max {max(ms):7.3f} ms")
    return statistics.median(ms), pct(ms, 99)


def decision_row(what: str, figures: tuple[float, float]) -> tuple[str, str, str, bool]:
    median, p99 = figures
    return (what, f"median {median:.3f} ms, p99 {p99:.3f} ms", f"p99 < {DECISION_P99_TARGET_MS:.0f} ms",
            p99 < DECISION_P99_TARGET_MS)


def engine_benchmark() -> list[tuple[str, str, str, bool | None]]:
    rnd = random.Random(7)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    agents = [engine.AgentState(
        id=i, skills={s: rnd.randint(1, 5) for s in rnd.sample(SKILLS, 3)},
        languages=frozenset(rnd.choice([("zh",), ("en",), ("zh", "en")])), team_ids=frozenset({i % 20}),
        capacity=5, load=rnd.randint(0, 5), presence=rnd.choice(["available"] * 4 + ["away", "offline"]),
        last_assigned_at=now - timedelta(seconds=rnd.randint(0, 3600))) for i in range(1000)]
    tickets = [engine.TicketFacts(
        id=i, priority=rnd.choice(["P1", "P2", "P3", "P4"]), tier=rnd.choice(["VIP", "A", "B", "C"]),
        waiting_since=now - timedelta(seconds=rnd.randint(0, 1800)),
        required_skills={rnd.choice(SKILLS): rnd.randint(1, 5)}, language=rnd.choice(["zh", "en"]),
        team_id=rnd.randint(0, 19)) for i in range(10_000)]
    new_ticket = [engine.decide(t, agents, now) for t in tickets[:50]]  # warm up
    del new_ticket
    samples = []
    for t in tickets[:2000]:
        start = time.perf_counter()
        engine.decide(t, agents, now)
        samples.append(time.perf_counter() - start)
    decide = report("engine: new ticket vs 1,000 agents (decide)", samples)
    samples = []
    for agent in agents[:300]:
        free = engine.AgentState(**{**agent.__dict__, "presence": "available", "load": 0})
        start = time.perf_counter()
        engine.best_ticket_for(free, tickets, now)
        samples.append(time.perf_counter() - start)
    frees_up = report("engine: agent frees up vs 10,000 waiting (best_ticket_for)", samples)
    start = time.perf_counter()
    engine.plan(tickets, agents, now)
    plan_s = time.perf_counter() - start
    print(f"{'engine: whole-queue plan, 10,000 tickets x 1,000 agents':<58} one pass {plan_s:.2f} s")
    return [decision_row("engine: new ticket vs 1,000 agents (decide)", decide),
            decision_row("engine: agent frees up vs 10,000 waiting", frees_up),
            ("engine: whole-queue plan, 10,000 x 1,000", f"{plan_s:.2f} s a pass", "", None)]


def _api_desk(url: str) -> tuple:
    """A fresh schema with 5 teams, 50 available agents with room, 5 categories; a token."""
    os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-bench-"))
    from flask_migrate import downgrade, upgrade

    from callcenter import create_app
    from callcenter.actions import directory
    from callcenter.auth import services as auth
    from callcenter.auth.models import Presence
    from callcenter.directory.lookups import team_by_name
    from callcenter.extensions import db
    from callcenter.tickets.models import Category

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://")})
    with app.app_context():
        downgrade(revision="base") if db.inspect(db.engine).has_table("alembic_version") else None
        upgrade()
        directory.ensure_catalogue([f"T{t}" for t in range(5)], SKILLS[:5])  # as an admin sets up the desk first
        boss = auth.create_user("boss@bench.cc", "bench-password", "supervisor", teams=["T0"])
        token = auth.create_token(boss)
        for i in range(50):
            user = auth.create_user(f"a{i}@bench.cc", "bench-password", "agent", teams=[f"T{i % 5}"],
                                    skills={SKILLS[i % 5]: 3 + i % 3}, capacity=1000)
            user.presence = Presence.available
        for t in range(5):
            db.session.add(Category(code=SKILLS[t], name_en=SKILLS[t], name_zh=SKILLS[t],
                                    required_skills={SKILLS[t]: 1}, team_id=team_by_name(f"T{t}").id))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return app, token


def _post_tickets(port: int, token: str, n: int) -> tuple[list[float], int]:
    """n creations one after another (one client); the latencies after 20 to warm up."""
    import requests

    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    samples, not_assigned = [], 0
    rnd = random.Random(3)
    for i in range(n):
        body = {"kind": "service_request", "channel": "api", "subject": f"bench {i}", "description": "x",
                "category": SKILLS[rnd.randint(0, 4)], "customer": {"name": "c", "phone": f"1380000{i:04d}"}}
        start = time.perf_counter()
        r = session.post(f"http://127.0.0.1:{port}/api/v1/tickets", json=body, headers=headers)
        elapsed = time.perf_counter() - start
        if r.status_code != 201:
            raise SystemExit(f"POST failed: {r.status_code} {r.text[:200]}")
        if r.json()["status"] != "assigned":
            not_assigned += 1
        if i >= 20:  # warm-up excluded
            samples.append(elapsed)
    return samples, not_assigned


def _api_rows(label: str, samples: list[float], not_assigned: int, n: int) -> list[tuple[str, str, str, bool | None]]:
    median, p99 = report(f"API: create-to-assigned over HTTP, 50 agents ({label})", samples)
    print(f"    tickets not assigned in the creating request: {not_assigned}")
    return [(f"API: create-to-assigned, 50 agents ({label})", f"median {median:.1f} ms, p99 {p99:.1f} ms",
             f"p99 < {API_P99_TARGET_MS:.0f} ms", p99 < API_P99_TARGET_MS),
            (f"API: tickets not assigned in the creating request ({label})", f"{not_assigned} of {n}", "", None)]


def api_benchmark(n: int = 600) -> list[tuple[str, str, str, bool | None]]:
    """In this process: the app's test configuration (it also checks every socket event against
    its schema) under the development server, as earlier runs measured it."""
    from callcenter.extensions import socketio

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app, token = _api_desk(url)
    port = 5097
    threading.Thread(target=socketio.run, args=(app,), daemon=True,
                     kwargs={"port": port, "allow_unsafe_werkzeug": True, "log_output": False}).start()
    time.sleep(1.0)
    samples, not_assigned = _post_tickets(port, token, n)
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    return _api_rows(f"{backend}, development server", samples, not_assigned, n)


def deployed_api_benchmark(n: int = 600) -> list[tuple[str, str, str, bool | None]]:
    """As deployed: gunicorn with deploy/gunicorn.conf.py (one gthread process) and the production
    configuration, on PostgreSQL and the machine's Redis (it needs DATABASE_URL and REDIS_URL)."""
    import secrets

    from _procs import free_port, spawn, stop, wait_for

    url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (url and redis_url and url.startswith("postgresql")):
        print("API as deployed: skipped (it runs on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL)")
        return []
    _, token = _api_desk(url)
    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {**os.environ, "CALLCENTER_ENV": "production", "SECRET_KEY": secrets.token_hex(16),
           "BIND": f"127.0.0.1:{port}", "WEB_THREADS": "32", "SESSION_COOKIE_SECURE": "0"}
    log = Path(tempfile.mkdtemp(prefix="cc-bench-routing-")) / "web.log"
    conf = os.environ.get("ROUTING_GUNICORN_CONF", "deploy/gunicorn.conf.py")  # to try other settings
    web = spawn([sys.executable, "-m", "gunicorn", "-c", conf, "wsgi:app"], env, root, log)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", web)
        samples, not_assigned = _post_tickets(port, token, n)
    finally:
        stop(web)
    return _api_rows("PostgreSQL, gunicorn, production configuration", samples, not_assigned, n)


if __name__ == "__main__":
    rows = [] if os.environ.get("ROUTING_API_ONLY") == "1" else engine_benchmark()
    rows += api_benchmark()
    rows += deployed_api_benchmark()
    _summary.report("routing", rows)

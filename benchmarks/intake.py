"""Ticket intake: tickets a second through POST /api/v1/tickets, against a peer and the ceilings.

INTAKE_TICKETS tickets are POSTed by INTAKE_CLIENTS client threads (one requests.Session each,
after a warm-up of 20) to each of these, every one once a round, in turn, for INTAKE_ROUNDS
rounds (the machine is shared and noisy: interleaving spreads the noise over all of them):

- PostgreSQL ceiling: one-row INSERT + COMMIT from the same number of threads, psycopg 3,
  into a throwaway table: what the database alone takes;
- bare ceiling: Flask + Flask-SQLAlchemy inserting one row a POST and answering 201 JSON
  (benchmarks/_intake_bare_app.py), under gunicorn gthread, 2 processes x 8 threads;
- the project: POST /api/v1/tickets with a bearer token, under gunicorn gthread with 1, 2 and 4
  processes x 8 threads and one real RQ worker (`flask worker`), on the demo data (callcenter/
  demo.py) with its agents available and room for every ticket, so tickets are routed in the
  request; each ticket has its own customer (name, phone, email), so each looks one up and
  records it. The API's ticket creation has no rate limit (only sign-in and the public forms
  do), so nothing is switched off;
- the peer: django-helpdesk 2.6.1's POST /api/tickets/ with basic auth (benchmarks/
  _intake_peer.py: installed into a throwaway virtualenv if missing, a minimal Django project,
  its own database), under gunicorn gthread, 2 processes x 8 threads.

It prints each run (tickets/s, median and p99 latency, the machine's load before and how busy
it was during, and the CPU milliseconds a ticket cost each part: web processes, worker,
PostgreSQL, Redis, the clients), then the medians over the rounds and the ratios. Targets: the project with 2
processes takes >= 2x the peer's tickets/s and >= 25% of the bare ceiling's. The figures are
reported, not asserted: it exits 1 only if a request failed.

    .venv/bin/python benchmarks/intake.py        # 15-20 minutes; bench_intake* are rebuilt, Redis db 4 flushed!
    INTAKE_QUICK=1 .venv/bin/python benchmarks/intake.py     # a quick look

Knobs (environment): INTAKE_TICKETS (2000 a run), INTAKE_CLIENTS (8), INTAKE_ROUNDS (2),
INTAKE_QUICK=1 (200 tickets, 1 round, no 4-process run), INTAKE_PROCESSES (web processes of
the project's runs: "1,2,4"), INTAKE_TARGETS ("ceiling,bare,project,peer"; fewer print no
ratios), INTAKE_PEER_VENV (/tmp/cc-bench-peer-venv,
kept for the next run), DATABASE_URL (postgresql://postgres@127.0.0.1/bench_intake: the project's
schema, and the ceilings' tables; the peer's database is bench_intake_peer beside it), REDIS_URL
(redis://127.0.0.1:6379/4). The databases are created if missing.
"""
from __future__ import annotations

import itertools
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import _summary  # noqa: E402
from _procs import cpu_per_item, cpu_seconds, free_port, machine_busy, pct, spawn, stop, wait_for  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1/bench_intake")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-bench-intake-"))

QUICK = os.environ.get("INTAKE_QUICK") == "1"
TICKETS = int(os.environ.get("INTAKE_TICKETS", "200" if QUICK else "2000"))
CLIENTS = int(os.environ.get("INTAKE_CLIENTS", "8"))
ROUNDS = int(os.environ.get("INTAKE_ROUNDS", "1" if QUICK else "2"))
PEER_VENV = Path(os.environ.get("INTAKE_PEER_VENV", "/tmp/cc-bench-peer-venv"))
PROCESSES = tuple(int(n) for n in os.environ.get("INTAKE_PROCESSES", "1,2" if QUICK else "1,2,4").split(","))
# Which targets run: all of them by default; "project" alone to look at a change quickly
# (then no ratio is printed).
ONLY = set(os.environ.get("INTAKE_TARGETS", "ceiling,bare,project,peer").split(","))
THREADS = 8
WARMUP = 20
PEER_DB = "bench_intake_peer"
# Spread over the demo's teams and skills, as a desk's intake is.
CATEGORIES = ("billing", "network", "delivery", "account", "device")
DRAIN_LIMIT = 300  # seconds the worker is given, untimed, to finish a run's jobs
AGENT_CAPACITY = 100_000  # room for every ticket of the run: routing, not a full desk, is measured
TARGET_PEER, TARGET_BARE = 2.0, 0.25

serial = itertools.count(1)  # every ticket of the run, whatever the target, has its own customer


def gunicorn(python: Path, app: str, workers: int, env: dict, cwd: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = spawn([str(python), "-m", "gunicorn", "-k", "gthread", "-w", str(workers), "--threads", str(THREADS),
                  "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", app], env, cwd, log)
    wait_for(f"http://127.0.0.1:{port}/healthz", proc)
    return proc, port


def database_url(name: str) -> str:
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def ensure_database(name: str, fresh: bool = False) -> None:
    """Create the database if missing (dropped first if `fresh`)."""
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def ticket_body(n: int) -> dict:
    """Ticket n as the API takes it (tests/factories.py), with its own customer."""
    from tests.factories import ticket_body as valid_body

    return valid_body(subject=f"Charged twice {n}", category=CATEGORIES[n % len(CATEGORIES)],
                      customer={"name": f"客户 {n}", "phone": f"+86 138{n:08d}", "email": f"c{n}@example.cn"})


def drive(target: Target, numbers: list[int]) -> tuple[float, list[float], list[str]]:
    """Send tickets `numbers` from CLIENTS threads with a connection each: (seconds, latencies
    of those that succeeded, failures)."""
    todo, lock = iter(numbers), threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client():
        conn = target.connect()
        try:
            while True:
                with lock:
                    n = next(todo, None)
                if n is None:
                    return
                t0 = time.perf_counter()
                try:
                    target.send(conn, n)
                except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
                    failures.append(f"{type(exc).__name__}: {exc}"[:300])
                    continue
                latencies.append(time.perf_counter() - t0)
        finally:
            conn.close()

    # daemon: a Ctrl-C ends the script at once; the servers are stopped in its finally blocks
    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, failures


class Target:
    """Something that takes tickets: start() its processes, connect() a client's connection,
    send(conn, n) ticket n (raises if refused), note() what to add to a run's line, stop()."""

    label = ""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        pass

    def stop(self) -> None:
        while self.procs:
            stop(self.procs.pop())

    def mark(self) -> None:
        """Just before the timed run."""

    def note(self) -> str:
        return ""

    def groups(self) -> dict[str, list[int]]:
        """Its processes by what they do, for the CPU each spends a ticket."""
        return {"server": [p.pid for p in self.procs]}


class Ceiling(Target):
    label = "PostgreSQL ceiling (psycopg, INSERT + COMMIT)"
    TABLE = "bench_intake_ceiling"

    def start(self) -> None:
        """The table afresh each run: the project's runs rebuild the schema it lives in."""
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
            conn.execute(f"CREATE TABLE {self.TABLE} (id bigserial PRIMARY KEY, subject varchar(200), body text, "
                         "customer_name varchar(120), phone varchar(40), created_at timestamptz)")

    @staticmethod
    def db_name() -> str:
        return urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")

    def connect(self):
        import psycopg

        return psycopg.connect(os.environ["DATABASE_URL"])

    def send(self, conn, n: int) -> None:
        body = ticket_body(n)
        conn.execute(f"INSERT INTO {self.TABLE} (subject, body, customer_name, phone, created_at) "
                     "VALUES (%s, %s, %s, %s, now())",
                     [body["subject"], body["description"], body["customer"]["name"], body["customer"]["phone"]])
        conn.commit()


class Http(Target):
    """A web target: each ticket a POST of JSON to `path` on the target's port, answered 201."""

    headers: dict = {}
    auth: tuple | None = None
    path = ""

    def __init__(self, logs: Path):
        super().__init__()
        self.logs = logs
        self.port = 0

    def connect(self):
        import requests

        s = requests.Session()
        s.headers.update(self.headers)
        s.auth = self.auth
        return s

    def body(self, n: int) -> dict:
        return ticket_body(n)

    def send(self, session, n: int) -> None:
        r = session.post(f"http://127.0.0.1:{self.port}{self.path}", json=self.body(n), timeout=60)
        if r.status_code != 201:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")


class Bare(Http):
    label = "bare Flask + Flask-SQLAlchemy, 2 processes"
    path = "/tickets"

    def start(self) -> None:
        import _intake_bare_app

        _intake_bare_app.reset()  # its table afresh each run: the project's runs rebuild the schema
        env = {**os.environ, "PYTHONPATH": str(HERE)}
        proc, self.port = gunicorn(Path(sys.executable), "_intake_bare_app:app", 2, env, HERE, self.logs / "bare.log")
        self.procs.append(proc)


class Project(Http):
    path = "/api/v1/tickets"

    def __init__(self, logs: Path, workers: int, token: str):
        super().__init__(logs)
        self.workers = workers
        self.made = self.routed = 0  # over the rounds: timed tickets, and those with an agent
        self.label = f"project, {workers} process{'es' if workers > 1 else ''}"
        self.headers = {"Authorization": f"Bearer {token}"}
        # No console is open in the bench: without this the worker would set the agents away.
        self.env = {**os.environ, "CALLCENTER_ENV": "production", "SECRET_KEY": secrets.token_hex(16),
                    "PRESENCE_CONSOLELESS_AWAY_SECONDS": "0"}

    def start(self) -> None:
        # Each run on a fresh desk: otherwise the agents hold every earlier run's tickets and
        # each routing decision counts thousands of them, which no real desk has.
        self.headers = {"Authorization": f"Bearer {setup_project(self.logs, quiet=True)}"}
        worker = spawn([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], self.env, ROOT,
                       self.logs / "worker.log")
        self.procs.append(worker)
        proc, self.port = gunicorn(Path(sys.executable), "wsgi:app", self.workers, self.env, ROOT,
                                   self.logs / f"web-{self.workers}.log")
        self.procs.append(proc)

    def groups(self) -> dict[str, list[int]]:
        worker, web = self.procs
        return {"web": [web.pid], "worker": [worker.pid]}

    def mark(self) -> None:
        self.first_id = self.scalar("SELECT coalesce(max(id), 0) + 1 FROM tickets")

    def note(self) -> str:
        """How many of the timed tickets have an agent; the worker's backlog (its jobs for
        these tickets: acknowledgements, announcements, timers), which it is left to finish
        untimed, so that the next run does not pay for it."""
        made, routed = self.scalar("SELECT count(*), count(assignee_id) FROM tickets WHERE id >= %s",
                                   self.first_id, row=True)
        self.made += made
        self.routed += routed
        left, t0 = self.backlog(), time.monotonic()
        while self.backlog() and time.monotonic() - t0 < DRAIN_LIMIT:
            time.sleep(0.5)
        drained = f"drained in {time.monotonic() - t0:.0f} s" if not self.backlog() else f"{self.backlog()} still left"
        return f"; routed {routed}/{made} ({routed / max(1, made):.0%}); worker backlog {left} jobs, {drained}"

    @staticmethod
    def backlog() -> int:
        """Jobs waiting or running on the app's queues."""
        import redis
        from rq import Queue

        conn = redis.Redis.from_url(os.environ["REDIS_URL"])
        queues = [Queue(name, connection=conn) for name in ("high", "default", "low")]
        return sum(q.count + q.started_job_registry.count for q in queues)

    @staticmethod
    def scalar(sql: str, *args, row: bool = False):
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
            found = conn.execute(sql, args).fetchone()
        return found if row else found[0]


class Peer(Http):
    label = "peer: django-helpdesk 2.6.1, 2 processes"
    path = "/api/tickets/"

    def __init__(self, logs: Path, python: Path, folder: Path, queue: int):
        super().__init__(logs)
        import _intake_peer

        self.python, self.folder, self.queue = python, folder, queue
        self.auth = (_intake_peer.USER, _intake_peer.PASSWORD)
        self.env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(folder), "DJANGO_SETTINGS_MODULE": "peerdesk.settings"}

    def body(self, n: int) -> dict:
        import _intake_peer

        return _intake_peer.body(n, self.queue)

    def start(self) -> None:
        proc, self.port = gunicorn(self.python, "peerdesk.wsgi:application", 2, self.env, self.folder,
                                   self.logs / "peer.log")
        self.procs.append(proc)


def setup_project(logs: Path, quiet: bool = False) -> str:
    """A fresh schema with the demo data, its agents available with room for every ticket;
    returns an API token of the demo supervisor."""
    import psycopg
    import redis
    from sqlalchemy import select, update

    from callcenter import create_app, demo
    from callcenter.actions import accounts
    from callcenter.auth.models import Presence, Role, User
    from callcenter.config import normalise_database_url
    from callcenter.extensions import db

    ensure_database(Ceiling.db_name())
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    # the migrations in a process of their own: their logging goes to the log, not the report
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, check=True,
                   env={**os.environ, "CALLCENTER_ENV": "testing"}, stdout=open(logs / "setup.log", "ab"),
                   stderr=subprocess.STDOUT)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ["DATABASE_URL"])})
    with app.app_context():
        demo.seed()
        db.session.execute(update(User).where(User.role == Role.agent).values(capacity=AGENT_CAPACITY))
        db.session.commit()
        agents = db.session.scalars(select(User).where(User.role == Role.agent)).all()
        available = sum(a.presence == Presence.available for a in agents)
        supervisor = db.session.scalar(select(User).where(User.email == "supervisor@demo.callcenter"))
        token = accounts.create_token(supervisor, "bench intake")
        db.session.remove()
        db.engine.dispose()
    if not quiet:
        print(f"project: a fresh schema before each run, demo data, {available} of {len(agents)} agents "
              f"available, capacity {AGENT_CAPACITY:,} each", flush=True)
    return token


def setup_peer() -> tuple[Path, Path, int]:
    import _intake_peer

    python = _intake_peer.ensure_venv(PEER_VENV)
    folder = Path(tempfile.mkdtemp(prefix="cc-bench-intake-peer-"))
    _intake_peer.write_project(folder, PEER_DB)
    ensure_database(PEER_DB, fresh=True)
    queue = _intake_peer.setup(python, folder)
    print(f"peer: {' '.join(_intake_peer.PINS)} in {PEER_VENV}; project {folder}, database {PEER_DB}", flush=True)
    return python, folder, queue


def run(target: Target, results: dict, failures: list[str]) -> None:
    """One timed run of TICKETS tickets, after a warm-up, its processes started and stopped."""
    try:
        target.start()
        _s, _l, warm_failed = drive(target, [next(serial) for _ in range(WARMUP)])
        failures += warm_failed
        quiet = machine_busy()
        time.sleep(1)  # the machine with the target idle: what others are doing
        before, load = machine_busy(quiet), os.getloadavg()[0]
        target.mark()
        busy0, cpu0 = machine_busy(), cpu_seconds(target.groups())
        seconds, latencies, failed = drive(target, [next(serial) for _ in range(TICKETS)])
        busy = machine_busy(busy0)
        failures += failed
        note = target.note()  # the project's worker finishes the run's jobs: their CPU is the run's
        cpu = cpu_per_item(cpu0, cpu_seconds(target.groups()), TICKETS)
    finally:
        target.stop()
    rate = len(latencies) / seconds
    ms = [s * 1000 for s in latencies] or [float("nan")]
    results.setdefault(target.label, []).append((rate, statistics.median(ms), pct(ms, 99)))
    print(f"  {target.label:<47} {rate:7.1f} tickets/s  median {statistics.median(ms):6.1f} ms  "
          f"p99 {pct(ms, 99):7.1f} ms  ({len(latencies)} in {seconds:.1f} s, {len(failed)} failed; machine before: "
          f"load {load:.2f}, {before:.0%} busy; during {busy:.0%}){note}\n      {cpu}", flush=True)


def summary(results: dict) -> dict[str, float]:
    """The medians over the rounds as a table; the median tickets/s by label."""
    print()
    print(f"| what | tickets/s (median of {ROUNDS} round{'s' if ROUNDS > 1 else ''}) | median ms | p99 ms |")
    print("|---|---|---|---|")
    rates = {}
    for label, runs in results.items():
        rates[label] = statistics.median(r[0] for r in runs)
        print(f"| {label} | {rates[label]:.1f} | {statistics.median(r[1] for r in runs):.1f} "
              f"| {statistics.median(r[2] for r in runs):.1f} |")
    print()
    return rates


def ratio(rates: dict, name: str, other: str, short: str, target: float) -> float:
    value = rates[name] / rates[other]
    print(f"{short}: {value:.2f}x; target >= {target:g}x: {'met' if value >= target else 'NOT met'}")
    return value


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally blocks stop the servers
    logs = Path(tempfile.mkdtemp(prefix="cc-bench-intake-logs-"))
    load1, load5, _ = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load1:.2f} (1 min) {load5:.2f} (5 min); {TICKETS} tickets a run "
          f"from {CLIENTS} client threads after {WARMUP} to warm up, {ROUNDS} round(s); gunicorn gthread "
          f"--threads {THREADS}", flush=True)
    t0 = time.perf_counter()
    token = setup_project(logs)
    targets = [*([Ceiling()] if "ceiling" in ONLY else []), *([Bare(logs)] if "bare" in ONLY else []),
               *(Project(logs, w, token) for w in PROCESSES if "project" in ONLY),
               *([Peer(logs, *setup_peer())] if "peer" in ONLY else [])]
    print(f"set up in {time.perf_counter() - t0:.0f} s; logs in {logs}", flush=True)
    results: dict = {}
    failures: list[str] = []
    try:
        for rnd in range(ROUNDS):
            print(f"round {rnd + 1}", flush=True)
            for target in targets:
                run(target, results, failures)
    except KeyboardInterrupt:  # the running target's processes were stopped on the way out
        print("interrupted", flush=True)
        return 130
    rates = summary(results)
    if not {"project, 2 processes", Peer.label, Bare.label} <= rates.keys():
        return 1 if failures else 0
    to_peer = ratio(rates, "project, 2 processes", Peer.label, "project (2 processes) / peer", TARGET_PEER)
    to_bare = ratio(rates, "project, 2 processes", Bare.label, "project (2 processes) / bare ceiling", TARGET_BARE)
    _summary.report("intake", [
        *((label, f"{rate:.1f} tickets/s", "", None) for label, rate in rates.items()),
        ("project (2 processes) / peer", f"{to_peer:.2f}x", f">= {TARGET_PEER:g}x", to_peer >= TARGET_PEER),
        ("project (2 processes) / bare ceiling", f"{to_bare:.2f}x", f">= {TARGET_BARE:g}x", to_bare >= TARGET_BARE),
    ])
    for t in targets:
        if isinstance(t, Project):
            print(f"{t.label}: {t.routed} of {t.made} timed tickets routed to an agent ({t.routed / max(1, t.made):.0%})")
    if failures:
        print(f"{len(failures)} request(s) failed, e.g. {failures[0]}")
        return 1
    print("no request failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

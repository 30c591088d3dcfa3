"""Live push at 500 consoles: a ticket change to the event at every client, against the ceiling.

500 Socket.IO clients (benchmarks/_push_clients.py, in PUSH_CLIENT_PROCS processes on this
machine) sign in as five supervisors and open /console; each hears every ticket event (the
`supervisors` room). Then, against the app under gunicorn as in production:

- API: PATCH /api/v1/tickets/<id> (a new subject, a bearer token) -> ticket.updated;
  latency from just before the request is sent to the frame's arrival at each client;
- worker job: a clock made due, then its SLA check enqueued on `high` as the RQ scheduler
  moves a due timer there (callcenter.sla.jobs.check_clock, run by a real `flask worker`)
  -> sla.breached; latency from the enqueue to the arrival at each client.

The same clients then do the same against a bare Flask-SocketIO app on the same stack
(benchmarks/_push_bare_app.py: gunicorn gthread, threading mode, simple-websocket, a Redis
message queue) emitting a fixed payload from a request and from an RQ job: the ceiling.
It prints the latencies (median, p99, max over every event at every client), the web
process's memory (VmRSS of the gunicorn master and worker, idle and with the clients
connected) and exits 1 if any client missed any event (or failed to connect).
Targets: every event arrives; p99 within 1.5x the bare app's; memory under 250 MB.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_push"   # once
    DATABASE_URL=postgresql://postgres@127.0.0.1/bench_push REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python benchmarks/push.py                       # the schema is rebuilt, db 3 flushed!

Knobs (environment): PUSH_CLIENTS (500), PUSH_EVENTS (100 per path), PUSH_GAP (0.25 s
between events), PUSH_THREADS (gunicorn --threads, 600), PUSH_CLIENT_PROCS (2), PUSH_ROUNDS
(2: app, bare, app, bare, ... each path's figures pooled over the rounds).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1/bench_push")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-bench-push-"))

CLIENTS = int(os.environ.get("PUSH_CLIENTS", "500"))
EVENTS = int(os.environ.get("PUSH_EVENTS", "100"))
GAP = float(os.environ.get("PUSH_GAP", "0.25"))
THREADS = int(os.environ.get("PUSH_THREADS", "600"))
CLIENT_PROCS = int(os.environ.get("PUSH_CLIENT_PROCS", "2"))
ROUNDS = int(os.environ.get("PUSH_ROUNDS", "2"))
IDLE_SECONDS = 10
LATE_LIMIT = 30.0


from _procs import free_port, machine_busy, pct, stop, wait_for  # noqa: E402

SUPERVISORS = 5  # signed in once each (the login limiter allows 10 a minute); 100 consoles each
PASSWORD = "bench-push-pass-1"
MEMORY_TARGET_MB = 250


def memory(pid: int) -> dict:
    """VmRSS and VmHWM (peak) in MB of a process and its children (gunicorn's master and
    worker), and the worker's threads."""
    import psutil

    procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    rss = hwm = 0
    threads = 0
    for p in procs:
        status = Path(f"/proc/{p.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss += int(fields["VmRSS"].split()[0])
        hwm += int(fields["VmHWM"].split()[0])
        threads = max(threads, int(fields["Threads"]))
    return {"rss": rss / 1024, "hwm": hwm / 1024, "threads": threads}


def cpu_seconds(pid: int) -> float:
    import psutil

    procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def gunicorn(env: dict, port: int, app: str, log: Path, chdir: Path = ROOT) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(THREADS), "-w", "1",
                             "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--chdir", str(chdir), app],
                            cwd=chdir, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    wait_for(f"http://127.0.0.1:{port}/healthz")
    return proc


class ClientFleet:
    """CLIENTS console clients split over CLIENT_PROCS processes."""

    def __init__(self, port: int, cookies: list[str], log: Path):
        self.procs = []
        share = [CLIENTS // CLIENT_PROCS + (1 if i < CLIENTS % CLIENT_PROCS else 0) for i in range(CLIENT_PROCS)]
        for n in share:
            p = subprocess.Popen([sys.executable, str(HERE / "_push_clients.py"), "127.0.0.1", str(port), str(n)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(log, "ab"), text=True,
                                 start_new_session=True)
            p.stdin.write(json.dumps(cookies) + "\n")
            p.stdin.flush()
            self.procs.append(p)
        self.connected = self.failed = 0
        for p in self.procs:
            line = p.stdout.readline().split()
            if not line or line[0] != "ready":
                raise RuntimeError(f"a client process said {line!r} (see {log})")
            self.connected += int(line[1])
            self.failed += int(line[2])

    def dump(self) -> tuple[list, int]:
        """The events heard since the last dump, with the client numbers made fleet-wide."""
        events, closed, base = [], 0, 0
        for p in self.procs:
            p.stdin.write("dump\n")
            p.stdin.flush()
            out = json.loads(p.stdout.readline())
            events += [(base + e[0], *e[1:]) for e in out["events"]]
            closed += len(out["closed"])
            base += CLIENTS // CLIENT_PROCS + (1 if self.procs.index(p) < CLIENTS % CLIENT_PROCS else 0)
        return events, closed

    def quit(self) -> None:
        for p in self.procs:
            try:
                p.stdin.write("quit\n")
                p.stdin.flush()
                p.wait(timeout=20)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


class Path_:
    """One way to cause events: fire(i) causes event i and returns (key, t0, check)."""

    def __init__(self, label: str, event: str, fire):
        self.label, self.event, self.fire = label, event, fire
        self.latencies: list[float] = []
        self.last: list[float] = []  # per event: its latency at the last client to hear it
        self.expected = 0
        self.lost = 0
        self.errors: list[str] = []  # changes refused (an HTTP error): their events never happen


def run_events(paths: list[Path_]) -> list[dict]:
    """Fire EVENTS events on each path in turn, GAP apart; what was sent (key, t0, check)."""
    sent = []
    for path in paths:
        for i in range(EVENTS):
            try:
                key, t0, check = path.fire(i)
            except Exception as exc:  # noqa: BLE001 - a refused change: its event is lost to every client
                path.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                key, t0, check = ("failed", len(path.errors)), time.time(), None
            sent.append({"path": path, "key": key, "t0": t0, "check": check})
            time.sleep(GAP)
    return sent


def tally(sent: list[dict], events: list, clients: int, failed: int) -> bool:
    """Each sent event's latency at each client; returns whether the seq order held everywhere."""
    wanted = {(s["path"].event, s["key"]): s for s in sent}
    first: dict = {}
    order_ok = True
    seen_seq: dict[int, int] = {}
    for client, name, key, seq, t, check in sorted(events, key=lambda e: e[4]):
        s = wanted.get((name, key))
        if s is None or (s["check"] is not None and check != s["check"]):
            continue
        if seq is not None:
            if seq <= seen_seq.get(client, -1):
                order_ok = False
            seen_seq[client] = seq
        first.setdefault((client, name, key), t - s["t0"])
    for s in sent:
        path = s["path"]
        got = [first[(c, path.event, s["key"])] for c in range(clients) if (c, path.event, s["key"]) in first]
        path.expected += clients + failed
        path.lost += clients + failed - len(got)
        path.latencies += got
        if got:
            path.last.append(max(got))
    return order_ok


def setup():
    """A fresh schema in the bench database, five supervisors, a token, tickets with SLA clocks."""
    import redis
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from callcenter import create_app
    from callcenter.actions import accounts
    from callcenter.actions import tickets as ticket_actions
    from callcenter.actors import Actor
    from callcenter.extensions import db
    from callcenter.sla.models import SlaClock, SlaPolicy

    url = os.environ["DATABASE_URL"]
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://")})
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    ctx = app.app_context()
    ctx.push()
    if db.inspect(db.engine).has_table("alembic_version"):
        downgrade(revision="base")
    upgrade()
    db.session.add(SlaPolicy(name="bench push", match={}, calendar="24x7", warn_at=[], escalation=[],
                             targets={"first_response_seconds": 30 * 86400, "resolution_seconds": 60 * 86400}))
    db.session.commit()
    sups = [accounts.create_user(f"sup{i}@bench.push", PASSWORD, "supervisor", name=f"Supervisor {i}", teams=[],
                                 skills={}, capacity=5, languages=["zh"]) for i in range(SUPERVISORS)]
    db.session.commit()
    token = accounts.create_token(sups[0], "bench push")
    actor = Actor.of_user(sups[0])
    tickets = []
    for i in range(2 * EVENTS * ROUNDS):
        ticket, _ = ticket_actions.create_ticket({
            "kind": "complaint", "channel": "api", "subject": f"bench push {i}", "description": "bench push",
            "customer": {"name": f"Bench {i}", "phone": f"+86 139 {i:08d}"}}, actor)
        tickets.append((ticket.id, ticket.reference))
    clocks = dict(db.session.execute(select(SlaClock.ticket_id, SlaClock.id).where(
        SlaClock.name == "first_response")).all())
    emails = [s.email for s in sups]
    db.session.rollback()
    ctx.pop()
    return app, emails, token, tickets, clocks


def sign_in(port: int, emails: list[str]) -> list[str]:
    import requests

    from tests.factories import csrf_from

    cookies = []
    for email in emails:
        s = requests.Session()
        token = csrf_from(s.get(f"http://127.0.0.1:{port}/login").text)
        r = s.post(f"http://127.0.0.1:{port}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                   allow_redirects=False)
        if r.status_code != 302:
            raise RuntimeError(f"signing in {email}: {r.status_code} {r.text[:300]}")
        cookies.append("; ".join(f"{k}={v}" for k, v in s.cookies.items()))
    return cookies


def measure(label: str, port: int, web: subprocess.Popen, cookies: list[str], paths: list[Path_], log: Path,
            report: dict) -> bool:
    """Connect the clients, fire the events, tally; memory idle and connected into report."""
    idle = memory(web.pid)
    t_connect = time.perf_counter()
    fleet = ClientFleet(port, cookies, log)
    connect_s = time.perf_counter() - t_connect
    time.sleep(3)
    connected = memory(web.pid)
    cpu0 = cpu_seconds(web.pid)
    time.sleep(IDLE_SECONDS)  # the cost of holding the consoles open: pings, heartbeats
    idle_cpu = (cpu_seconds(web.pid) - cpu0) / IDLE_SECONDS
    cpu0 = cpu_seconds(web.pid)
    t_run = time.perf_counter()
    busy0 = machine_busy()
    try:
        sent = run_events(paths)
        run_s = time.perf_counter() - t_run
        cpu = cpu_seconds(web.pid) - cpu0
        busy = machine_busy(busy0)
        # Wait for the stragglers: an event not heard LATE_LIMIT s after the last one was sent is lost.
        wanted = {(s["path"].event, s["key"]) for s in sent}
        events, closed, deadline = [], 0, time.monotonic() + LATE_LIMIT
        while True:
            time.sleep(1)
            more, closed = fleet.dump()
            events += more
            heard = sum(1 for e in events if (e[1], e[2]) in wanted)
            if heard >= len(wanted) * fleet.connected or time.monotonic() > deadline:
                break
    finally:
        fleet.quit()
    order_ok = tally(sent, events, fleet.connected, fleet.failed)
    after = memory(web.pid)
    r = report.setdefault(label, {"idle": [], "connected": [], "hwm": [], "threads": [], "connect_s": [],
                                  "failed": 0, "closed": 0, "order_ok": True, "cpu_per_event_ms": [],
                                  "idle_cpu": [], "busy": []})
    r["busy"].append(busy)
    r["idle_cpu"].append(idle_cpu)
    r["idle"].append(idle["rss"])
    r["connected"].append(connected["rss"])
    r["hwm"].append(after["hwm"])
    r["threads"].append(connected["threads"])
    r["connect_s"].append(connect_s)
    r["failed"] += fleet.failed
    r["closed"] += closed
    r["order_ok"] &= order_ok
    r["cpu_per_event_ms"].append(cpu / len(sent) * 1000)
    print(f"  {label}: {fleet.connected} connected ({fleet.failed} failed) in {connect_s:.1f} s; "
          f"idle with them: web CPU {idle_cpu * 100:.0f}% of a core; "
          f"{len(sent)} events in {run_s:.0f} s; web CPU {cpu:.1f} s; machine {busy * 100:.0f}% busy; RSS idle {idle['rss']:.0f} MB, "
          f"connected {connected['rss']:.0f} MB, peak {after['hwm']:.0f} MB, {connected['threads']} threads",
          flush=True)
    return fleet.failed == 0 and closed == 0


def main() -> int:
    import redis
    import requests
    from rq import Queue
    from sqlalchemy import update

    from callcenter.db_types import utcnow
    from callcenter.extensions import db
    from callcenter.sla.models import SlaClock

    sys.path.insert(0, str(HERE))
    import _push_bare_app as bare
    import _summary

    t_setup = time.perf_counter()
    app, emails, token, tickets, clocks = setup()
    print(f"setup: schema, {SUPERVISORS} supervisors, {len(tickets)} tickets with SLA clocks in "
          f"{time.perf_counter() - t_setup:.1f} s; {CLIENTS} clients in {CLIENT_PROCS} processes, "
          f"{EVENTS} events a path a round, {GAP} s apart, {ROUNDS} round(s), gunicorn --threads {THREADS}",
          flush=True)
    logs = Path(tempfile.mkdtemp(prefix="cc-bench-push-logs-"))
    conn = redis.Redis.from_url(os.environ["REDIS_URL"])
    run_token = secrets.token_hex(4)
    env = {**os.environ, "CALLCENTER_ENV": "production", "SECRET_KEY": secrets.token_hex(16),
           "SESSION_COOKIE_SECURE": "0", "PRESENCE_CONSOLELESS_AWAY_SECONDS": "0"}

    app_port = free_port()
    web = gunicorn(env, app_port, "wsgi:app", logs / "web.log")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                              stdout=open(logs / "worker.log", "ab"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    bare_port = free_port()
    bare_env = {**os.environ, "PYTHONPATH": str(HERE)}
    bare_web = gunicorn(bare_env, bare_port, "_push_bare_app:app", logs / "bare-web.log", chdir=HERE)
    bare_worker = subprocess.Popen([str(Path(sys.executable).parent / "rq"), "worker", "-w", "rq.worker.SimpleWorker",
                                    "--url", os.environ["REDIS_URL"], bare.QUEUE], cwd=HERE, env=bare_env,
                                   stdout=open(logs / "bare-worker.log", "ab"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
    ok = True
    report: dict = {}
    try:
        cookies = sign_in(app_port, emails)
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        bare_http = requests.Session()
        high, bare_q = Queue("high", connection=conn), Queue(bare.QUEUE, connection=conn)
        # Warm both: a request each, a job each, before anything is measured.
        api.get(f"http://127.0.0.1:{app_port}/api/v1/tickets?per_page=1").raise_for_status()
        bare_http.post(f"http://127.0.0.1:{bare_port}/emit/0").raise_for_status()
        bare_q.enqueue("_push_bare_app.job", 0)
        time.sleep(5)  # the worker's start-up routing of the set-up tickets, its first sweeps
        spare = iter(tickets)

        def app_api(i):
            ticket_id, _ref = next(spare)
            subject = f"push {run_token} {ticket_id}"
            t0 = time.time()
            api.patch(f"http://127.0.0.1:{app_port}/api/v1/tickets/{ticket_id}", json={"subject": subject},
                      timeout=60).raise_for_status()
            return ticket_id, t0, subject

        def app_job(i):
            ticket_id, ref = next(spare)
            clock_id = clocks[ticket_id]
            with app.app_context():
                due = utcnow()
                db.session.execute(update(SlaClock).where(SlaClock.id == clock_id).values(
                    target_seconds=10, history=[[(due - timedelta(seconds=10)).isoformat(), "start"]], due_at=due,
                    next_check_at=due))
                db.session.commit()
            t0 = time.time()
            high.enqueue("callcenter.sla.jobs.check_clock", clock_id)
            return ticket_id, t0, ref

        marker = iter(range(1, 10 ** 9))

        def bare_api(i):
            m = next(marker)
            t0 = time.time()
            bare_http.post(f"http://127.0.0.1:{bare_port}/emit/{m}", timeout=60).raise_for_status()
            return m, t0, None

        def bare_job(i):
            m = next(marker)
            t0 = time.time()
            bare_q.enqueue("_push_bare_app.job", m)
            return m, t0, None

        paths = {"app": [Path_("app: API call", "ticket.updated", app_api),
                         Path_("app: worker job", "sla.breached", app_job)],
                 "bare": [Path_("bare: request", "ticket.updated", bare_api),
                          Path_("bare: RQ job", "ticket.updated", bare_job)]}
        for rnd in range(ROUNDS):
            print(f"round {rnd + 1}", flush=True)
            ok &= measure("app", app_port, web, cookies, paths["app"], logs / "clients.log", report)
            ok &= measure("bare", bare_port, bare_web, cookies, paths["bare"], logs / "clients.log", report)
    finally:
        for proc in (worker, bare_worker, web, bare_web):
            stop(proc)

    print()
    print("| path | events x clients | lost | median | p99 | max | last client, median | last client, p99 |")
    print("|---|---|---|---|---|---|---|---|")
    all_paths = paths["app"] + paths["bare"]
    for p in all_paths:
        if p.latencies:
            print(f"| {p.label} | {p.expected:,} | {p.lost} | {statistics.median(p.latencies) * 1000:.1f} ms "
                  f"| {pct(p.latencies, 99) * 1000:.1f} ms | {max(p.latencies) * 1000:.1f} ms "
                  f"| {statistics.median(p.last) * 1000:.1f} ms | {pct(p.last, 99) * 1000:.1f} ms |")
        else:
            print(f"| {p.label} | {p.expected:,} | {p.lost} | - | - | - | - | - |")
    print()
    print("| web process | RSS idle | RSS, clients connected | peak (VmHWM) | threads | connect all | CPU, connected and idle | CPU an event | machine busy while sending |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, r in report.items():
        print(f"| {label} | {max(r['idle']):.0f} MB | {max(r['connected']):.0f} MB | {max(r['hwm']):.0f} MB "
              f"| {max(r['threads'])} | {max(r['connect_s']):.1f} s "
              f"| {statistics.median(r['idle_cpu']) * 100:.0f}% of a core | {statistics.median(r['cpu_per_event_ms']):.0f} ms "
              f"| {', '.join(f'{b * 100:.0f}%' for b in r['busy'])} |")
    print()
    lost = sum(p.lost for p in all_paths)
    rows = []
    for app_path, bare_path in zip(paths["app"], paths["bare"], strict=False):
        if app_path.latencies and bare_path.latencies:
            ratio = pct(app_path.latencies, 99) / pct(bare_path.latencies, 99)
            print(f"{app_path.label}: p99 {ratio:.2f}x the bare app's ({bare_path.label}); target <= 1.5x: "
                  f"{'met' if ratio <= 1.5 else 'NOT met'}")
            rows.append((f"{app_path.label} vs {bare_path.label}, p99",
                         f"p99 {pct(app_path.latencies, 99) * 1000:.1f} ms = {ratio:.2f}x "
                         f"({pct(bare_path.latencies, 99) * 1000:.1f} ms)", "<= 1.5x", ratio <= 1.5))
        else:
            rows.append((f"{app_path.label} vs {bare_path.label}, p99", "NOT MEASURED (no event heard)",
                         "<= 1.5x", False))
    peak = max(max(r["connected"]) for label, r in report.items() if label == "app")
    print(f"app web process memory with {CLIENTS} clients: {peak:.0f} MB; target < {MEMORY_TARGET_MB} MB: "
          f"{'met' if peak < MEMORY_TARGET_MB else 'NOT met'}")
    order = all(r["order_ok"] for r in report.values())
    failed, closed = sum(r['failed'] for r in report.values()), sum(r['closed'] for r in report.values())
    print(f"events lost: {lost}; connections failed: {failed}, dropped: "
          f"{closed}; seq increasing at every client: {'yes' if order else 'NO'}")
    expected = sum(p.expected for p in all_paths)
    rows += [(f"app web process memory, {CLIENTS} clients connected", f"{peak:.0f} MB", f"< {MEMORY_TARGET_MB} MB",
              peak < MEMORY_TARGET_MB),
             ("events lost (events x clients, every path)", f"{lost} of {expected:,}", "0", lost == 0),
             ("connections failed, dropped", f"{failed}, {closed}", "0, 0", failed == 0 and closed == 0),
             ("seq increasing at every client", "yes" if order else "NO", "", None)]
    for p in all_paths:
        if p.errors:
            print(f"{p.label}: {len(p.errors)} change(s) refused, e.g. {p.errors[0]}")
    print(f"logs: {logs}")
    _summary.report("push", rows)
    return 0 if ok and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

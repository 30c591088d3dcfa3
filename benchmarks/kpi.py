"""The figures at a million tickets: the wallboard's refresh and the 30-day report on PostgreSQL.

Rebuilds the schema of the `bench_kpi` database with the real migrations (up to 0011), loads
KPI_TICKETS tickets (1,000,000) of about half a year with COPY (benchmarks/_kpi_load.py:
8 teams, 200 agents, two SLA clocks a ticket with their firings, 'created' and 'assigned'
events, surveys for a fifth of the resolved tickets, callbacks for one in twenty, a backlog of a
few thousand open tickets), runs VACUUM (ANALYZE), then times, each KPI_RUNS times after a warm-up:

- the wallboard's refresh, what GET /wallboard/panel computes: `queries.sla_board` and
  `summary.summary` of today (local midnight to now), as a supervisor, all teams and one team;
  also GET /wallboard/panel itself through the test client, signed in as that supervisor (a
  second app instance, so each request has its own app context), with the shared snapshot of
  kpi/snapshots.py dropped first (the request computes; the staffing forecast, kept for the
  hour, is read as kept), as the first redraw of an hour finds it (the forecasts dropped, then
  kept ahead as the worker's periodic job keeps them, kpi/forecasts.py), once more with the
  forecasts dropped and no job run (the request works its forecast out: no worker running),
  and as it comes (a fresh one is reused);
  and the panel's staffing forecast (kpi/staffing.py) alone, and the worker's forecasts job;
- the 30-day report, `summary.summary(actor, now - 30 d, now, now, rules)`, all teams and each
  team in turn; again with every statement planned for its own values (SET LOCAL
  plan_cache_mode = force_custom_plan: psycopg prepares a statement at its 5th execution on a
  connection, and PostgreSQL may then run a generic plan).

Targets: the wallboard's refresh under 100 ms, the 30-day report under 1 s. It prints median,
p95 and max of each, the time of each SQL statement of a summary, and EXPLAIN (ANALYZE,
BUFFERS) of the slowest statements of a measure that missed its target, with their generic plan
(EXPLAIN EXECUTE of the statement prepared). When the migrations go
beyond 0011 it measures twice: at 0011 ("before"), then after `flask db upgrade` to the head on
the loaded data ("after"), and prints both. Last, the summary's counts are recounted with plain
SQL written here; it prints "recount agrees: yes/no" and exits 1 when they differ.

    .venv/bin/python benchmarks/kpi.py        # creates bench_kpi if missing; its schema is dropped and rebuilt!
    KPI_TICKETS=50000 .venv/bin/python benchmarks/kpi.py

Knobs (environment): KPI_TICKETS (1000000), KPI_DAYS (180), KPI_RUNS (20), KPI_WARMUP (2),
KPI_BEFORE (1: measure at 0011 before upgrading to the head; 0: only at the head),
KPI_EXPLAIN (auto: when a target is missed; 1: always; 0: never), KPI_VACUUM (1: VACUUM (ANALYZE)
after the load, as autovacuum leaves rows that no longer change; 0: ANALYZE only), KPI_SETTLE (1: the
start-up heap frozen as wsgi.py freezes it, callcenter/heap.py; 0: not, to see what the cyclic
collector's full walks cost), DATABASE_URL
(postgresql://postgres@127.0.0.1/bench_kpi), REDIS_URL (redis://127.0.0.1:6379/5, never flushed).
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-bench-kpi-"))

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1/bench_kpi"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
TICKETS = int(os.environ.get("KPI_TICKETS", "1000000"))
DAYS = int(os.environ.get("KPI_DAYS", "180"))
RUNS = int(os.environ.get("KPI_RUNS", "20"))
WARMUP = int(os.environ.get("KPI_WARMUP", "2"))
BEFORE = os.environ.get("KPI_BEFORE", "1") == "1"
EXPLAIN = os.environ.get("KPI_EXPLAIN", "auto")
VACUUM = os.environ.get("KPI_VACUUM", "1") == "1"
SETTLE = os.environ.get("KPI_SETTLE", "1") == "1"
BASE_REVISION = "0011"
WALLBOARD_TARGET_MS, REPORT_TARGET_MS = 100.0, 1000.0
TEAM = "Billing"  # the largest team: the one-team figures
NEW_INDEXES = ("ix_tickets_abandoned", "ix_tickets_id_team_id", "ix_sla_clocks_decided", "ix_followups_closed_at",
               "ix_tickets_team_answered", "ix_tickets_team_resolved", "ix_tickets_status_sla_state")


class CollectorPauses:
    """The cyclic collector's pauses while on, by generation (gc.callbacks): a full collection
    walks every tracked object of the process, the start-up heap included unless it is frozen."""

    def __init__(self):
        import gc

        self.on, self.pauses, self._t0 = False, {0: [], 1: [], 2: []}, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if not self.on:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._t0) * 1000)

    def line(self) -> str:
        parts = [f"generation {g}: {len(p)} pauses, {sum(p):.1f} ms in all, longest {max(p, default=0):.1f} ms"
                 for g, p in self.pauses.items()]
        return "; ".join(parts)


def machine_busy(since=None):
    """The whole machine's busy share of its CPUs since `since` (from /proc/stat): other work on a
    shared machine shows here (as in benchmarks/push.py)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, total = fields[3] + fields[4], sum(fields[:8])
    if since is None:
        return idle, total
    return 1 - (idle - since[0]) / max(1, total - since[1])


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# ---------------------------------------------------------------- where it runs

def bench_urls() -> tuple[str, str]:
    from sqlalchemy.engine import make_url

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    parsed = make_url(database_url)
    if not parsed.drivername.startswith("postgres"):
        raise SystemExit(f"this benchmark runs on PostgreSQL, not {parsed.drivername}")
    if parsed.database in (None, "", "test", "postgres", "bench", "bench_push"):
        raise SystemExit(f"refusing to rebuild the database {parsed.database!r}: give it one of its own (bench_kpi)")
    os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = database_url, redis_url
    return database_url, redis_url


def ensure_database(database_url: str) -> None:
    """CREATE DATABASE when it is missing (through the server's maintenance database)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from callcenter.config import normalise_database_url

    target = make_url(normalise_database_url(database_url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def rebuild_schema(db, revision: str) -> None:
    """An empty public schema, then the real migrations up to `revision` (a downgrade over a
    million rows would be slower, and may not run over rows a later migration allowed)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    db.session.execute(text("DROP SCHEMA public CASCADE"))
    db.session.execute(text("CREATE SCHEMA public"))
    db.session.commit()
    upgrade(revision=revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


# ---------------------------------------------------------------- SQL statements, timed one by one

class StatementLog:
    """Every statement sent while it is on, with its parameters, time and the app function that sent it."""

    def __init__(self, *engines):
        from sqlalchemy import event

        self.on, self.rows, self._t0 = False, [], {}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", self._before)
            event.listen(engine, "after_cursor_execute", self._after)

    @staticmethod
    def _caller() -> str:
        """The first public function of the app up the stack (a helper such as summary._run is passed over)."""
        frame = sys._getframe(2)
        while frame is not None:
            path, name = frame.f_code.co_filename, frame.f_code.co_name
            if f"{os.sep}callcenter{os.sep}" in path and not name.startswith("_"):
                return f"{Path(path).parent.name}/{Path(path).stem}.{name}"
            frame = frame.f_back
        return "?"

    @staticmethod
    def hint(statement: str) -> str:
        """What a statement reads: its tables and the first column it filters on."""
        tables = re.findall(r"(?:FROM|JOIN) (\w+)", statement)
        where = re.search(r"WHERE \(?(\w+\.\w+)", statement)
        return "+".join(dict.fromkeys(tables)) + (f" by {where.group(1)}" if where else "")

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self._t0[id(cursor)] = (time.perf_counter(), self._caller())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and id(cursor) in self._t0:
            t0, caller = self._t0.pop(id(cursor))
            self.rows.append((caller, statement, parameters, (time.perf_counter() - t0) * 1000))

    def capture(self, fn, repeat: int = 5) -> list[dict]:
        """The statements of fn(), each with its median time over `repeat` calls."""
        from callcenter.extensions import db

        runs = []
        for _ in range(repeat):
            self.rows, self.on = [], True
            try:
                fn()
            finally:
                self.on = False
                db.session.rollback()
            runs.append(self.rows)
        out, seen = [], {}
        for i, (caller, statement, parameters, _) in enumerate(runs[0]):
            seen[caller] = seen.get(caller, 0) + 1
            label = caller if seen[caller] == 1 else f"{caller} #{seen[caller]}"
            times = [r[i][3] for r in runs if len(r) > i]
            out.append({"label": f"{label} ({self.hint(statement)})", "statement": statement, "parameters": parameters,
                        "ms": statistics.median(times)})
        return out


def explain(db, statement: str, parameters) -> str:
    """The plan for these parameters (a custom plan: what the first executions on a connection get)."""
    rows = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
    db.session.rollback()
    return "\n".join(r[0] for r in rows)


def explain_generic(db, statement: str, parameters) -> str:
    """The generic plan of the statement, run with these parameters: what the app runs once psycopg
    has prepared the statement (its 5th execution on a connection) and PostgreSQL has chosen to
    stop planning it for each call's values (plan_cache_mode auto, after 5 custom plans)."""
    from psycopg.sql import Literal

    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
    text = statement
    for k, name in enumerate(names, 1):
        text = text.replace(f"%({name})s", f"${k}")
    conn = db.session.connection().connection.driver_connection
    try:
        with conn.cursor() as cur:
            cur.execute("PREPARE kpi_generic AS " + text)
            cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            args = ", ".join(Literal(parameters[n]).as_string(conn) for n in names)
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE kpi_generic({args})")
            rows = cur.fetchall()
            cur.execute("DEALLOCATE kpi_generic")
    finally:
        db.session.rollback()
    return "\n".join(r[0] for r in rows)


# ---------------------------------------------------------------- the measures

def timed(fn, runs: int = RUNS, warmup: int = WARMUP, before=None) -> list[float]:
    """fn(i) timed `runs` times after `warmup` calls; before(), if given, runs untimed ahead of each."""
    from callcenter.extensions import db

    for i in range(warmup):
        if before:
            before()
        fn(i)
        db.session.rollback()
    samples = []
    for i in range(runs):
        if before:
            before()
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
        db.session.rollback()  # a request's session ends with it
    return samples


def csrf_from(page) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    if not match:
        raise SystemExit(f"no csrf_token on /login ({page.status_code}): {page.get_data(as_text=True)[:500]}")
    return match.group(1)


def signed_in_client(app, email: str, password: str):
    """The test client with a supervisor's session, as tests/factories.login signs in. `app` is an
    app of its own: each request then has its own app context (g, the session), as in production."""
    client = app.test_client()
    token = csrf_from(client.get("/login"))
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if r.status_code != 302:
        raise SystemExit(f"signing in as {email} answered {r.status_code}")
    return client


def forget_snapshot(app, team: str | None, forecast: bool = False) -> None:
    """Drop the wallboard's shared snapshot of the team (kpi/snapshots.py, where it exists), so
    that the next GET /wallboard/panel computes its figures; with forecast, the staffing
    forecast kept for the hour too (what the first redraw of an hour computes)."""
    try:
        from callcenter.kpi import snapshots
    except ImportError:
        return
    import redis

    r = redis.Redis.from_url(app.config["REDIS_URL"])
    name = snapshots.board_name(team) if hasattr(snapshots, "board_name") else team or "*"
    r.delete(snapshots.KEY.format(name))
    if forecast:
        for key in r.scan_iter(snapshots.KEY.format("forecast:*")):
            r.delete(key)


def measure_phase(app, web, db, log: StatementLog, actor, loaded, phase: str) -> dict:
    """Every figure of one schema state: {measure: (target_ms, samples)}, and the statements."""
    from sqlalchemy import text

    from callcenter.db_types import utcnow
    from callcenter.kpi import formulas, queries
    from callcenter.kpi.summary import summary

    tz = app.config["DISPLAY_TIMEZONE"]
    rules = formulas.rules_from(app.config)
    teams = list(loaded.team_names)

    def board(team=None):
        return queries.sla_board(actor, utcnow(), tz, team=team)

    def today(team=None):
        now = utcnow()
        return summary(actor, formulas.start_of_local_day(now, tz), now, now, rules, team=team)

    def report(team=None):
        now = utcnow()
        return summary(actor, now - timedelta(days=30), now, now, rules, team=team)

    def refresh(team=None):
        b = board(team)
        now = b["generated_at"]
        return b, summary(actor, formulas.start_of_local_day(now, tz), now, now, rules, team=team)

    client = signed_in_client(web, loaded.supervisor_email, loaded.password)

    def panel(team=None):
        query = f"?team={team}" if team else ""
        r = client.get(f"/wallboard/panel{query}")
        if r.status_code != 200 or "<" not in r.get_data(as_text=True):
            raise SystemExit(f"GET /wallboard/panel{query} answered {r.status_code}")
        return r

    def report_page(team=None):  # the reports page: the summary, the team and agent tables, trends, distributions
        query = f"?team={team}" if team else ""
        r = client.get(f"/reports{query}")
        if r.status_code != 200 or "data-figure" not in r.get_data(as_text=True):
            raise SystemExit(f"GET /reports{query} answered {r.status_code}")
        return r

    figures = {}
    busy = machine_busy()
    pauses = CollectorPauses()
    pauses.on = True
    W, R = WALLBOARD_TARGET_MS, REPORT_TARGET_MS
    figures["wallboard: sla_board, all teams"] = (None, timed(lambda i: board()))
    figures["wallboard: summary of today, all teams"] = (None, timed(lambda i: today()))
    figures["wallboard refresh (sla_board + today), all teams"] = (W, timed(lambda i: refresh()))
    figures[f"wallboard refresh (sla_board + today), team {TEAM}"] = (W, timed(lambda i: refresh(TEAM)))
    figures["GET /wallboard/panel, all teams, computed (no shared snapshot)"] = (
        W, timed(lambda i: panel(), before=lambda: forget_snapshot(web, None)))
    figures[f"GET /wallboard/panel?team={TEAM}, computed (no shared snapshot)"] = (
        W, timed(lambda i: panel(TEAM), before=lambda: forget_snapshot(web, TEAM)))
    if keep_forecasts_ahead(web) is not None:
        figures[f"GET /wallboard/panel?team={TEAM}, first redraw of an hour (forecast kept ahead by the worker)"] = (
            W, timed(lambda i: panel(TEAM), before=lambda: (forget_snapshot(web, TEAM, forecast=True),
                                                            keep_forecasts_ahead(web))))
    figures[f"GET /wallboard/panel?team={TEAM}, computed with the staffing forecast (no worker kept it)"] = (
        None if keep_forecasts_ahead(web) is not None else W,
        timed(lambda i: panel(TEAM), before=lambda: forget_snapshot(web, TEAM, forecast=True)))
    figures["GET /wallboard/panel, all teams, as it comes (snapshot shared when fresh)"] = (None, timed(lambda i: panel()))
    figures["30-day report, all teams"] = (R, timed(lambda i: report()))
    figures["GET /reports (the 30-day report page, every table and chart), all teams"] = (
        R, timed(lambda i: report_page()))
    figures[f"GET /reports?team={TEAM} (the same, one team)"] = (R, timed(lambda i: report_page(TEAM)))
    per_team = timed(lambda i: report(teams[i % len(teams)]), runs=max(RUNS, 3 * len(teams)))
    figures[f"30-day report, one team (each of the {len(teams)} in turn)"] = (R, per_team)

    def custom_plans():  # for this transaction: every statement planned for its own values
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    figures["30-day report, all teams, custom plans (SET LOCAL plan_cache_mode = force_custom_plan)"] = (
        R, timed(lambda i: (custom_plans(), report())))
    figures["30-day report, one team, custom plans (the same)"] = (
        R, timed(lambda i: (custom_plans(), report(teams[i % len(teams)])), runs=max(RUNS, 3 * len(teams))))
    figures.update(staffing_figures(app))
    pauses.on = False
    _print_figures(phase, figures)
    print(f"\nthe cyclic collector while these ran ({'start-up heap frozen' if SETTLE else 'nothing frozen'}): "
          f"{pauses.line()}")
    print(f"\nthe machine was {machine_busy(busy):.0%} busy while these ran (2 cores; this process and PostgreSQL "
          f"count, and anything else running)")

    statements = {
        "summary of today, all teams": log.capture(lambda: today()),
        f"summary of today, team {TEAM}": log.capture(lambda: today(TEAM)),
        "sla_board, all teams": log.capture(lambda: board()),
        f"sla_board, team {TEAM}": log.capture(lambda: board(TEAM)),
        "GET /wallboard/panel, all teams, computed": log.capture(lambda: (forget_snapshot(web, None), panel())),
        "30-day report, all teams": log.capture(lambda: report()),
        f"30-day report, team {TEAM}": log.capture(lambda: report(TEAM)),
    }
    for name, rows in statements.items():
        print(f"\nstatements of the {name} ({phase}), median of 5:\n")
        print("| statement (sent by) | ms |\n|---|---|")
        for row in rows:
            print(f"| {row['label']} | {row['ms']:.1f} |")
    return {"figures": figures, "statements": statements}


def keep_forecasts_ahead(app) -> int | None:
    """What the worker's periodic job does before the hour (kpi/forecasts.py, where it exists):
    every team's forecast of this hour and the next worked out and kept. None where it does not exist."""
    try:
        from callcenter.db_types import utcnow
        from callcenter.kpi import forecasts, staffing
    except ImportError:
        return None
    with app.app_context():
        return forecasts.keep_ahead(utcnow(), staffing.settings_from(app.config))


def staffing_figures(app) -> dict:
    """The panel's staffing forecast (kpi/staffing.py, where it exists) alone: with the desk's
    settings, and, when those take the measured handle time, with 600 s of work a ticket."""
    try:
        from callcenter.db_types import utcnow
        from callcenter.kpi import staffing

        settings = staffing.settings_from(app.config)
        out = {"wallboard: staffing forecast (kpi/staffing.py), all teams": (
            None, timed(lambda i: staffing.forecast(utcnow(), settings, None, 0)))}
        if keep_forecasts_ahead(app) is not None:
            out["the worker's forecasts job (kpi/forecasts.keep_ahead): this hour and the next, everybody and each team"] = (
                None, timed(lambda i: keep_forecasts_ahead(app), before=lambda: forget_snapshot(app, None, forecast=True)))
        if not settings.get("work_seconds"):
            out["the same with KPI_WORK_SECONDS_PER_TICKET=600"] = (
                None, timed(lambda i: staffing.forecast(utcnow(), {**settings, "work_seconds": 600}, None, 0)))
        return out
    except (ImportError, AttributeError, TypeError, KeyError) as e:
        print(f"staffing forecast not measured: {e!r}")
        return {}


def _print_figures(phase: str, figures: dict) -> None:
    print(f"\n### {phase}\n")
    print("| measure | target | median | p95 | max | runs |\n|---|---|---|---|---|---|")
    for name, (target, samples) in figures.items():
        med, p95 = statistics.median(samples), pct(samples, 95)
        mark = "" if target is None else (" (met)" if p95 < target else " (missed)")
        t = "—" if target is None else f"< {target:,.0f} ms{mark}"
        print(f"| {name} | {t} | {med:.1f} ms | {p95:.1f} ms | {max(samples):.1f} ms | {len(samples)} |")


def missed(result: dict) -> list[str]:
    """Statement lists to explain: those of a measure whose p95 missed its target."""
    out = []
    f = result["figures"]
    if any(t and pct(s, 95) >= t for name, (t, s) in f.items() if "wallboard" in name):
        out += ["summary of today, all teams", f"summary of today, team {TEAM}", "sla_board, all teams",
                f"sla_board, team {TEAM}", "GET /wallboard/panel, all teams, computed"]
    if any(t and pct(s, 95) >= t for name, (t, s) in f.items() if "30-day" in name):
        out += ["30-day report, all teams", f"30-day report, team {TEAM}"]
    return out


def explain_slowest(db, result: dict, names: list[str], phase: str, only: set | None = None,
                    printed: set | None = None) -> set:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of each list (those taking 10 % of
    the list's total or more, at most three), or of the (list, label) pairs in `only`; a
    statement already in `printed` (labels) is not explained twice. Returns what it explained."""
    done = set()
    printed = set() if printed is None else printed
    for name in names:
        rows = result["statements"][name]
        total = sum(r["ms"] for r in rows)
        if only is not None:
            chosen = [r for r in rows if (name, r["label"]) in only]
        else:
            chosen = sorted((r for r in rows if r["ms"] >= 0.1 * total), key=lambda r: -r["ms"])[:3]
        for row in chosen:
            key = (row["label"], "30-day" in name)  # the same statement over a day and over 30 days differ
            if key in printed:
                continue
            printed.add(key)
            print(f"\nEXPLAIN (ANALYZE, BUFFERS), {name}: {row['label']} ({row['ms']:.1f} ms, {phase})\n")
            print(row["statement"])
            print(f"-- parameters: {row['parameters']}\n")
            print(explain(db, row["statement"], row["parameters"]))
            print("\n-- the generic plan (a prepared statement after its 5th execution), the same parameters:\n")
            print(explain_generic(db, row["statement"], row["parameters"]))
            done.add((name, row["label"]))
    return done


# ---------------------------------------------------------------- the recount

RECOUNT_TICKETS = """
SELECT count(*) FILTER (WHERE answered_at >= :s AND answered_at < :e) AS answered,
       count(*) FILTER (WHERE answered_at >= :s AND answered_at < :e AND queue_wait_seconds <= :threshold)
           AS answered_within_threshold,
       coalesce(sum(queue_wait_seconds) FILTER (WHERE answered_at >= :s AND answered_at < :e), 0) AS wait_sum,
       count(*) FILTER (WHERE answered_at IS NULL AND queue_wait_seconds IS NOT NULL
                          AND cancelled_at >= :s AND cancelled_at < :e) AS abandoned,
       count(*) FILTER (WHERE answered_at IS NULL AND queue_wait_seconds IS NOT NULL
                          AND cancelled_at >= :s AND cancelled_at < :e AND queue_wait_seconds < :short)
           AS short_abandoned,
       count(*) FILTER (WHERE status IN ('resolved', 'closed') AND resolved_at >= :s AND resolved_at < :e) AS resolved,
       count(*) FILTER (WHERE status IN ('resolved', 'closed') AND resolved_at >= :s AND resolved_at < :e
                          AND reopen_count = 0 AND agent_replies <= 1) AS resolved_first_contact,
       count(*) FILTER (WHERE created_at >= :s AND created_at < :e AND reopen_count > 0) AS reopened,
       count(*) FILTER (WHERE created_at >= :s AND created_at < :e
                          AND (resolved_at IS NOT NULL OR reopen_count > 0)) AS ever_resolved,
       count(*) FILTER (WHERE status IN ('new', 'assigned', 'in_progress', 'pending_customer')) AS backlog
FROM tickets WHERE (CAST(:team AS integer) IS NULL OR team_id = :team)"""
RECOUNT_CLOCKS = """
SELECT count(*) AS sla_clocks_decided, count(*) FILTER (WHERE c.state = 'breached') AS sla_clocks_breached
FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
WHERE c.state IN ('met', 'breached') AND c.decided_at >= :s AND c.decided_at < :e
  AND (CAST(:team AS integer) IS NULL OR t.team_id = :team)"""
RECOUNT_SURVEYS = """
SELECT count(*) AS surveys_answered FROM surveys v JOIN tickets t ON t.id = v.ticket_id
WHERE v.answered_at >= :s AND v.answered_at < :e AND (CAST(:team AS integer) IS NULL OR t.team_id = :team)"""
RECOUNT_CALLBACKS = """
SELECT count(*) FILTER (WHERE status = 'completed') AS callbacks_reached,
       count(*) FILTER (WHERE status = 'unreachable') AS callbacks_unreachable
FROM followups WHERE kind = 'callback' AND closed_at >= :s AND closed_at < :e
  AND (CAST(:team AS integer) IS NULL OR team_id = :team)"""


def recount(db, start, end, team_id, rules) -> dict:
    from sqlalchemy import text

    p = {"s": start, "e": end, "team": team_id, "threshold": rules.threshold_seconds,
         "short": rules.short_abandon_seconds}
    out = {}
    for sql in (RECOUNT_TICKETS, RECOUNT_CLOCKS, RECOUNT_SURVEYS, RECOUNT_CALLBACKS):
        out.update(db.session.execute(text(sql), p).mappings().one())
    db.session.rollback()
    out = {k: int(v) for k, v in out.items()}
    # The service level and the speed of answer, by docs/KPIS.md's defaults (abandons count, short ones not).
    counted = out["answered"] + out["abandoned"] - out["short_abandoned"]
    out["service_level"] = round(out["answered_within_threshold"] / counted, 4) if counted else None
    out["asa_seconds"] = round(out["wait_sum"] / out["answered"], 1) if out["answered"] else None
    return out


def check_recount(app, db, actor, loaded) -> bool:
    from sqlalchemy import select

    from callcenter.auth.models import Team
    from callcenter.db_types import utcnow
    from callcenter.kpi import formulas
    from callcenter.kpi.summary import summary

    tz = app.config["DISPLAY_TIMEZONE"]
    rules = formulas.rules_from(app.config)
    default_rules = (rules.count_abandons, rules.count_short_abandons) == (True, False)
    team_id = db.session.scalar(select(Team.id).where(Team.name == TEAM))
    agree, unchecked = True, set()
    print("\n| period | team | answered | within | abandoned | short | resolved | FCR | reopened | SLA decided "
          "| breached | surveys | reached | unreachable | backlog | agrees |\n" + "|---" * 16 + "|")
    for period in ("today", "30 days"):
        for team, tid in ((None, None), (TEAM, team_id)):
            now = utcnow()
            start = formulas.start_of_local_day(now, tz) if period == "today" else now - timedelta(days=30)
            s = summary(actor, start, now, now, rules, team=team)
            db.session.rollback()
            mine = recount(db, s["start"], s["end"], tid, rules)
            theirs = {**s["counts"], "backlog": s["backlog"]}
            wrong = [k for k in theirs if k in mine and theirs[k] != mine[k]]
            unchecked |= {k for k in theirs if k not in mine}
            if default_rules:
                wrong += [k for k in ("service_level", "asa_seconds") if s[k] != mine[k]]
            if team is None and mine["backlog"] != loaded.open_tickets:
                wrong.append(f"backlog (loaded {loaded.open_tickets})")
            c = s["counts"]
            print(f"| {period} | {team or 'all'} | {c['answered']:,} | {c['answered_within_threshold']:,} "
                  f"| {c['abandoned']:,} | {c['short_abandoned']:,} | {c['resolved']:,} | {c['resolved_first_contact']:,} "
                  f"| {c['reopened']:,} | {c['sla_clocks_decided']:,} | {c['sla_clocks_breached']:,} "
                  f"| {c['surveys_answered']:,} | {c['callbacks_reached']:,} | {c['callbacks_unreachable']:,} "
                  f"| {s['backlog']:,} | {'yes' if not wrong else 'NO: ' + ', '.join(wrong)} |")
            if wrong:
                agree = False
                print(f"  summary: {theirs}\n  recount: {mine}")
    if unchecked:
        print(f"counts of the summary this script does not recount: {', '.join(sorted(unchecked))}")
    return agree


def print_new_indexes(db) -> None:
    from sqlalchemy import text

    rows = db.session.execute(text(
        "SELECT c.relname, t.relname, pg_relation_size(c.oid) FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid "
        "JOIN pg_class t ON t.oid = x.indrelid WHERE c.relname = ANY(:names) ORDER BY c.relname"),
        {"names": list(NEW_INDEXES)}).all()
    db.session.rollback()
    for name, table, size in rows:
        print(f"  index {name} on {table}: {size / 1048576:.1f} MiB")


# ---------------------------------------------------------------- main

def settle_heap() -> None:
    """What wsgi.py does once the app is built (callcenter/heap.py, where it exists): the
    start-up heap frozen, so a full collection in the middle of a measure does not walk it."""
    try:
        from callcenter import heap
    except ImportError:
        return
    heap.settle()


def main() -> int:
    database_url, _ = bench_urls()
    ensure_database(database_url)

    import _kpi_load
    import _summary
    from sqlalchemy import text

    from callcenter import create_app
    from callcenter.actors import Actor
    from callcenter.auth.models import User
    from callcenter.db_types import utcnow
    from callcenter.extensions import db

    began = time.perf_counter()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://")})
    with app.app_context():
        t0 = time.perf_counter()
        rebuild_schema(db, BASE_REVISION)
        print(f"schema: migrations up to {BASE_REVISION} in {time.perf_counter() - t0:.1f} s")
        print(f"loading {TICKETS:,} tickets over {DAYS} days (COPY) ...")
        loaded = _kpi_load.load(db, TICKETS, DAYS, utcnow(), app.config["DISPLAY_TIMEZONE"], vacuum=VACUUM)
        print("\n| table | rows |\n|---|---|")
        for table, n in loaded.rows.items():
            print(f"| {table} | {n:,} |")
        sec = loaded.seconds
        print(f"\nload: {sec['total']:.1f} s in all (COPY {sec['copy']:.1f} s, indexes rebuilt in {sec['indexes']:.1f} s, "
              f"{'VACUUM (ANALYZE)' if VACUUM else 'ANALYZE'} {sec['analyze']:.1f} s, the rest generating the rows); "
              f"{loaded.open_tickets:,} open, {loaded.waiting:,} of them waiting")

        user = db.session.scalar(db.select(User).where(User.email == loaded.supervisor_email))
        actor = Actor.of_user(user)
        db.session.rollback()
        web = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
        with web.app_context():
            web_engine = db.engine
        if SETTLE:
            settle_heap()
        log = StatementLog(db.engine, web_engine)
        head = head_revision()
        results, explained = [], set()
        phases = []
        if BEFORE and head != BASE_REVISION:
            phases.append(f"before: schema at {BASE_REVISION}")
        phases.append(f"after: migrations to {head} (0012, 0015, 0016 and 0017: the figures' indexes)" if head != BASE_REVISION
                      else f"schema at {head}")
        agree = True
        for phase in phases:
            if phase.startswith("after") or not BEFORE:
                t0 = time.perf_counter()
                from flask_migrate import upgrade

                upgrade()
                db.session.execute(text("ANALYZE"))
                db.session.commit()
                print(f"\nmigrations {BASE_REVISION} -> {head} on the loaded data, then ANALYZE: "
                      f"{time.perf_counter() - t0:.1f} s")
                print_new_indexes(db)
            result = measure_phase(app, web, db, log, actor, loaded, phase)
            results.append((phase, result))
            names = list(result["statements"]) if EXPLAIN == "1" else missed(result) if EXPLAIN == "auto" else []
            printed: set = set()
            if explained and EXPLAIN != "0":  # the statements explained before, again, to compare the plans
                explain_slowest(db, result, sorted({n for n, _ in explained}), phase, only=explained, printed=printed)
            if names:
                explained |= explain_slowest(db, result, names, phase, printed=printed)
            print("\nrecount (summary's counts against plain SQL):")
            agree = check_recount(app, db, actor, loaded) and agree
        if len(results) == 2:
            print("\n### before and after\n")
            print(f"| measure | target | {results[0][0]}: median / p95 / max | {results[1][0]}: median / p95 / max |")
            print("|---|---|---|---|")
            for name, (target, before) in results[0][1]["figures"].items():
                after = results[1][1]["figures"][name][1]
                t = "—" if target is None else f"< {target:,.0f} ms"
                print(f"| {name} | {t} | " + " | ".join(
                    f"{statistics.median(s):.1f} / {pct(s, 95):.1f} / {max(s):.1f} ms" for s in (before, after)) + " |")
        print(f"\nrecount agrees: {'yes' if agree else 'no'}")
        print(f"total run: {time.perf_counter() - began:.0f} s")
        _summary.report("kpi", summary_rows(results[-1][1]["figures"], loaded, agree))
    return 0 if agree else 1


def summary_rows(figures: dict, loaded, agree: bool) -> list[tuple[str, str, str, bool | None]]:
    """The headline figures of the last phase measured (at the head), each judged by its p95 as
    _print_figures does, and how many of the measures with a target met it."""
    def row(name: str, what: str):
        target, samples = figures[name]
        p95 = pct(samples, 95)
        return (what, f"median {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms",
                f"p95 < {target:,.0f} ms", p95 < target)

    targeted = [(t, s) for t, s in figures.values() if t is not None]
    met = sum(1 for t, s in targeted if pct(s, 95) < t)
    return [
        ("data loaded", f"{loaded.rows.get('tickets', TICKETS):,} tickets over {DAYS} days, load {loaded.seconds['total']:.0f} s",
         "", None),
        row("wallboard refresh (sla_board + today), all teams", "wallboard refresh (sla_board + today), all teams"),
        row("GET /wallboard/panel, all teams, computed (no shared snapshot)", "GET /wallboard/panel, all teams, computed"),
        row(f"GET /wallboard/panel?team={TEAM}, first redraw of an hour (forecast kept ahead by the worker)",
            f"GET /wallboard/panel?team={TEAM}, first redraw of an hour"),
        row("30-day report, all teams", "30-day report, all teams"),
        row(next(n for n in figures if n.startswith("30-day report, one team (")), "30-day report, one team"),
        ("every measure with a target (p95)", f"{met} of {len(targeted)} met", "all", met == len(targeted)),
        ("recount (summary against plain SQL)", "agrees" if agree else "DIFFERS", "agrees", agree),
    ]


if __name__ == "__main__":
    sys.exit(main())

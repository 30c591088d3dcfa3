"""Every benchmark under benchmarks/, one after another, then one table of their headline figures.

    make bench                                        # .venv/bin/python benchmarks/run_all.py
    BENCH_QUICK=1 make bench                          # smaller sizes, for a quick look
    BENCH_ONLY=routing,sla make bench                 # a subset (always in the order below)

It runs routing, sla, followups, push, kpi, intake, soak and memory, each as `python
benchmarks/<name>.py` from the repository's root with its whole output in <name>.log under a
temporary directory, and prints a line for each (seconds taken, exit code, log). Each script
hands its headline figures to benchmarks/_summary.py, which appends them to the file named by
BENCH_SUMMARY; the table has those rows, against the targets of the script's docstring. A
benchmark that exits non-zero or gives no figures shows as FAILED with its log. It exits 1 when
one failed; a missed target is reported, not an error.

Each benchmark rebuilds its database and flushes its Redis db, so each runs on its own: routing
and sla on PostgreSQL `bench` and Redis db 1 (set here: on their own they fall back to SQLite);
the others on their scripts' defaults (followups `bench`, push `bench_push` and db 3, kpi
`bench_kpi` and db 5, intake `bench_intake*` and db 4, soak `bench_soak` and db 8, memory
`bench_memory` and db 2), all on the PostgreSQL and Redis at 127.0.0.1. A database a script
does not create itself is created here when missing. DATABASE_URL and REDIS_URL from the
calling shell are not passed on, so that the desk's own database is never rebuilt; run a script
directly to point it elsewhere.

BENCH_QUICK=1 sets each script's knobs for smaller runs (below, QUICK), unless already set in
the environment. The whole run takes about two hours (soak and memory about 30 minutes each);
quick, about 17.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1"

ORDER = ("routing", "sla", "followups", "push", "kpi", "intake", "soak", "memory")
# What run_all sets for a benchmark (on top of the environment, DATABASE_URL and REDIS_URL removed).
ENV = {
    "routing": {"DATABASE_URL": f"{POSTGRES}/bench", "REDIS_URL": "redis://127.0.0.1:6379/1"},
    "sla": {"DATABASE_URL": f"{POSTGRES}/bench", "REDIS_URL": "redis://127.0.0.1:6379/1"},
}
# Databases the script expects to exist (its own default) and does not create.
DATABASES = {"routing": "bench", "sla": "bench", "push": "bench_push", "soak": "bench_soak"}
QUICK = {
    "routing": {},  # no knobs: it is quick already
    "sla": {"SLA_BENCH_TICKETS": "20000", "SLA_BENCH_TIMED": "200"},
    "followups": {"FOLLOWUP_BENCH_ROWS": "20000", "FOLLOWUP_BENCH_PASSES": "10", "FOLLOWUP_BENCH_TIMED": "100"},
    "push": {"PUSH_CLIENTS": "100", "PUSH_EVENTS": "20", "PUSH_ROUNDS": "1"},
    "kpi": {"KPI_TICKETS": "50000", "KPI_BEFORE": "0", "KPI_RUNS": "10"},
    "intake": {"INTAKE_QUICK": "1"},
    "soak": {"SOAK_SECONDS": "120", "SOAK_RATE": "5"},
    "memory": {"MEMORY_TICKETS": "5000", "MEMORY_SAMPLE": "20"},
}


def chosen() -> list[str]:
    only = [n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()]
    unknown = sorted(set(only) - set(ORDER))
    if unknown:
        raise SystemExit(f"BENCH_ONLY: no benchmark {', '.join(unknown)} (there are {', '.join(ORDER)})")
    return [n for n in ORDER if not only or n in only]


def ensure_database(name: str) -> None:
    """CREATE DATABASE when it is missing; a failure is left for the benchmark to report."""
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")
    except Exception as e:  # noqa: BLE001 - reported; the benchmark's own error says more
        print(f"could not check or create database {name}: {e}")


def environment(name: str, quick: bool, summary: Path) -> tuple[dict[str, str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "BENCH_SUMMARY")}
    env.update(ENV.get(name, {}))
    knobs = {}
    if quick:
        knobs = {k: env.setdefault(k, v) for k, v in QUICK[name].items()}
    env["BENCH_SUMMARY"] = str(summary)
    env["PYTHONUNBUFFERED"] = "1"  # the log fills as it runs: tail -f it
    return env, knobs


def run(name: str, env: dict[str, str], log: Path) -> tuple[int, bool]:
    """Exit code, and whether it was interrupted (Ctrl-C reaches the benchmark too; it cleans up)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, f"benchmarks/{name}.py"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            return proc.wait(), False
        except KeyboardInterrupt:
            try:
                return proc.wait(timeout=90), True
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                proc.terminate()
                try:
                    return proc.wait(timeout=30), True
                except subprocess.TimeoutExpired:
                    proc.kill()
                    return proc.wait(), True


def summaries(summary: Path, log: Path) -> list[dict]:
    """The rows the benchmark reported: from its BENCH_SUMMARY file, else its SUMMARY lines."""
    lines = summary.read_text(encoding="utf-8").splitlines() if summary.exists() else []
    if not lines and log.exists():
        lines = [line[len("SUMMARY "):] for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                 if line.startswith("SUMMARY {")]
    rows = []
    for line in lines:
        try:
            rows += json.loads(line)["rows"]
        except (ValueError, KeyError, TypeError):
            continue
    return rows


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ") or "—"


def machine(label: str) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    return f"{label}: {date}, load average {load}"


def main() -> int:
    names = chosen()
    quick = os.environ.get("BENCH_QUICK") == "1"
    logs = Path(tempfile.mkdtemp(prefix="cc-bench-run-"))
    began_at = machine("started")
    began = time.perf_counter()
    print(f"{len(names)} benchmark(s){' (BENCH_QUICK=1)' if quick else ''}: {', '.join(names)}; logs in {logs}",
          flush=True)
    for name in dict.fromkeys(DATABASES[n] for n in names if n in DATABASES):
        ensure_database(name)
    table: list[tuple[str, str, str, str, str]] = []
    failed = 0
    for name in names:
        log, summary = logs / f"{name}.log", logs / f"{name}.summary.jsonl"
        env, knobs = environment(name, quick, summary)
        shown = " ".join(f"{k}={v}" for k, v in knobs.items())
        print(f"{name:<10} {shown}".rstrip() + " ...", end="", flush=True)
        t0 = time.perf_counter()
        rc, interrupted = run(name, env, log)
        print(f" {time.perf_counter() - t0:.0f} s, exit {rc}{', interrupted' if interrupted else ''}, log {log}",
              flush=True)
        rows = summaries(summary, log)
        for r in rows:
            met = r.get("met")
            table.append((name, r.get("what", ""), r.get("figure", ""), r.get("target", ""),
                          "—" if met is None else "yes" if met else "NO"))
        if rc != 0 or not rows:
            failed += 1
            why = f"exit {rc}" if rc != 0 else "no summary"
            if rc != 0 and not rows:
                why += ", no summary"
            table.append((name, "run", f"FAILED ({why}), log {log}", "exit 0 with a summary", "NO"))
        if interrupted:
            print("interrupted: the rest are not run")
            break

    print()
    print(f"machine: {os.cpu_count()} CPUs; {began_at}; {machine('finished')}; "
          f"{(time.perf_counter() - began) / 60:.1f} minutes in all")
    print()
    print("| benchmark | what | figure | target | met |")
    print("|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(cell(c) for c in row) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

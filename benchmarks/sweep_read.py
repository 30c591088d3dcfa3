"""What the routing sweep reads of a long queue: the waiting tickets as the engine sees them
(routing/service.waiting_facts) and their recorded waiting reasons (recorded_reasons), timed
and, once more, traced for their peak memory (tracemalloc, which slows the run: its times are
not the figures).

It runs on the million tickets benchmarks/kpi.py loads into `bench_kpi` (run that first): inside
one transaction it puts SWEEP_WAITING (18,000, the soak's queue at its end) of the closed
tickets back in the queue, measures SWEEP_RUNS times, and rolls back: the data is left as found.

    .venv/bin/python benchmarks/kpi.py          # once: loads bench_kpi
    .venv/bin/python benchmarks/sweep_read.py
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CALLCENTER_INSTANCE", tempfile.mkdtemp(prefix="cc-bench-sweep-"))

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1/bench_kpi")
WAITING = int(os.environ.get("SWEEP_WAITING", "18000"))
RUNS = int(os.environ.get("SWEEP_RUNS", "5"))


def read_once(routing) -> tuple[int, int, float, float]:
    t0 = time.perf_counter()
    facts = routing.waiting_facts()
    t1 = time.perf_counter()
    reasons = routing.recorded_reasons()
    t2 = time.perf_counter()
    return len(facts), len(reasons), (t1 - t0) * 1000, (t2 - t1) * 1000


def main() -> int:
    from sqlalchemy import text

    from callcenter import create_app
    from callcenter.extensions import db
    from callcenter.routing import service as routing

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": DATABASE_URL.replace("postgresql://", "postgresql+psycopg://")})
    with app.app_context():
        closed = db.session.scalar(text("SELECT count(*) FROM tickets WHERE status = 'closed'"))
        if closed is None or closed < WAITING:
            raise SystemExit(f"bench_kpi holds {closed or 0:,} closed tickets, fewer than {WAITING:,}: "
                             "run benchmarks/kpi.py first")
        db.session.execute(text(
            "UPDATE tickets SET status = 'new', assignee_id = NULL, waiting_since = created_at WHERE id IN "
            "(SELECT id FROM tickets WHERE status = 'closed' ORDER BY id DESC LIMIT :n)"), {"n": WAITING})
        waiting, _, _, _ = read_once(routing)  # warm
        facts_ms, reasons_ms = [], []
        for _ in range(RUNS):
            _, _, f, r = read_once(routing)
            facts_ms.append(f)
            reasons_ms.append(r)
        tracemalloc.start()
        read_once(routing)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.rollback()
    print(f"{waiting:,} waiting tickets (of {WAITING:,} put back in the queue), {RUNS} runs:")
    print(f"  waiting_facts     median {statistics.median(facts_ms):7.1f} ms  max {max(facts_ms):7.1f} ms")
    print(f"  recorded_reasons  median {statistics.median(reasons_ms):7.1f} ms  max {max(reasons_ms):7.1f} ms")
    print(f"  peak traced memory of one read of both: {peak / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

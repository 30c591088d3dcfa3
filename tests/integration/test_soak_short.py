"""A short soak (benchmarks/soak.py; 30 minutes by hand, docs/PERFORMANCE.md): tickets at a
steady rate against the app under gunicorn with a real worker, every SLA timer falling due
meanwhile. Every warning and breach due fires, none early, none twice; the lateness and the
memory are printed, not asserted (the machines are noisy)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def _own_database(app, tmp_path) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'soak.db'}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'test_soak'")).scalar():
            conn.execute(text("CREATE DATABASE test_soak"))
    engine.dispose()
    return re.sub(r"/[^/]+$", "/test_soak", url).replace("postgresql+psycopg://", "postgresql://")


def test_a_short_soak_fires_every_timer_once_and_none_early(app, tmp_path):
    out = tmp_path / "soak.json"
    # The worker's own Redis database (the soak flushes it first; this test's app needs nothing
    # kept there). A fixed one collided: under pytest-xdist db 9 is the second worker's, whose
    # tests flush it, and the soak's timers went with it.
    env = {**os.environ, "DATABASE_URL": _own_database(app, tmp_path),
           "REDIS_URL": app.config["REDIS_URL"], "SOAK_SECONDS": "20", "SOAK_RATE": "3",
           "SOAK_TARGET": "6", "SOAK_SAMPLE": "5", "SOAK_JSON": str(out), "CALLCENTER_INSTANCE": str(tmp_path)}
    done = subprocess.run([sys.executable, "benchmarks/soak.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    print(done.stdout[-3000:])
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["sent"] == 60 and result["failed"] == 0, result
    assert result["timers_due"] >= 2 * 50 and result["fired"] == result["timers_due"], result  # none missed
    assert result["missed"] == 0 and result["early"] == 0, result
    assert done.returncode == 0, done.stdout[-2000:]

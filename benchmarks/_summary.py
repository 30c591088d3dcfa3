"""A benchmark's headline figures in one machine-readable line, for benchmarks/run_all.py.

    _summary.report("routing", [("decide, 1,000 agents", "p99 0.41 ms", "< 5 ms", True), ...])

Each row is (what, the figure as measured and printed, the target, met: True, False or None when
there is no target). It prints `SUMMARY <json>` on stdout and, when BENCH_SUMMARY names a file,
appends the same JSON object there as one line: {"bench": ..., "rows": [{"what", "figure",
"target", "met"}, ...]}.
"""
from __future__ import annotations

import json
import os


def report(bench: str, rows: list[tuple[str, str, str, bool | None]]) -> None:
    record = {"bench": bench, "rows": [
        {"what": str(what), "figure": str(figure), "target": str(target), "met": None if met is None else bool(met)}
        for what, figure, target, met in rows]}
    line = json.dumps(record, ensure_ascii=False)
    print(f"SUMMARY {line}", flush=True)
    path = os.environ.get("BENCH_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

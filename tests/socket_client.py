"""A Socket.IO console client signed in like a browser, for tests."""
from __future__ import annotations

import queue
import time

import requests
import socketio as sio_lib

from tests.factories import PASSWORD, csrf_from


def _session_cookie(live_server, email: str) -> str:
    s = requests.Session()
    token = csrf_from(s.get(f"{live_server.url}/login").text)
    r = s.post(f"{live_server.url}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
               allow_redirects=False)
    assert r.status_code == 302, r.text
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


class Listener:
    """A console client that records every event it hears."""

    def __init__(self, live_server, email: str | None, transports: tuple[str, ...] = ("websocket",)):
        """transports=("polling", "websocket") connects as a browser does: long-polling first,
        then the upgrade, every request of which must reach the same web process."""
        self.events: queue.Queue = queue.Queue()
        self.client = sio_lib.Client(reconnection=False)
        self.client.on("*", lambda event, data: self.events.put((event, data)), namespace="/console")
        headers = {"Cookie": _session_cookie(live_server, email)} if email else {}
        self.client.connect(live_server.url, namespaces=["/console"], headers=headers, transports=list(transports),
                            wait_timeout=5)

    def collect(self, seconds: float = 1.5) -> list[tuple[str, dict]]:
        out, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                out.append(self.events.get(timeout=0.1))
            except queue.Empty:
                pass
        return out

    def close(self):
        self.client.disconnect()

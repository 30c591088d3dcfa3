"""The ceiling for benchmarks/push.py: Flask-SocketIO alone, on the app's stack, emitting a fixed payload.

The same stack as the app's web process: gunicorn gthread, Flask-SocketIO in threading mode on
simple-websocket, a Redis message queue (its own channel, so the app's servers never hear it).
A client joins the `supervisors` room on /console and is greeted with `hello`, as the app's
console is. Two ways to cause an event, like the app's two:

- POST /emit/<i>: a request emits the payload (the app: an API call changes a ticket);
- the RQ job `_push_bare_app.job(i)` emits it from a worker through the message queue (the
  app: a worker job changes a ticket).

    REDIS_URL=redis://127.0.0.1:6379/3 gunicorn -k gthread --threads 600 -w 1 --chdir benchmarks _push_bare_app:app
    REDIS_URL=... rq worker -w rq.worker.SimpleWorker --url $REDIS_URL bench-push-bare   # PYTHONPATH=benchmarks
"""
from __future__ import annotations

import os

from flask import Flask
from flask_socketio import Namespace, SocketIO, emit, join_room

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")
CHANNEL = "bench-push-bare"
NAMESPACE = "/console"
QUEUE = "bench-push-bare"
# About the size and shape of the app's ticket.updated (console/rooms.py ticket_summary).
PAYLOAD = {"ticket_id": 0, "reference": "C-20261201-0001", "change": "fields", "status": "new",
           "priority": "P3", "assignee_id": None, "team_id": None, "subject": "bench push fixed payload",
           "updated_at": "2026-12-01T00:00:00+00:00"}

app = Flask(__name__)
socketio = SocketIO(app, message_queue=REDIS_URL, channel=CHANNEL, async_mode="threading", manage_session=False)


class Console(Namespace):
    def on_connect(self, auth=None):
        join_room("supervisors")
        emit("hello", {"seq": 0})

    def on_console_alive(self, data=None):
        pass


socketio.on_namespace(Console(NAMESPACE))


@app.post("/emit/<int:i>")
def emit_fixed(i: int):
    socketio.emit("ticket.updated", dict(PAYLOAD, marker=i, seq=i), to="supervisors", namespace=NAMESPACE)
    return "", 204


@app.get("/healthz")
def healthz():
    return "ok"


_emitter: SocketIO | None = None


def job(i: int) -> None:
    """The worker path: an emit from outside the web process, through the message queue."""
    global _emitter
    if _emitter is None:
        _emitter = SocketIO(message_queue=REDIS_URL, channel=CHANNEL)
    _emitter.emit("ticket.updated", dict(PAYLOAD, marker=i, seq=i), to="supervisors", namespace=NAMESPACE)

"""`make run`: the whole service on one machine, on the embedded defaults.

Starts an embedded Redis when REDIS_URL is unset, migrates, seeds the demo once, starts an
RQ worker process beside the web server, and stops all of it on Ctrl-C.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import redis
from rq import Queue
from rq.registry import StartedJobRegistry

from . import embedded_redis

SETTLE_AT_MOST_SECONDS = 30.0


def _stop_on_sigterm(_signum, _frame):
    raise KeyboardInterrupt  # the same orderly shutdown as Ctrl-C


def _worker_settled(app, worker: subprocess.Popen) -> None:
    """Wait (a while at most) until the worker has emptied the queues and finished what it
    started: on the first run it prints the demo's messages, and those go before the logins."""
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    names = app.config["RQ_QUEUES"]
    deadline, idle = time.monotonic() + SETTLE_AT_MOST_SECONDS, 0
    while time.monotonic() < deadline and worker.poll() is None and idle < 2:  # twice: a job between the two
        busy = any(Queue(name, connection=connection).count or StartedJobRegistry(name, connection=connection).count
                   for name in names)
        idle = 0 if busy else idle + 1
        time.sleep(0.2)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if not os.environ.get("REDIS_URL"):
        embedded_redis.ensure_url()  # sets REDIS_URL for this process and the worker
    # Imported once REDIS_URL is set: the settings read the environment when first imported.
    from flask_migrate import upgrade

    from . import create_app, demo, heap
    from .extensions import socketio

    app = create_app()
    with app.app_context():
        upgrade()
        if demo.seed():
            print("Demo data loaded.")
    # A quiet worker (RQ's own lines from warnings up; mails and what the sweeps did still
    # print), settled before the logins are printed so that nothing pushes them away.
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--quiet"],
                              env=os.environ.copy())
    _worker_settled(app, worker)
    with app.app_context():
        demo.print_logins()
    heap.settle()
    port = int(os.environ.get("PORT", "5000"))
    print(f"Callcenter on http://127.0.0.1:{port}  (customer form: /submit, staff: /login)  Ctrl-C stops it.",
          flush=True)
    try:
        socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=port, allow_unsafe_werkzeug=True,
                     use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        embedded_redis.stop()
        print("Stopped the web server, the worker and the embedded Redis.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

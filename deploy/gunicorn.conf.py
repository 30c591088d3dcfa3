"""gunicorn's settings for a Callcenter web process (docs/OPERATIONS.md):

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

One process with many threads: in Flask-SocketIO's threading mode each open console holds a
thread for its life, and a client's Socket.IO requests must all reach the same process, so run
more processes as more gunicorns behind a load balancer with sticky sessions (deploy/nginx.conf),
not as gunicorn workers. Environment: BIND (0.0.0.0:8000), WEB_THREADS (600: the consoles a
process serves plus about 100 for requests), PROMETHEUS_MULTIPROC_DIR (callcenter/metrics.py)."""
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = 1
threads = int(os.environ.get("WEB_THREADS", "600"))
graceful_timeout = 10
accesslog = "-"


def child_exit(server, worker):
    """A finished process's live gauges leave /metrics (prometheus-client's multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

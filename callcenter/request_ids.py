"""One id per request, carried into the jobs the request causes, and JSON log lines that carry it.

A request takes the id its client or proxy sent in X-Request-ID (when it looks like one: up to
64 letters, digits, '-', '_' or '.'), or a new one; the response says it back. Jobs enqueued
while it runs keep it in their meta (events.py), and the worker sets it again while the job runs
(worker.py), so one grep finds a request and every job it set off. With LOG_FORMAT=json every
log line is one JSON object: time, level, logger, message, request_id, job_id, and the
exception when there is one."""
from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import g, has_request_context, request

_request_id: ContextVar[str | None] = ContextVar("callcenter_request_id", default=None)
_job_id: ContextVar[str | None] = ContextVar("callcenter_job_id", default=None)
HEADER = "X-Request-ID"
_GOOD = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current() -> str | None:
    """The id of the request (or of the request that caused the running job)."""
    if has_request_context():
        return g.get("request_id")
    return _request_id.get()


def running_job(request_id: str | None, job_id: str | None):
    """Set while a job runs (worker.py); returns the tokens to pass to finished()."""
    return _request_id.set(request_id), _job_id.set(job_id)


def finished(tokens) -> None:
    _request_id.reset(tokens[0])
    _job_id.reset(tokens[1])


def _begin() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if _GOOD.fullmatch(given) else uuid.uuid4().hex


def _end(response):
    if g.get("request_id"):
        response.headers[HEADER] = g.request_id
    return response


class JsonLines(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                "request_id": current(), "job_id": _job_id.get()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def json_logging(app_logger: logging.Logger) -> None:
    """One handler, on the root, writing JSON lines to stderr with private links redacted; the
    app's own lines reach it by propagation (Flask's default handler would print them twice)."""
    from flask.logging import default_handler

    from .log_redaction import RedactPrivateLinks

    app_logger.removeHandler(default_handler)
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonLines) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonLines())
        handler.addFilter(RedactPrivateLinks())  # a logger's filter misses its children's records
        root.addHandler(handler)


def register(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)  # first of all: a 429 has its id too
    app.after_request(_end)
    if app.config.get("LOG_FORMAT") == "json":
        json_logging(app.logger)

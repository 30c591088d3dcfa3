"""Running RQ jobs inside the application.

Jobs take ids, re-read state and act only if it still calls for it. Each job runs in a fresh
app context, so it gets its own database session, whichever worker class executes it.
"""
from __future__ import annotations

import functools

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def bind(app: Flask) -> None:
    """create_app() hands over the app jobs run in when no app context is active: a forking
    worker's work horse inherits it from `flask worker`, which built it."""
    global _app
    _app = app


def _application() -> Flask:
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        raise RuntimeError("no application to run this job in: start workers with `flask --app wsgi worker`")
    return _app


def app_job(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _application().app_context():
            return fn(*args, **kwargs)

    return wrapper

"""Running RQ jobs inside the application.

Jobs take ids, re-read state and act only if it still calls for it. Each job runs in a fresh
app context, so it gets its own database session, whichever worker class executes it.
"""
from __future__ import annotations

import functools

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def _application() -> Flask:
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from . import create_app

        _app = create_app()
    return _app


def app_job(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _application().app_context():
            return fn(*args, **kwargs)

    return wrapper

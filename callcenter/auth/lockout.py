"""An account refuses sign-in for a while after repeated failures, from whatever addresses.

Per-address limits (Flask-Limiter) stop one machine guessing; this stops many machines
guessing one account. The count lives in Redis with its expiry; if Redis is down, sign-in
goes on (the per-address limit still applies where its storage answers).
"""
from __future__ import annotations

import logging
import math

from flask import current_app

from ..extensions import redis_client

log = logging.getLogger(__name__)


def _key(email: str) -> str:
    return f"cc:login-failures:{(email or '').strip().lower()[:254]}"


def minutes_left(email: str) -> int:
    """Minutes until the account takes sign-ins again; 0 when it does now."""
    try:
        client = redis_client()
        failures = int(client.get(_key(email)) or 0)
        if failures < current_app.config["LOGIN_FAILURES_BEFORE_LOCKOUT"]:
            return 0
        return max(1, math.ceil(client.ttl(_key(email)) / 60))
    except Exception:  # noqa: BLE001 - Redis down: sign-in stays possible
        log.warning("login lock-out check skipped: Redis unavailable")
        return 0


def failed(email: str) -> None:
    try:
        pipe = redis_client().pipeline()
        pipe.incr(_key(email))
        pipe.expire(_key(email), current_app.config["LOGIN_LOCKOUT_SECONDS"])
        pipe.execute()
    except Exception:  # noqa: BLE001
        log.warning("login failure not counted: Redis unavailable")


def succeeded(email: str) -> None:
    try:
        redis_client().delete(_key(email))
    except Exception:  # noqa: BLE001
        log.warning("login failures not cleared: Redis unavailable")

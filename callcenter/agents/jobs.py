"""Presence that follows the console: away after a grace period without a console, then offline.

The timers carry the console generation they were started at (agents/consoles.py) and act
only if no console opened or closed since.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from rq import Queue

from ..actions import presence
from ..actors import SYSTEM
from ..db_types import utcnow
from ..extensions import rq_connection
from ..jobs import app_job
from .consoles import untouched_since

log = logging.getLogger(__name__)


@app_job
def away_if_gone(user_id: int, gen: int) -> str:
    """Still no console, and none opened or closed since: available becomes away (untouched
    tickets go back to the queue), and offline later."""
    if not untouched_since(user_id, gen):
        return "reconnected"
    agent = presence.set_presence(user_id, "away", SYSTEM, only_if="available")
    if agent.presence.value != "away":
        return "not-available"
    delay = timedelta(seconds=current_app.config["PRESENCE_OFFLINE_AFTER_SECONDS"])
    Queue("low", connection=rq_connection()).enqueue_in(delay, offline_if_gone, user_id, gen,
                                                        job_id=f"presence-offline-{user_id}-{gen}")
    return "away"


@app_job
def away_without_console() -> int:
    """Periodic: available agents with no console for too long become away."""
    sent = presence.away_without_console(current_app.config["PRESENCE_CONSOLELESS_AWAY_SECONDS"], utcnow())
    if sent:
        log.info("presence: %d agent(s) with no console open are away", sent)
    return sent


@app_job
def offline_if_gone(user_id: int, gen: int) -> str:
    if not untouched_since(user_id, gen):
        return "reconnected"
    agent = presence.set_presence(user_id, "offline", SYSTEM, only_if="away")
    return "offline" if agent.presence.value == "offline" else "not-away"

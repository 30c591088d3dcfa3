"""Presence that follows the console: away after a grace period without a console, then offline.

Each open or close of a console bumps a per-agent generation in Redis. A timer carries the
generation it was started at and acts only if nothing happened since, so an old timer cannot
fire during a later, brief disconnect.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import Queue

from ..actors import SYSTEM
from ..console.rooms import CONSOLE_KEY
from ..extensions import redis_client, rq_connection
from ..jobs import app_job
from . import services

GENERATION_KEY = "cc:console-gen:{user_id}"


def connected(user_id: int) -> int:
    return int(redis_client().scard(CONSOLE_KEY.format(user_id=user_id)))


def generation(user_id: int) -> int:
    return int(redis_client().get(GENERATION_KEY.format(user_id=user_id)) or 0)


def console_opened(user_id: int, sid: str) -> None:
    pipe = redis_client().pipeline()
    pipe.sadd(CONSOLE_KEY.format(user_id=user_id), sid)
    pipe.incr(GENERATION_KEY.format(user_id=user_id))
    pipe.execute()


def console_closed(user_id: int, sid: str) -> None:
    """The last console of an agent closed: check again after the grace period."""
    pipe = redis_client().pipeline()
    pipe.srem(CONSOLE_KEY.format(user_id=user_id), sid)
    pipe.incr(GENERATION_KEY.format(user_id=user_id))
    _removed, gen = pipe.execute()
    if connected(user_id) == 0:
        delay = timedelta(seconds=current_app.config["PRESENCE_AWAY_AFTER_SECONDS"])
        Queue("high", connection=rq_connection()).enqueue_in(
            delay, away_if_gone, user_id, gen, job_id=f"presence-away-{user_id}-{gen}")


def _untouched_since(user_id: int, gen: int) -> bool:
    return connected(user_id) == 0 and generation(user_id) == gen


@app_job
def away_if_gone(user_id: int, gen: int) -> str:
    """Still no console, and none opened or closed since: available becomes away (untouched
    tickets go back to the queue), and offline later."""
    if not _untouched_since(user_id, gen):
        return "reconnected"
    agent = services.set_presence(user_id, "away", SYSTEM, only_if="available")
    if agent.presence.value != "away":
        return "not-available"
    delay = timedelta(seconds=current_app.config["PRESENCE_OFFLINE_AFTER_SECONDS"])
    Queue("low", connection=rq_connection()).enqueue_in(delay, offline_if_gone, user_id, gen,
                                                        job_id=f"presence-offline-{user_id}-{gen}")
    return "away"


@app_job
def offline_if_gone(user_id: int, gen: int) -> str:
    if not _untouched_since(user_id, gen):
        return "reconnected"
    agent = services.set_presence(user_id, "offline", SYSTEM, only_if="away")
    return "offline" if agent.presence.value == "offline" else "not-away"

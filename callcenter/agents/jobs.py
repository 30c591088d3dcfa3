"""Presence that follows the console: away after a grace period without a console, then offline."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import Queue

from ..actors import SYSTEM
from ..auth.models import Presence, User
from ..extensions import db, redis_client
from ..jobs import app_job
from . import services

CONSOLE_KEY = "cc:console:{user_id}"


def connected(user_id: int) -> int:
    return int(redis_client().scard(CONSOLE_KEY.format(user_id=user_id)))


def console_opened(user_id: int, sid: str) -> None:
    redis_client().sadd(CONSOLE_KEY.format(user_id=user_id), sid)


def console_closed(user_id: int, sid: str, epoch: int) -> None:
    """The last console of an agent closed: check again after the grace period."""
    redis_client().srem(CONSOLE_KEY.format(user_id=user_id), sid)
    if connected(user_id) == 0:
        delay = timedelta(seconds=current_app.config["PRESENCE_AWAY_AFTER_SECONDS"])
        Queue("high", connection=redis_client()).enqueue_in(
            delay, away_if_gone, user_id, job_id=f"presence-away-{user_id}-{epoch}")


@app_job
def away_if_gone(user_id: int) -> str:
    """Still no console after the grace period: an available agent becomes away (their
    untouched tickets go back to the queue); later, offline."""
    if connected(user_id):
        return "reconnected"
    user = db.session.get(User, user_id)
    if user is None or user.presence is not Presence.available:
        return "not-available"
    services.set_presence(user_id, "away", SYSTEM)
    delay = timedelta(seconds=current_app.config["PRESENCE_OFFLINE_AFTER_SECONDS"])
    Queue("low", connection=redis_client()).enqueue_in(delay, offline_if_gone, user_id)
    return "away"


@app_job
def offline_if_gone(user_id: int) -> str:
    if connected(user_id):
        return "reconnected"
    user = db.session.get(User, user_id)
    if user is None or user.presence is not Presence.away:
        return "not-away"
    services.set_presence(user_id, "offline", SYSTEM)
    return "offline"

"""Which consoles an agent has open, counted in Redis, and the timer a last close starts.

Each open or close bumps a per-agent generation. The timer (agents/jobs.py) carries the
generation it was started at and acts only if nothing happened since, so an old timer cannot
fire during a later, brief disconnect.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import Queue

from ..console.rooms import CONSOLE_KEY
from ..extensions import redis_client, rq_connection

GENERATION_KEY = "cc:console-gen:{user_id}"
# Set by the presence sweep the first time it finds an available agent with no console; any
# console (opened, or its heartbeat) clears it. Its age is how long the agent has been gone,
# whether or not a console ever opened, and a flushed Redis restarts the count instead of
# sending agents with open consoles away (the heartbeat re-registers them first).
GONE_SINCE_KEY = "cc:console-gone-since:{user_id}"
HEARTBEAT_SECONDS = 20  # console.js; shorter than any away delay worth having
AWAY_JOB = "callcenter.agents.jobs.away_if_gone"  # by name: the jobs module needs the app


def connected(user_id: int) -> int:
    return int(redis_client().scard(CONSOLE_KEY.format(user_id=user_id)))


def generation(user_id: int) -> int:
    return int(redis_client().get(GENERATION_KEY.format(user_id=user_id)) or 0)


def untouched_since(user_id: int, gen: int) -> bool:
    return connected(user_id) == 0 and generation(user_id) == gen


def console_opened(user_id: int, sid: str) -> None:
    pipe = redis_client().pipeline()
    pipe.sadd(CONSOLE_KEY.format(user_id=user_id), sid)
    pipe.incr(GENERATION_KEY.format(user_id=user_id))
    pipe.delete(GONE_SINCE_KEY.format(user_id=user_id))
    pipe.execute()


def console_alive(user_id: int, sid: str) -> None:
    """A console's heartbeat: it is still open (re-registered if Redis lost it)."""
    pipe = redis_client().pipeline()
    pipe.sadd(CONSOLE_KEY.format(user_id=user_id), sid)
    pipe.delete(GONE_SINCE_KEY.format(user_id=user_id))
    pipe.execute()


def gone_for(user_id: int, now_epoch: float) -> float:
    """Seconds this agent has had no console, as the sweep has seen it (0 on first sight)."""
    if connected(user_id):
        redis_client().delete(GONE_SINCE_KEY.format(user_id=user_id))
        return 0.0
    key = GONE_SINCE_KEY.format(user_id=user_id)
    redis_client().set(key, now_epoch, nx=True, ex=7 * 86400)
    return max(0.0, now_epoch - float(redis_client().get(key) or now_epoch))


def console_closed(user_id: int, sid: str) -> None:
    """The last console of an agent closed: check again after the grace period."""
    pipe = redis_client().pipeline()
    pipe.srem(CONSOLE_KEY.format(user_id=user_id), sid)
    pipe.incr(GENERATION_KEY.format(user_id=user_id))
    _removed, gen = pipe.execute()
    if connected(user_id) == 0:
        delay = timedelta(seconds=current_app.config["PRESENCE_AWAY_AFTER_SECONDS"])
        Queue("high", connection=rq_connection()).enqueue_in(
            delay, AWAY_JOB, user_id, gen, job_id=f"presence-away-{user_id}-{gen}")

"""One computation of the wallboard's figures shared by every screen: a snapshot in Redis per
team, recomputed at most once every MIN_INTERVAL seconds however many screens redraw and
however many events arrive. A screen redrawing after an event asks for a snapshot that has
seen that event's seq: it gets the shared one if it has, or waits for the next computation
(which takes every event until then into account). So the tiles follow the events, and a
burst of events costs one recount a second, not one per event per screen."""
from __future__ import annotations

import json
import secrets
import time
from datetime import datetime
from typing import Any, Callable

from redis.exceptions import RedisError

from ..events import current_seq
from ..extensions import redis_client

MIN_INTERVAL = 1.0  # seconds between two computations of one snapshot
MAX_AGE = 5.0  # a snapshot older than this is computed again even if no event asked
LOCK_MS = 10_000
WAIT_SECONDS = 3.0  # how long a screen waits for another's computation before doing its own
KEY = "cc:wallboard:{}"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def board_name(team: str | None) -> str:
    """The snapshot of one team's board, or everybody's: a team's name cannot pass for the other."""
    return f"team:{team}" if team else "all"


def _encode(value: Any):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not kept in a snapshot")


def _decode(obj: dict):
    return datetime.fromisoformat(obj["$dt"]) if set(obj) == {"$dt"} else obj


def _read(r, key: str) -> dict | None:
    raw = r.get(key)
    return json.loads(raw, object_hook=_decode) if raw else None


def _fresh(snap: dict | None, seen_seq: int | None, now: float) -> bool:
    return snap is not None and now - snap["at"] < MAX_AGE and (seen_seq is None or snap["seq"] >= seen_seq)


def kept(name: str, ttl_seconds: float, compute: Callable[[], Any]):
    """compute()'s value kept in Redis for ttl_seconds under name: for figures that change
    slowly whatever happens now (the staffing forecast reads past weeks only). Without Redis,
    computed each time."""
    try:
        raw = redis_client().get(KEY.format(name))
    except RedisError:
        return compute()
    if raw:
        return json.loads(raw, object_hook=_decode)
    value = compute()
    try:
        keep(name, ttl_seconds, value)
    except RedisError:
        pass  # shown all the same; the next redraw works it out again
    return value


def keep(name: str, ttl_seconds: float, value: Any):
    """Keep value under name for ttl_seconds (what kept() reads), and return it."""
    redis_client().set(KEY.format(name), json.dumps(value, default=_encode), px=int(ttl_seconds * 1000))
    return value


def shared(name: str, seen_seq: int | None, compute: Callable[[], dict]) -> dict:
    """The snapshot called name, having seen seen_seq (None: any recent one), computed by
    compute() when none will do. Without Redis, computed here (a wallboard never goes blank)."""
    key = KEY.format(name)
    try:
        r = redis_client()
        snap = _read(r, key)
        if _fresh(snap, seen_seq, time.time()):
            return snap["data"]
        deadline = time.monotonic() + WAIT_SECONDS
        token = secrets.token_hex(8)
        while not r.set(key + ":lock", token, nx=True, px=LOCK_MS):
            time.sleep(0.05)  # another screen is computing it: its result will do
            snap = _read(r, key)
            if _fresh(snap, seen_seq, time.time()):
                return snap["data"]
            if time.monotonic() > deadline:
                return compute()
        try:
            snap = _read(r, key)
            if _fresh(snap, seen_seq, time.time()):
                return snap["data"]
            if snap is not None:
                time.sleep(max(0.0, MIN_INTERVAL - (time.time() - snap["at"])))  # at most one computation a second
            seq, started = current_seq(), time.time()  # everything up to seq is in what compute() reads
            data = compute()
            r.set(key, json.dumps({"seq": seq, "at": started, "data": data}, default=_encode), ex=60)
            return data
        finally:
            r.eval(_RELEASE, 1, key + ":lock", token)  # only our own lock: a slow computation's may have passed on
    except RedisError:
        return compute()

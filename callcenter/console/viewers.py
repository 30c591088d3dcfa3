"""Who has a ticket open, and who is typing a reply on it: kept in Redis, never in the database.

One hash per ticket, one field per open page (its socket id) holding the person and when the
page last said it was there. A page that closes says so (ticket.leave, or its disconnect); one
that cannot (a killed browser, a dead web process) stops counting once its entry is older than
STALE_SECONDS, as the page's heartbeat (console_alive, agents/consoles.HEARTBEAT_SECONDS) no longer renews it.
"""
from __future__ import annotations

import json

from ..extensions import redis_client

KEY = "cc:viewers:{ticket_id}"
SID_KEY = "cc:viewing:{sid}"  # the tickets one socket has open, to clean up on disconnect
STALE_SECONDS = 60


def view(ticket_id: int, sid: str, user_id: int, name: str, now: float) -> None:
    key = KEY.format(ticket_id=ticket_id)
    pipe = redis_client().pipeline()
    pipe.hset(key, sid, json.dumps({"id": user_id, "name": name, "typing": False, "at": now}))
    pipe.expire(key, STALE_SECONDS * 2)
    pipe.sadd(SID_KEY.format(sid=sid), ticket_id)
    pipe.expire(SID_KEY.format(sid=sid), STALE_SECONDS * 2)
    pipe.execute()


def typing(ticket_id: int, sid: str, is_typing: bool, now: float) -> bool:
    """Mark a viewer typing or not; False if this page was not viewing the ticket."""
    key = KEY.format(ticket_id=ticket_id)
    raw = redis_client().hget(key, sid)
    if raw is None:
        return False
    entry = json.loads(raw)
    changed = entry["typing"] != is_typing
    entry.update(typing=is_typing, at=now)
    redis_client().hset(key, sid, json.dumps(entry))
    return changed


def leave(ticket_id: int, sid: str) -> bool:
    """This page closed the ticket; False if it was not viewing it."""
    pipe = redis_client().pipeline()
    pipe.hdel(KEY.format(ticket_id=ticket_id), sid)
    pipe.srem(SID_KEY.format(sid=sid), ticket_id)
    removed, _gone = pipe.execute()
    return bool(removed)


def left_everything(sid: str) -> list[int]:
    """A page disconnected: it views nothing any more. The tickets it had open."""
    r = redis_client()
    ticket_ids = sorted(int(t) for t in r.smembers(SID_KEY.format(sid=sid)))
    pipe = r.pipeline()
    for ticket_id in ticket_ids:
        pipe.hdel(KEY.format(ticket_id=ticket_id), sid)
    pipe.delete(SID_KEY.format(sid=sid))
    pipe.execute()
    return ticket_ids


def still_here(sid: str, now: float) -> None:
    """The page's heartbeat renews every ticket it has open."""
    r = redis_client()
    for ticket_id in r.smembers(SID_KEY.format(sid=sid)):
        key = KEY.format(ticket_id=int(ticket_id))
        raw = r.hget(key, sid)
        if raw is not None:
            entry = dict(json.loads(raw), at=now)
            r.hset(key, sid, json.dumps(entry))
            r.expire(key, STALE_SECONDS * 2)
    r.expire(SID_KEY.format(sid=sid), STALE_SECONDS * 2)


def viewers(ticket_id: int, now: float) -> list[dict]:
    """The people with the ticket open, one entry each (typing if any of their pages is), by
    name; stale entries are dropped."""
    key = KEY.format(ticket_id=ticket_id)
    r = redis_client()
    people: dict[int, dict] = {}
    stale = []
    for sid, raw in r.hgetall(key).items():
        entry = json.loads(raw)
        if now - entry["at"] > STALE_SECONDS:
            stale.append(sid)
            continue
        person = people.setdefault(entry["id"], {"id": entry["id"], "name": entry["name"], "typing": False})
        person["typing"] = person["typing"] or entry["typing"]
    if stale:
        r.hdel(key, *stale)
    return sorted(people.values(), key=lambda p: (p["name"], p["id"]))

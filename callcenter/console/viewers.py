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
    """Mark a viewer typing or not; False if this page was not viewing the ticket or nothing
    changed. In one step on the server: a leave racing it cannot be undone by it."""
    return _renew(KEY.format(ticket_id=ticket_id), sid, now, "1" if is_typing else "0") == 2


# Update an entry only if it is still there (a page that left stays gone): renew its time, set
# its typing flag if given. 0: not there; 1: renewed; 2: the typing flag changed.
_RENEW = """
local raw = redis.call('hget', KEYS[1], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
local changed = 1
if ARGV[3] ~= '' then
  local typing = ARGV[3] == '1'
  if entry['typing'] ~= typing then changed = 2 end
  entry['typing'] = typing
end
entry['at'] = tonumber(ARGV[2])
redis.call('hset', KEYS[1], ARGV[1], cjson.encode(entry))
redis.call('expire', KEYS[1], ARGV[4])
return changed
"""


def _renew(key: str, sid: str, now: float, typing_flag: str = "") -> int:
    return int(redis_client().eval(_RENEW, 1, key, sid, repr(now), typing_flag, STALE_SECONDS * 2))


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
        _renew(KEY.format(ticket_id=int(ticket_id)), sid, now)
    r.expire(SID_KEY.format(sid=sid), STALE_SECONDS * 2)


def drop(ticket_id: int, sids: list[str]) -> None:
    """Entries of people who may no longer read the ticket (it moved to another team)."""
    if sids:
        redis_client().hdel(KEY.format(ticket_id=ticket_id), *sids)


def entries(ticket_id: int, now: float) -> dict[str, dict]:
    """The live entries by page (socket id); stale ones are dropped."""
    key = KEY.format(ticket_id=ticket_id)
    r = redis_client()
    live, stale = {}, []
    for sid, raw in r.hgetall(key).items():
        entry = json.loads(raw)
        if now - entry["at"] > STALE_SECONDS:
            stale.append(sid)
        else:
            live[sid] = entry
    if stale:
        r.hdel(key, *stale)
    return live


def people(live: dict[str, dict]) -> list[dict]:
    """One entry a person (typing if any of their pages is), by name."""
    found: dict[int, dict] = {}
    for entry in live.values():
        person = found.setdefault(entry["id"], {"id": entry["id"], "name": entry["name"], "typing": False})
        person["typing"] = person["typing"] or entry["typing"]
    return sorted(found.values(), key=lambda p: (p["name"], p["id"]))


def viewers(ticket_id: int, now: float) -> list[dict]:
    """The people with the ticket open, one entry each; stale entries are dropped."""
    return people(entries(ticket_id, now))

"""The desk's set-up (categories, routing rules, SLA policies), read from the database once per
change instead of on every new ticket.

Each process keeps what it read as plain values (copies: no row of another session), tagged
with the set-up's version: a random token in Redis that every commit changing a watched row
replaces. A process reads the token once a transaction; a different token means read again.
So a change is seen by the next transaction that begins after its commit, in every process.
What can go wrong costs a read, never a stale answer for long:
- Redis unreachable: no token, so nothing is kept and every transaction reads the database;
- Redis flushed: the token is gone, which differs from every token kept, so all read again;
- a transaction that changed set-up rows itself (not committed yet) reads them from the database;
- a change committed while Redis was down (no new token): kept values expire after a minute.
"""
from __future__ import annotations

import copy
import logging
import secrets
import time
from types import SimpleNamespace
from typing import Any, Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import transaction_facts
from .extensions import db, redis_client

log = logging.getLogger(__name__)

VERSION_KEY = "cc:setup:version"
_CHANGED = "callcenter.setup_changed"
_NO_TOKEN = "-"  # what Redis answers for a token it does not hold
_WATCHED: set[type] = set()
# A change committed while Redis was down publishes no new token: what was kept is read again
# after this long anyway.
MAX_AGE_SECONDS = 60.0


def watch(*models: type) -> None:
    """Rows of these models are set-up: a commit that changes one gives the set-up a new version.
    Called where a module's cached set-up is defined, at import (before any change can happen)."""
    _WATCHED.update(models)


def plain(row: Any, *names: str) -> SimpleNamespace:
    """A copy of the row's attributes, safe to share between requests and threads."""
    return SimpleNamespace(**{name: copy.deepcopy(getattr(row, name)) for name in names})


def cached(name: str, load: Callable[[], Any]) -> Any:
    """load()'s answer as of the set-up's current version, read again only when it changes."""
    if _changed_here():
        return load()
    version = _version()
    if version is None:
        return load()
    kept: dict[str, tuple[str, float, Any]] = current_app.extensions.setdefault("callcenter.setup_cache", {})
    hit = kept.get(name)
    if hit is not None and hit[0] == version and time.monotonic() - hit[1] < MAX_AGE_SECONDS:
        return hit[2]
    value = load()
    kept[name] = (version, time.monotonic(), value)
    return value


def _version() -> str | None:
    facts = transaction_facts.kept("setup_version")
    if "token" not in facts:
        try:
            token = redis_client().get(VERSION_KEY)
        except Exception:  # Redis down: read the set-up every time rather than trust what was kept
            log.warning("set-up version unreadable: reading the set-up from the database", exc_info=True)
            facts["token"] = None
            return None
        facts["token"] = token.decode() if isinstance(token, bytes) else (token or _NO_TOKEN)
    return facts["token"]


def _changed_here() -> bool:
    return bool(db.session().info.get(_CHANGED))


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    if _WATCHED and any(type(row) in _WATCHED for row in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit", insert=True)  # before the commit's jobs are queued
def _new_version(session: Session) -> None:
    if not session.info.pop(_CHANGED, False):
        return
    try:
        current_app.extensions.pop("callcenter.setup_cache", None)
        redis_client().set(VERSION_KEY, secrets.token_hex(8))
    except Exception:  # the change is committed; other processes see it once Redis answers again
        log.exception("could not publish a new set-up version")


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_CHANGED, None)

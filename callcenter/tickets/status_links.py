"""Customers' private links to their status page. Callers own the transaction.

A link is a random token shown once (in the redirect after submitting, in a message); only
its SHA-256 is kept. Every message carries a link of its own, issued when it is sent, so no
token sits in the database in clear, not even inside a queued message.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..extensions import db
from .models import StatusLink, Ticket

TOKEN_BYTES = 24


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(ticket_id: int) -> str:
    """A new link token for the ticket; the caller shows or sends it, nobody stores it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(StatusLink(ticket_id=ticket_id, token_hash=_hash(token)))
    return token


def ticket_for(token: str, *, lock: bool = False) -> Ticket | None:
    """The ticket a link opens, or None. The database is asked for the token's hash, and the
    stored hash is compared in constant time, so neither step leaks the token by its timing."""
    if not token or len(token) > 200:
        return None
    wanted = _hash(token)
    row = db.session.scalar(select(StatusLink).where(StatusLink.token_hash == wanted, StatusLink.revoked_at.is_(None)))
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    stmt = select(Ticket).where(Ticket.id == row.ticket_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def revoke_all(ticket_id: int, now: datetime) -> int:
    """Every link of the ticket stops working (a new one can be issued)."""
    result = db.session.execute(update(StatusLink).where(StatusLink.ticket_id == ticket_id,
                                                         StatusLink.revoked_at.is_(None)).values(revoked_at=now))
    return result.rowcount or 0


def expired(ticket: Ticket, now: datetime, days_after_end: int) -> bool:
    """Links stay readable while the ticket is open or resolved and for a while after it ends."""
    ended = ticket.ended_at
    return ended is not None and now >= ended + timedelta(days=days_after_end)

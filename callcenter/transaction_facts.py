"""What is true only inside the current transaction: the agent rows it has locked, the tickets
it has made (rows no other transaction has seen, so they have no offers, no fired SLA levels,
and only the clocks made with them).

Kept in the session, tied to the transaction (or savepoint) they were noted in, and forgotten
the moment another one is current: a fact forgotten too early costs a statement (a lock taken
again, a row read again), never a wrong answer."""
from __future__ import annotations

from typing import Any

from .extensions import db

_KEY = "callcenter_transaction_facts"


def _facts() -> dict[str, Any]:
    session = db.session()
    if not session.in_transaction():  # facts belong to a transaction: begin the one they will be true in
        session.begin()
    current = session.get_nested_transaction() or session.get_transaction()
    held = session.info.get(_KEY)
    if held is None or held[0] is not current:
        held = (current, {})
        session.info[_KEY] = held
    return held[1]


def kept(name: str) -> dict:
    """Rows read once in this transaction, by id, kept for it (a session forgets rows nothing
    holds on to, and reads them again)."""
    return _facts().setdefault(f"kept:{name}", {})


def locked_agents() -> set[int]:
    """Agent rows this transaction holds a lock on."""
    return _facts().setdefault("locked_agents", set())


def made_tickets() -> dict[int, list]:
    """Tickets made in this transaction, by id, with the SLA clocks made for them so far."""
    return _facts().setdefault("made_tickets", {})


def made_here(ticket_id: int | None) -> bool:
    return ticket_id is not None and ticket_id in made_tickets()


def offered(ticket_id: int) -> None:
    """A ticket made here has been offered to someone: its offers must be read like any other's."""
    _facts().setdefault("offered", set()).add(ticket_id)


def offered_to_nobody(ticket_id: int | None) -> bool:
    """Made in this transaction and not offered in it: it has no offers at all."""
    return made_here(ticket_id) and ticket_id not in _facts().get("offered", set())

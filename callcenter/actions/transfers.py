"""Handing a ticket to a colleague with a word of why: the assignment and the internal note in
one transaction (the colleague never finds the ticket without the note, nor the note alone)."""
from __future__ import annotations

from datetime import datetime

from ..actors import Actor
from ..db_types import utcnow
from ..tickets.models import Ticket
from . import assignment, tickets, unit_of_work


def transfer(ticket_id: int, agent_id: int, note: str | None, actor: Actor, *, override: bool = False,
             now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    with unit_of_work():
        ticket = assignment.assign(ticket_id, agent_id, actor, override=override, now=now)
        if note and note.strip():
            tickets.add_message(ticket_id, note, True, actor, now=now)
        return ticket

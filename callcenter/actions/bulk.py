"""The console's bulk bar: one action done to each ticked ticket, each through its own action
(its own rules and its own transaction), so one refusal neither undoes nor blocks the rest."""
from __future__ import annotations

from ..actors import Actor
from ..errors import DomainError
from . import assignment, tickets

BULK_LIMIT = 100  # tickets a request may name


def apply(ticket_ids: list[int], action: str, actor: Actor, *, agent_id: int | None = None,
          to: str = "") -> tuple[int, list[tuple[int, DomainError]]]:
    """(how many were done, the refused ones with why). action: "assign" (to agent_id, or the
    actor) or "status" (to `to`)."""
    ids = list(dict.fromkeys(i for i in ticket_ids if 0 < i < 2**31))[:BULK_LIMIT]
    done, refused = 0, []
    for ticket_id in ids:
        try:
            if action == "assign":
                assignment.assign(ticket_id, agent_id or actor.user_id, actor)
            else:
                tickets.transition(ticket_id, to, actor)
            done += 1
        except DomainError as err:
            refused.append((ticket_id, err))
    return done, refused

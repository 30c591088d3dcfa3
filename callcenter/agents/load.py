"""An agent's load: the one definition that routing, the agents list and the desk all use.

A seat is taken by a ticket the agent holds and must act on (assigned or in progress), by an
offer the agent has not answered yet, and by a callback or revisit given to them and not yet
tried. One statement, however many kinds of work there are."""
from __future__ import annotations

import functools

from sqlalchemy import ColumnElement, Select, bindparam, func, literal, select, union_all

from ..extensions import db
from ..followups.models import FollowUp, FollowUpStatus
from ..routing.models import Offer, OfferStatus
from ..tickets import lifecycle
from ..tickets.models import Ticket


def _seat_takers():
    """Each kind of work that takes a seat: (kind, the agent's column, the condition)."""
    return (("tickets", Ticket.assignee_id, Ticket.status.in_(lifecycle.LOAD_STATUSES)),
            ("offers", Offer.agent_id, Offer.status == OfferStatus.pending),
            ("callbacks", FollowUp.assignee_id, FollowUp.status == FollowUpStatus.assigned))


def loads_by_kind(user_ids: list[int] | Select | None = None) -> dict[int, dict[str, int]]:
    """Seats taken by agent id and by what takes them: {"tickets": n, "offers": n, "callbacks": n}
    (agents with none are left out). One statement. `user_ids`: a list, or a SELECT of the ids
    (the wallboard's 200 agents as a sub-select are a short statement the driver keeps parsed,
    where 600 bound ids are parsed afresh each time)."""
    parts = []
    for kind, agent, taken in _seat_takers():
        part = select(agent, literal(kind), func.count()).where(agent.is_not(None), taken).group_by(agent)
        parts.append(part.where(agent.in_(user_ids)) if user_ids is not None else part)
    out: dict[int, dict[str, int]] = {}
    for user_id, kind, n in db.session.execute(union_all(*parts)):
        out.setdefault(user_id, {"tickets": 0, "offers": 0, "callbacks": 0})[kind] += n
    return out


def seats_taken(user_id: ColumnElement[int]) -> ColumnElement[int]:
    """An agent's load as a column of a statement that reads agents (user_id: its id column),
    counted as loads() counts it: the agents and their loads in one statement."""
    counts = [select(func.count()).where(agent == user_id, taken).scalar_subquery()
              for _kind, agent, taken in _seat_takers()]
    return counts[0] + counts[1] + counts[2]


def loads(user_ids: list[int] | None = None) -> dict[int, int]:
    """Seats taken, by agent id (agents with none are left out)."""
    return {user_id: sum(kinds.values()) for user_id, kinds in loads_by_kind(user_ids).items()}


def load_of(user_id: int) -> int:
    """One agent's seats taken (routing's recount under the agent's lock)."""
    return db.session.scalar(_load_of_statement(), {"user_id": user_id})


@functools.cache
def _load_of_statement() -> Select:
    """Built once, so that its cache key is too (the recount runs for every assignment)."""
    return select(seats_taken(bindparam("user_id")))

"""An agent's load: the one definition that routing, the agents list and the desk all use.

A seat is taken by a ticket the agent holds and must act on (assigned or in progress), by an
offer the agent has not answered yet, and by a callback or revisit given to them and not yet
tried. One statement, however many kinds of work there are."""
from __future__ import annotations

from sqlalchemy import Select, func, literal, select, union_all

from ..extensions import db
from ..followups.models import FollowUp, FollowUpStatus
from ..routing.models import Offer, OfferStatus
from ..tickets import lifecycle
from ..tickets.models import Ticket


def loads_by_kind(user_ids: list[int] | Select | None = None) -> dict[int, dict[str, int]]:
    """Seats taken by agent id and by what takes them: {"tickets": n, "offers": n, "callbacks": n}
    (agents with none are left out). One statement. `user_ids`: a list, or a SELECT of the ids
    (the wallboard's 200 agents as a sub-select are a short statement the driver keeps parsed,
    where 600 bound ids are parsed afresh each time)."""
    held = (select(Ticket.assignee_id, literal("tickets"), func.count()).where(Ticket.assignee_id.is_not(None))
            .where(Ticket.status.in_(lifecycle.LOAD_STATUSES)).group_by(Ticket.assignee_id))
    offered = (select(Offer.agent_id, literal("offers"), func.count()).where(Offer.status == OfferStatus.pending)
               .group_by(Offer.agent_id))
    calls = (select(FollowUp.assignee_id, literal("callbacks"), func.count())
             .where(FollowUp.status == FollowUpStatus.assigned).group_by(FollowUp.assignee_id))
    if user_ids is not None:
        held = held.where(Ticket.assignee_id.in_(user_ids))
        offered = offered.where(Offer.agent_id.in_(user_ids))
        calls = calls.where(FollowUp.assignee_id.in_(user_ids))
    out: dict[int, dict[str, int]] = {}
    for user_id, kind, n in db.session.execute(union_all(held, offered, calls)):
        out.setdefault(user_id, {"tickets": 0, "offers": 0, "callbacks": 0})[kind] += n
    return out


def loads(user_ids: list[int] | None = None) -> dict[int, int]:
    """Seats taken, by agent id (agents with none are left out)."""
    return {user_id: sum(kinds.values()) for user_id, kinds in loads_by_kind(user_ids).items()}


def load_of(user_id: int) -> int:
    return loads([user_id]).get(user_id, 0)

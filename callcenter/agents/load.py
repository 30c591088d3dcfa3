"""An agent's load: the one definition that routing, the agents list and the desk all use.

A seat is taken by a ticket the agent holds and must act on (assigned or in progress), by an
offer the agent has not answered yet, and by a callback or revisit given to them and not yet
tried. One statement, however many kinds of work there are."""
from __future__ import annotations

from sqlalchemy import func, select, union_all

from ..extensions import db
from ..followups.models import FollowUp, FollowUpStatus
from ..routing.models import Offer, OfferStatus
from ..tickets import lifecycle
from ..tickets.models import Ticket


def loads(user_ids: list[int] | None = None) -> dict[int, int]:
    """Seats taken, by agent id (agents with none are left out)."""
    held = (select(Ticket.assignee_id, func.count()).where(Ticket.assignee_id.is_not(None))
            .where(Ticket.status.in_(lifecycle.LOAD_STATUSES)).group_by(Ticket.assignee_id))
    offered = select(Offer.agent_id, func.count()).where(Offer.status == OfferStatus.pending).group_by(Offer.agent_id)
    calls = (select(FollowUp.assignee_id, func.count()).where(FollowUp.status == FollowUpStatus.assigned)
             .group_by(FollowUp.assignee_id))
    if user_ids is not None:
        held = held.where(Ticket.assignee_id.in_(user_ids))
        offered = offered.where(Offer.agent_id.in_(user_ids))
        calls = calls.where(FollowUp.assignee_id.in_(user_ids))
    out: dict[int, int] = {}
    for user_id, n in db.session.execute(union_all(held, offered, calls)):
        out[user_id] = out.get(user_id, 0) + n
    return out


def load_of(user_id: int) -> int:
    return loads([user_id]).get(user_id, 0)

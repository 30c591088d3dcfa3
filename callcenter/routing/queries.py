"""What supervisors read about routing: the queue (how many wait, the oldest wait) and the
offers each agent was made. Read only."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from ..extensions import db
from ..tickets.models import Status, Ticket
from .models import Offer


def queue_stats(now: datetime, team_id: int | None = None) -> dict:
    stmt = (select(func.count(Ticket.id), func.min(func.coalesce(Ticket.waiting_since, Ticket.created_at)))
            .where(Ticket.status == Status.new, Ticket.assignee_id.is_(None)))
    if team_id is not None:
        stmt = stmt.where(Ticket.team_id == team_id)
    waiting, oldest = db.session.execute(stmt).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return {"waiting": waiting, "oldest_wait_seconds": round((now - oldest).total_seconds()) if oldest else 0}


def offer_stats(agent_ids: list[int]) -> dict[int, dict[str, int]]:
    """Offers per agent and outcome, for the agents list."""
    out: dict[int, dict[str, int]] = {i: {} for i in agent_ids}
    rows = db.session.execute(select(Offer.agent_id, Offer.status, func.count()).where(
        Offer.agent_id.in_(agent_ids)).group_by(Offer.agent_id, Offer.status)).all()
    for agent_id, status, n in rows:
        out[agent_id][status.value] = n
    return out

"""What the outbox page reads: a page of messages with their tickets' references, in two queries
(the count, then the page joined to its tickets)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..tickets.models import Ticket
from .models import OutboundMessage


def outbox_page(page: int, per_page: int) -> dict:
    """Newest first: ids follow creation, and the primary key orders without a sort."""
    total = db.session.scalar(select(func.count()).select_from(OutboundMessage))
    rows = db.session.execute(
        select(OutboundMessage, Ticket.reference)
        .outerjoin(Ticket, Ticket.id == OutboundMessage.ticket_id)
        .order_by(OutboundMessage.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": rows, "page": page, "per_page": per_page, "total": total}

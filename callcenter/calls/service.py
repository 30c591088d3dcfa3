"""Who is calling: the records holding the caller's number, each with its open tickets that the
agent taking the call may see (another team's tickets are not named to them)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..actors import Actor
from ..auth.models import Role, User
from ..customers import queries as customer_queries
from ..customers.normalise import normalise_phone
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..tickets import lifecycle
from ..tickets.models import Ticket
from ..tickets.queries import visible_tickets
from .models import Call

OPEN_TICKETS_SHOWN = 5


def taker(agent_id: int | None, actor: Actor) -> User | None:
    """The agent the call was put through to: the one named (supervisors, admins and their
    tokens may name anyone; an agent only themself), or the caller of the API if an agent."""
    if agent_id is None:
        return db.session.get(User, actor.user_id) if actor.role in ("agent", "supervisor") else None
    if agent_id != actor.user_id and not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins put calls through to other agents."))
    user = db.session.get(User, agent_id)
    if user is None or not user.active or user.role not in (Role.agent, Role.supervisor):
        raise NotFound(_("No active agent has this id."), {"agent_id": agent_id})
    return user


def record(caller: str, called: str | None, agent: User | None, now: datetime) -> Call:
    phone = normalise_phone(caller)
    if not phone:
        raise ValidationFailed(_("The caller's number is not a phone number."), {"fields": {"caller": ["invalid"]}})
    call = Call(caller=caller.strip(), caller_norm=phone, called=(called or "").strip() or None,
                agent_id=agent.id if agent else None, created_at=now)
    db.session.add(call)
    db.session.flush()
    return call


def matches(call: Call, viewer: Actor) -> list[dict]:
    """The records holding the number, best first, each with its most recent open tickets the
    viewer may see, newest first, and how many open tickets of theirs other teams hold."""
    found = customer_queries.candidates(call.caller_norm, None)
    if not found:
        return []
    ids = [c.id for c, _on in found]
    # Open tickets the agent may not see are counted, not named: the caller may mention them.
    open_counts = dict(db.session.execute(
        select(Ticket.customer_id, func.count()).where(Ticket.customer_id.in_(ids),
                                                       Ticket.status.in_(lifecycle.OPEN_STATUSES))
        .group_by(Ticket.customer_id)).all())
    tickets = db.session.scalars(
        visible_tickets(viewer).where(Ticket.customer_id.in_(ids), Ticket.status.in_(lifecycle.OPEN_STATUSES))
        .order_by(Ticket.id.desc())).all()
    by_customer: dict[int, list[Ticket]] = {}
    for t in tickets:
        by_customer.setdefault(t.customer_id, []).append(t)
    return [{"customer": {"id": c.id, "name": c.name, "tier": c.tier.value},
             "open_tickets": [{"id": t.id, "reference": t.reference, "subject": t.subject, "status": t.status.value}
                              for t in by_customer.get(c.id, [])[:OPEN_TICKETS_SHOWN]],
             "other_open_tickets": open_counts.get(c.id, 0) - len(by_customer.get(c.id, []))}
            for c, _on in found]


def get(call_id: int) -> Call | None:
    if not 0 < call_id < 2**31:
        return None
    return db.session.scalar(select(Call).where(Call.id == call_id))

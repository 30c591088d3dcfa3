"""What the supervisors' board of agents reads: every active agent and supervisor with their
presence and how long they have been in it, their teams, their load against capacity (load.py,
the one definition) and the work they hold now: tickets, offers waiting for their answer and
follow-ups given to them to call.

Read only, and a fixed number of statements however many agents there are: the people (and
their teams), the loads, the tickets, the offers, the follow-ups and the team names, each one
statement for everybody."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actors import Actor
from ..auth.models import Presence, Role, Team, User
from ..errors import Forbidden
from ..extensions import db
from ..followups.models import FollowUp, FollowUpStatus
from ..routing.models import Offer, OfferStatus
from ..tickets import lifecycle
from ..tickets.models import Status, Ticket
from ..tickets.queries import visible_tickets
from .load import loads

# What an agent holds: every open ticket given to them, the ones waiting on the customer too
# (they take no seat, load.py says, but they are still the agent's to finish).
HELD_STATUSES = [Status(s) for s in sorted(lifecycle.OPEN_STATUSES - {lifecycle.NEW})]
SLA_ORDER = {"breached": 0, "warning": 1, "running": 2, "paused": 3}


@dataclass
class HeldTicket:
    id: int
    reference: str | None
    subject: str
    priority: str
    status: str
    sla_state: str | None
    due_at: datetime | None  # the clock that matters now: first response until answered, then resolution


@dataclass
class PendingOffer:
    id: int
    ticket_id: int
    reference: str | None
    subject: str
    priority: str
    expires_at: datetime


@dataclass
class HeldFollowUp:
    id: int
    kind: str
    name: str
    window_end: datetime
    ticket_id: int | None
    reference: str | None


@dataclass
class AgentRow:
    user: User
    load: int
    in_state_seconds: int | None  # None: the presence was never changed (no time to tell)
    tickets: list[HeldTicket] = field(default_factory=list)
    offers: list[PendingOffer] = field(default_factory=list)
    followups: list[HeldFollowUp] = field(default_factory=list)

    @property
    def presence(self) -> str:
        return self.user.presence.value

    @property
    def at_capacity(self) -> bool:
        return self.load >= self.user.capacity

    @property
    def team_names(self) -> list[str]:
        return [t.name for t in self.user.teams]


@dataclass
class Candidate:
    """Someone a ticket may be given to, as the reassign list names them."""
    id: int
    name: str
    presence: str
    load: int
    capacity: int


def require_supervisor(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins see the agents board."))


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def board(actor: Actor, now: datetime, team: str | None = None) -> dict:
    """The rows (filtered by team name), everybody a ticket may go to, the team names and the
    totals. Supervisors and admins only."""
    require_supervisor(actor)
    people = list(db.session.scalars(
        select(User).where(User.active, User.role.in_([Role.agent, Role.supervisor]))
        .options(selectinload(User.teams)).order_by(User.name, User.id)))
    seats = loads([u.id for u in people]) if people else {}
    shown = [u for u in people if not team or team in {t.name for t in u.teams}]
    rows = {u.id: AgentRow(u, seats.get(u.id, 0), _seconds_since(u.presence_changed_at, now)) for u in shown}
    if rows:
        _add_tickets(actor, rows)
        _add_offers(rows)
        _add_followups(rows)
    candidates = [Candidate(u.id, u.name, u.presence.value, seats.get(u.id, 0), u.capacity) for u in people]
    return {"rows": list(rows.values()), "candidates": candidates, "teams": team_names(),
            "totals": _totals(list(rows.values()))}


def _seconds_since(changed_at: datetime | None, now: datetime) -> int | None:
    changed_at = _aware(changed_at)
    return None if changed_at is None else max(0, int((now - changed_at).total_seconds()))


def _add_tickets(actor: Actor, rows: dict[int, AgentRow]) -> None:
    stmt = (visible_tickets(actor)
            .with_only_columns(Ticket.id, Ticket.assignee_id, Ticket.reference, Ticket.subject, Ticket.priority,
                               Ticket.status, Ticket.sla_state, Ticket.first_response_at,
                               Ticket.first_response_due_at, Ticket.resolution_due_at)
            .where(Ticket.assignee_id.in_(list(rows)), Ticket.status.in_(HELD_STATUSES))
            .order_by(Ticket.priority, Ticket.id))
    held = []
    for r in db.session.execute(stmt):
        due = r.first_response_due_at if r.first_response_at is None else r.resolution_due_at
        held.append((r.assignee_id, HeldTicket(r.id, r.reference, r.subject, r.priority.value, r.status.value,
                                               r.sla_state, _aware(due))))
    # The most urgent first: breached, then warning, then the rest; by priority within each.
    held.sort(key=lambda h: (SLA_ORDER.get(h[1].sla_state or "", 9), h[1].priority, h[1].id))
    for agent_id, ticket in held:
        rows[agent_id].tickets.append(ticket)


def _add_offers(rows: dict[int, AgentRow]) -> None:
    stmt = (select(Offer.id, Offer.agent_id, Offer.ticket_id, Offer.expires_at, Ticket.reference, Ticket.subject,
                   Ticket.priority)
            .join(Ticket, Ticket.id == Offer.ticket_id)
            .where(Offer.agent_id.in_(list(rows)), Offer.status == OfferStatus.pending)
            .order_by(Offer.expires_at, Offer.id))
    for r in db.session.execute(stmt):
        rows[r.agent_id].offers.append(PendingOffer(r.id, r.ticket_id, r.reference, r.subject, r.priority.value,
                                                    _aware(r.expires_at)))


def _add_followups(rows: dict[int, AgentRow]) -> None:
    stmt = (select(FollowUp.id, FollowUp.assignee_id, FollowUp.kind, FollowUp.name, FollowUp.window_end,
                   FollowUp.ticket_id, Ticket.reference)
            .outerjoin(Ticket, Ticket.id == FollowUp.ticket_id)
            .where(FollowUp.assignee_id.in_(list(rows)), FollowUp.status == FollowUpStatus.assigned)
            .order_by(FollowUp.window_end, FollowUp.id))
    for r in db.session.execute(stmt):
        rows[r.assignee_id].followups.append(HeldFollowUp(r.id, r.kind.value, r.name, _aware(r.window_end),
                                                          r.ticket_id, r.reference))


def _totals(rows: list[AgentRow]) -> dict:
    by_presence = {p.value: 0 for p in Presence}
    for row in rows:
        by_presence[row.presence] += 1
    return {"agents": len(rows), **by_presence,
            "at_capacity": sum(1 for r in rows if r.presence == Presence.available.value and r.at_capacity),
            "load": sum(r.load for r in rows), "capacity": sum(r.user.capacity for r in rows)}


def team_names() -> list[str]:
    return list(db.session.scalars(select(Team.name).order_by(Team.name)))


def holder_of(ticket_id: int) -> tuple[str | None, int | None] | None:
    """(reference, assignee id) of a ticket, or None when there is no such ticket: a reassign
    form says whose ticket it showed, and the page tells the supervisor when it moved since."""
    row = db.session.execute(select(Ticket.reference, Ticket.assignee_id).where(Ticket.id == ticket_id)).first()
    return None if row is None else (row.reference, row.assignee_id)

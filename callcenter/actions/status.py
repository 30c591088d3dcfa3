"""Every status change goes through change_status(), and this is the one place that says what
a status change sets off: the agent's seat, the SLA clocks, open offers, the customer's mail,
the socket event. A person's move, an assignment, a reply and a hand-back all come here."""
from __future__ import annotations

from datetime import datetime

from ..actors import Actor
from ..console.rooms import rooms_for, ticket_summary
from ..effects import Effects
from ..followups import service as followups
from ..followups.models import FollowUpKind
from ..notifications import services as notify
from ..routing import offers
from ..routing import service as routing
from ..sla import service as sla
from ..tickets import changes, lifecycle
from ..tickets.models import Ticket


def change_status(ticket: Ticket, to: str, actor: Actor, now: datetime, fx: Effects, *,
                  reason: str | None = None) -> None:
    """Move the ticket (its row locked by the caller) to another status, with all that follows."""
    current = ticket.status.value
    if not lifecycle.can_move(current, to):
        raise ValueError(f"no move from {current} to {to}")  # callers check what people may ask for
    _followups_stop(ticket, current, to, now, fx)  # follow-up rows before agent rows, as everywhere
    routing.seat_changing(ticket, current, to, fx)
    sla.on_status(ticket, current, to, now, fx)
    if current == lifecycle.NEW:
        offers.withdraw_for_ticket(ticket, actor, now, fx)  # no longer waiting: an open offer lapses
    changes.set_status(ticket, to, actor, now, reason=reason)
    if to == lifecycle.RESOLVED:
        st = followups.settings()
        followups.revisit_on_resolved(ticket, now, st, fx)
        survey = followups.issue_survey(ticket, now, st)
        notify.status_changed(ticket, fx, survey_days=st.survey_expiry_days if survey else None)
    fx.emit("ticket.updated", ticket_summary(ticket, "status", now), rooms_for(ticket))


def _followups_stop(ticket: Ticket, before: str, after: str, now: datetime, fx: Effects) -> None:
    """A reopening cancels the revisit still to make (the next resolution schedules one); a
    cancelled ticket's callbacks and revisits are not made; the seats they held are freed. (A
    resolution schedules the revisit the policy asks for and issues the survey.)"""
    holders: list[int] = []
    if before in lifecycle.DONE_STATUSES and after in lifecycle.OPEN_STATUSES:
        holders = followups.cancel_for_ticket(ticket, (FollowUpKind.revisit,), "ticket_reopened", now, fx)
    elif after == lifecycle.CANCELLED:
        holders = followups.cancel_for_ticket(ticket, (FollowUpKind.callback, FollowUpKind.revisit),
                                              "ticket_cancelled", now, fx)
    if not holders:
        return
    routing.lock_agents([*holders, ticket.assignee_id])  # together, in id order (the seat change below)
    for holder in holders:
        fx.enqueue(routing.ROUTE_FOR_AGENT_JOB, holder, queue="high")

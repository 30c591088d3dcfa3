"""SLA checks (a clock's job, the sweep) and edits that move clocks (a policy or a calendar
changed). An escalation is carried out through the same paths as a person's change."""
from __future__ import annotations

import logging
from datetime import datetime

from ..actors import SYSTEM
from ..console.rooms import rooms_for, ticket_summary
from ..db_types import utcnow
from ..effects import Effects
from ..routing import service as routing
from ..sla import service as sla
from ..tickets import audit, changes
from ..tickets.models import Ticket
from . import end_read, unit_of_work
from .assignment import give
from .tickets import priority_changed

log = logging.getLogger(__name__)
SWEEP_BATCH = 50  # clocks the sweep checks in one transaction


def _carry_out(results: list[sla.Fired], now: datetime, fx: Effects) -> None:
    for result in results:
        for promise_id in result.broken_promises:
            changes.break_promise(result.ticket, promise_id, now)
        for step in result.escalations:
            _escalate(result.ticket, step, now, fx)


def _escalate(ticket: Ticket, step: dict, now: datetime, fx: Effects) -> None:
    """Raise the priority (its clocks follow, as for a person's change), hand the ticket to a
    team (routing looks again) or to a person."""
    if step.get("raise_priority") and changes.raise_priority(ticket, SYSTEM):
        priority_changed(ticket, now, fx)
    kind, target = sla.escalation_target(ticket, step)
    if kind == "skip":
        audit.record(ticket, "sla_escalation_skipped", SYSTEM, reason=target, to=step.get("reassign_to"))
    elif kind == "team" and ticket.team_id != target.id:
        audit.set_field(ticket, "team_id", target.id, SYSTEM)
        fx.emit("ticket.updated", ticket_summary(ticket, "team", now), rooms_for(ticket))
        routing.request_sweep(fx)
    elif kind == "agent" and target.id != ticket.assignee_id:
        routing.lock_agents([ticket.assignee_id, target.id])
        give(ticket, target, SYSTEM, now, fx, rule="sla_escalation", level=step.get("reassign_to"))


def check(clock_id: int, now: datetime | None = None) -> list[str]:
    """Fire what is due on this clock now and not fired yet; schedule the next check."""
    now = now or utcnow()
    ticket_id = sla.ticket_of_clock(clock_id)
    if ticket_id is None:
        return []
    with unit_of_work(durable=True) as fx:
        results = sla.check_many([(clock_id, ticket_id)], now, fx)
        _carry_out(results, now, fx)
    return results[0].levels


def sweep(now: datetime | None = None, limit: int = 5000) -> int:
    """Every clock whose next check is due: catches what a lost job (Redis flushed, worker
    down) missed. Up to SWEEP_BATCH clocks share a transaction (a commit per clock was most of
    the time of a catch-up). A batch that fails is rolled back whole, its effects with it, and
    its clocks are checked again one per transaction: one broken clock blocks no other."""
    now = now or utcnow()
    due = sla.due_clocks(now, limit)
    end_read()
    fired = 0
    while due:
        batch = due[:SWEEP_BATCH]
        try:
            with unit_of_work(durable=True) as fx:
                results = sla.check_many(batch, now, fx)
                _carry_out(results, now, fx)
            levels = [r.levels for r in results]
        except Exception:
            log.warning("SLA sweep: a batch of %d clocks failed; checking them one by one", len(batch), exc_info=True)
            levels = [_check_alone(clock_id, now) for clock_id, _ticket_id in batch]
        fired += sum(len(level) for level in levels)
        due = due[len(levels):]
    return fired


def _check_alone(clock_id: int, now: datetime) -> list[str]:
    try:
        return check(clock_id, now)
    except Exception:  # one broken clock must not block the safety net for the others
        log.exception("SLA check of clock %s failed; the sweep goes on", clock_id)
        return []


def retarget_policy(policy_id: int, now: datetime | None = None) -> int:
    """A policy was edited: the open tickets it governs get the new targets (time used stays)."""
    now = now or utcnow()
    ticket_ids = sla.tickets_on_policy(policy_id)
    end_read()
    for ticket_id in ticket_ids:
        try:
            with unit_of_work(durable=True) as fx:
                ticket = sla.lock_ticket(ticket_id)
                sla.retarget(ticket, ticket.effective_tier, now, fx)
        except Exception:
            log.exception("retargeting ticket %s failed; going on", ticket_id)
    return len(ticket_ids)


def recompute_calendar(calendar_id: int, now: datetime | None = None) -> int:
    """A business calendar was edited: the unfinished clocks on it get new due times."""
    now = now or utcnow()
    name = sla.calendar_name(calendar_id)
    if name is None:
        return 0
    ticket_ids = sla.tickets_on_calendar(name)
    end_read()
    for ticket_id in ticket_ids:
        try:
            with unit_of_work(durable=True) as fx:
                sla.recompute(sla.lock_ticket(ticket_id), name, now, fx)
        except Exception:
            log.exception("recomputing the clocks of ticket %s failed; going on", ticket_id)
    return len(ticket_ids)

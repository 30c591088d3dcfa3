"""What the staff pages read about follow-ups: an agent's own, what comes up after their tries,
every open one (supervisors), a ticket's, and the ticket references they link to. Reads only."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import Skill
from ..extensions import db
from ..sla.models import SlaCalendar
from ..tickets.models import Category, Ticket
from .models import OPEN_FOLLOWUP, FollowUp, FollowUpAttempt, FollowUpKind, FollowUpStatus, Outcome, Survey

RECENT = timedelta(days=7)  # "coming up": what the agent tried within this long
EVERY_OPEN_LIMIT = 200


def _with_details(stmt):
    return stmt.options(selectinload(FollowUp.attempts), selectinload(FollowUp.assignee))


def mine(agent_id: int) -> list[FollowUp]:
    """What the agent holds now: the calls to make, the one whose window closes first on top."""
    return list(db.session.scalars(_with_details(select(FollowUp).where(
        FollowUp.assignee_id == agent_id, FollowUp.status == FollowUpStatus.assigned))
        .order_by(FollowUp.window_end, FollowUp.id)))


def coming_up(agent_id: int, now: datetime) -> list[FollowUp]:
    """Follow-ups waiting for their next try that this agent tried lately (the retry may go to
    anyone; the agent sees when it is)."""
    tried = select(FollowUpAttempt.followup_id).where(FollowUpAttempt.agent_id == agent_id,
                                                      FollowUpAttempt.created_at >= now - RECENT)
    return list(db.session.scalars(_with_details(select(FollowUp).where(
        FollowUp.status == FollowUpStatus.scheduled, FollowUp.id.in_(tried)))
        .order_by(FollowUp.next_attempt_at, FollowUp.id)))


def every_open(limit: int = EVERY_OPEN_LIMIT) -> list[FollowUp]:
    """Every follow-up still to be made, soonest first (supervisors)."""
    return list(db.session.scalars(_with_details(select(FollowUp).where(FollowUp.status.in_(OPEN_FOLLOWUP)))
                                   .order_by(FollowUp.next_attempt_at, FollowUp.window_start, FollowUp.id)
                                   .limit(limit)))


def of_ticket(ticket_id: int) -> list[FollowUp]:
    """A ticket's callbacks and revisits, open or not, oldest first."""
    return list(db.session.scalars(_with_details(select(FollowUp).where(FollowUp.ticket_id == ticket_id))
                                   .order_by(FollowUp.created_at, FollowUp.id)))


def references(followups: Iterable[FollowUp]) -> dict[int, str]:
    """ticket id -> reference, for the tickets these follow-ups belong to (one query)."""
    ids = {f.ticket_id for f in followups if f.ticket_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Ticket.id, Ticket.reference).where(Ticket.id.in_(ids))).tuples().all())


def satisfaction_of(customer_id: int, limit: int = 20) -> list[dict]:
    """The customer's answers, newest first: surveys and revisit calls (for their history)."""
    surveys = db.session.execute(
        select(Survey.answered_at, Survey.csat, Survey.nps, Survey.comment, Ticket.id, Ticket.reference)
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(Ticket.customer_id == customer_id, Survey.answered_at.is_not(None))
        .order_by(Survey.answered_at.desc()).limit(limit)).all()
    calls = db.session.execute(
        select(FollowUpAttempt.created_at, FollowUpAttempt.score, FollowUpAttempt.solved, FollowUpAttempt.comment,
               Ticket.id, Ticket.reference)
        .join(FollowUp, FollowUp.id == FollowUpAttempt.followup_id).join(Ticket, Ticket.id == FollowUp.ticket_id)
        .where(Ticket.customer_id == customer_id, FollowUp.kind == FollowUpKind.revisit,
               FollowUpAttempt.outcome == Outcome.reached)
        .order_by(FollowUpAttempt.created_at.desc()).limit(limit)).all()
    answers = [{"source": "survey", "at": r[0], "score": r[1], "nps": r[2], "solved": None, "comment": r[3],
                "ticket_id": r[4], "reference": r[5]} for r in surveys]
    answers += [{"source": "revisit", "at": r[0], "score": r[1], "nps": None, "solved": r[2], "comment": r[3],
                 "ticket_id": r[4], "reference": r[5]} for r in calls]
    return sorted(answers, key=lambda a: a["at"], reverse=True)[:limit]


def get(followup_id: int) -> FollowUp | None:
    return db.session.get(FollowUp, followup_id)


# ---------------------------------------------------------------- what the policy page offers

def calendar_names() -> list[str]:
    return list(db.session.scalars(select(SlaCalendar.name).order_by(SlaCalendar.name)))


def skill_choices(locale: str) -> list[tuple[str, str]]:
    """Skills in use, as (code, name): a callback may need one of these."""
    return [(s.code, s.label(locale)) for s in db.session.scalars(select(Skill).where(Skill.active).order_by(Skill.code))]


def category_choices(locale: str) -> list[tuple[str, str]]:
    """Every category (one out of use may still be on resolved tickets), as (code, name)."""
    return [(c.code, c.label(locale)) for c in db.session.scalars(select(Category).order_by(Category.position))]

"""Report subscriptions: who gets which report by email, and which are due. The sending is an
action (actions/report_subscriptions.py): it takes the figures from summary.py and hands the
mail to the notifications outbox."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..actors import Actor
from ..auth.models import Team, User
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from .models import Frequency, ReportSubscription
from .queries import require_supervisor

MAX_PER_PERSON = 20


def of(actor: Actor) -> list[ReportSubscription]:
    return list(db.session.scalars(select(ReportSubscription).where(ReportSubscription.user_id == actor.user_id)
                                   .order_by(ReportSubscription.id)))


def create(actor: Actor, frequency: str, team_id: int | None, now: datetime) -> ReportSubscription:
    require_supervisor(actor)
    if frequency not in {f.value for f in Frequency}:
        raise ValidationFailed(_("Choose daily or weekly."), {"fields": {"frequency": ["unknown"]}})
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise ValidationFailed(_("No team with that name."), {"fields": {"team": ["unknown"]}})
    # The person's row, locked: two quick posts (a double click) check one after the other.
    db.session.execute(select(User.id).where(User.id == actor.user_id).with_for_update())
    mine = of(actor)
    if any(s.frequency.value == frequency and s.team_id == team_id for s in mine):
        raise Conflict(_("You already receive this report."), code="already_subscribed")
    if len(mine) >= MAX_PER_PERSON:
        raise Conflict(_("You receive %(n)s reports already: stop one first.", n=len(mine)), code="too_many")
    row = ReportSubscription(user_id=actor.user_id, frequency=Frequency(frequency), team_id=team_id, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def delete(actor: Actor, subscription_id: int) -> None:
    row = db.session.get(ReportSubscription, subscription_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(_("No such report subscription."))
    db.session.delete(row)


def all_ids() -> list[int]:
    return list(db.session.scalars(select(ReportSubscription.id).order_by(ReportSubscription.id)))


def lock(subscription_id: int) -> ReportSubscription | None:
    """The subscription, locked: two workers never mail one period twice."""
    return db.session.scalar(select(ReportSubscription).where(ReportSubscription.id == subscription_id)
                             .with_for_update())

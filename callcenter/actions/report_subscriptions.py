"""Report subscriptions: subscribing, stopping, and mailing each due period once. The figures
are summary.py's for the subscriber, as the page and the API show them; the mail goes through
the outbox (in development it lands there; with SMTP configured it is sent)."""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from ..actors import Actor
from ..auth.models import User
from ..db_types import utcnow
from ..extensions import db
from ..kpi import formulas, mail, subscriptions
from ..kpi.summary import summary
from ..notifications import services as notifications
from . import end_read, unit_of_work

log = logging.getLogger(__name__)


def subscribe(actor: Actor, frequency: str, team_id: int | None, now: datetime | None = None):
    with unit_of_work():
        return subscriptions.create(actor, frequency, team_id, now or utcnow())


def unsubscribe(actor: Actor, subscription_id: int) -> None:
    with unit_of_work():
        subscriptions.delete(actor, subscription_id)


def send_due(now: datetime | None = None) -> int:
    """Mail every subscription whose last whole period has not been mailed; one transaction
    each (a failure leaves the others alone). Safe to run twice: a period is mailed once."""
    now = now or utcnow()
    ids = subscriptions.all_ids()
    end_read()
    sent = 0
    for subscription_id in ids:
        try:
            sent += _send(subscription_id, now)
        except Exception:  # noqa: BLE001 - one subscriber's trouble stops nobody else's report
            log.exception("report subscription %s failed; going on", subscription_id)
    return sent


def _send(subscription_id: int, now: datetime) -> int:
    config = current_app.config
    tz = config["DISPLAY_TIMEZONE"]
    with unit_of_work(durable=True) as fx:
        row = subscriptions.lock(subscription_id)
        if row is None:
            return 0
        start, end = formulas.last_complete_period(now, tz, row.frequency.value)
        if row.last_period_end is not None and row.last_period_end >= end:
            return 0
        user = db.session.get(User, row.user_id)
        actor = Actor.of_user(user)
        if not (user.active and actor.is_supervisor):  # no longer allowed to read the figures
            db.session.delete(row)
            return 0
        team = row.team.name if row.team else None
        figures = summary(actor, start, end, now, formulas.rules_from(config), team=team)
        subject, body = mail.render(figures, name=user.name, team=team, locale=user.locale or "zh_CN", tz=tz,
                                    link=_link(_report_path(team, start, end, tz)),
                                    manage=_link(_path("kpi.subscriptions_page")))
        notifications.queue_email(user.email, subject, body, fx)
        row.last_period_end = end
    return 1


def _link(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _path(endpoint: str, **values) -> str:
    """A page's path from a job (no request here to build it against)."""
    return current_app.url_map.bind("").build(endpoint, {k: v for k, v in values.items() if v is not None})


def _report_path(team: str | None, start: datetime, end: datetime, tz: str) -> str:
    """The report page for the same period and team, where it exists; the wallboard otherwise."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    if "reports.page" not in current_app.view_functions:
        return _path("kpi.wallboard")
    zone = ZoneInfo(tz)
    return _path("reports.page", team=team, **{
        "from": start.astimezone(zone).date().isoformat(),
        "to": (end - timedelta(seconds=1)).astimezone(zone).date().isoformat()})

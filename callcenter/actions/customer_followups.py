"""Follow-up settings staff change on pages: a customer's do-not-call hours, and the desk's
follow-up policy as its admin page sends it."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError

from ..actors import Actor
from ..customers import queries as customer_queries
from ..customers.models import Customer
from ..db_types import utcnow
from ..directory import catalogue
from ..errors import ValidationFailed
from ..followups import service as followups
from ..followups import timing
from ..followups.schemas import PolicySchema
from ..sla.calendar import NeverOpen
from . import unit_of_work
from .followups import save_policy

log = logging.getLogger(__name__)
LONGEST = 60  # Customer.do_not_call's column


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, {"fields": {"do_not_call": [message]}})


def _checked_hours(text: str | None, now: datetime) -> str | None:
    """The hours as stored (spaces dropped), or None for none; refused when they do not read as
    hours, or leave no time inside the desk's opening hours to call (the retries would never
    find one)."""
    cleaned = ",".join(part.replace(" ", "") for part in (text or "").split(",") if part.strip())
    if not cleaned:
        return None
    if len(cleaned) > LONGEST:
        raise _refused(_("At most %(n)s characters.", n=LONGEST))
    try:
        quiet = timing.parse_quiet_hours(cleaned)
    except ValueError:
        raise _refused(_("Give hours like 21:00-09:00; several separated by commas, like 12:00-13:30,21:00-09:00.")) \
            from None
    st = followups.settings()
    try:
        timing.earliest_allowed(now, followups.desk_calendar(st), st.tz, quiet)
    except NeverOpen:
        raise _refused(_("These hours leave no time within our opening hours to call.")) from None
    return cleaned


def set_do_not_call(customer_id: int, text: str | None, actor: Actor, now: datetime | None = None) -> Customer:
    """Staff who may see the customer set the hours nobody calls them in (callbacks, revisits
    and retries keep out of them)."""
    now = now or utcnow()
    with unit_of_work():
        customer = customer_queries.get_visible(customer_id, actor)
        hours = _checked_hours(text, now)
        if hours != customer.do_not_call:
            log.info("customer %s do-not-call hours set to %r by user %s", customer.id, hours, actor.user_id)
            customer.do_not_call = hours
    return customer


def _paths(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as 'revisit_rules.0.sample': [...], as the API reports fields."""
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            out.update(_paths(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: [str(m) for m in (messages if isinstance(messages, list) else [messages])]}


def save_followup_policy(data: dict[str, Any], actor: Actor, now: datetime | None = None) -> followups.Settings:
    """The policy page's save: every value checked at once by the API's schema (each refusal
    named by its field), then saved as the API saves it, which logs it in the set-up log."""
    catalogue.require_admin(actor)
    try:
        changes = PolicySchema().load(data)
    except ValidationError as err:
        raise ValidationFailed(_("Some settings need correcting: see the messages under them."),
                               {"fields": _paths(err.messages)}) from None
    with unit_of_work():
        return save_policy(changes, actor, now=now)

"""SLA policies and calendars (admins write, supervisors read). Inside the caller's transaction
(callcenter/actions/admin.py commits)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..actors import Actor
from ..auth.models import Team, User
from ..db_types import utcnow
from ..directory import log
from ..directory.lookups import known_categories, refused
from ..effects import Effects
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from .models import SlaCalendar, SlaPolicy


def require_reader(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins see SLA settings."))


def require_writer(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only admins change SLA settings."))


def policies(actor: Actor) -> list[SlaPolicy]:
    require_reader(actor)
    return db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)).all()


def calendars(actor: Actor) -> list[SlaCalendar]:
    require_reader(actor)
    return db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)).all()


def save_policy(data: dict, actor: Actor, fx: Effects, policy_id: int | None = None) -> SlaPolicy:
    """Create or replace a policy; it applies to tickets created (or retargeted) afterwards."""
    require_writer(actor)
    policy = SlaPolicy() if policy_id is None else db.session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(_("No such SLA policy."))
    if data["calendar"] != "24x7" and not db.session.scalar(select(SlaCalendar.id).where(
            SlaCalendar.name == data["calendar"])):
        raise ValidationFailed(_("No business calendar with that name."), {"fields": {"calendar": ["unknown"]}})
    category = (data.get("match") or {}).get("category")
    if category:
        known_categories(category if isinstance(category, list) else [category], "match.category")
    targets = data.get("targets") or {}
    if targets.get("resolution_seconds", 0) < targets.get("first_response_seconds", 0):
        raise refused("targets.resolution_seconds",
                      _("The resolution target cannot be shorter than the first-response target."))
    data = {**data, "escalation": _checked_escalation(data.get("escalation", []))}
    for key, value in data.items():
        if key == "match":
            value = {k: v for k, v in value.items() if v not in (None, "", [])}
        setattr(policy, key, value)
    db.session.add(policy)
    db.session.flush()
    log.record(actor, "policy.created" if policy_id is None else "policy.changed", policy.name, utcnow(),
               match=policy.match, calendar=policy.calendar, targets=policy.targets, active=policy.active)
    if policy_id is not None:  # open tickets under it take the new targets
        fx.enqueue("callcenter.sla.jobs.retarget_policy", policy_id, queue="default")
    return policy


def delete_policy(policy_id: int, actor: Actor) -> None:
    """Tickets created afterwards match the next policy; running clocks keep their due times."""
    require_writer(actor)
    policy = db.session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(_("No such SLA policy."))
    log.record(actor, "policy.deleted", policy.name, utcnow())
    db.session.delete(policy)


def _checked_escalation(steps: list[dict]) -> list[dict]:
    """Steps with their targets written the way escalation looks them up ('user:EMAIL' in lower
    case, 'team:NAME' trimmed). A step that hands tickets to nobody would only show up at the
    first breach: it is refused now."""
    out = []
    for step in steps:
        step = dict(step)
        out.append(step)
        if not step.get("reassign_to"):
            continue
        kind, _sep, name = step["reassign_to"].strip().partition(":")
        if kind == "user":
            name = name.strip().lower()
            found = db.session.scalar(select(User.id).where(User.email == name, User.active))
        elif kind == "team":
            name = name.strip()
            found = db.session.scalar(select(Team.id).where(Team.name == name))
        else:
            step["reassign_to"] = kind
            continue
        step["reassign_to"] = f"{kind}:{name}"
        if found is None:
            raise ValidationFailed(_("Escalation level %(level)s hands tickets to %(target)s, who does not exist.",
                                     level=step["level"], target=step["reassign_to"]),
                                   {"fields": {"escalation": [f"level {step['level']}: unknown {kind}"]}})
    return out


def calendar(actor: Actor, calendar_id: int) -> SlaCalendar:
    require_reader(actor)
    row = db.session.get(SlaCalendar, calendar_id)
    if row is None:
        raise NotFound(_("No such business calendar."))
    return row


def save_calendar(data: dict, actor: Actor, fx: Effects, calendar_id: int | None = None) -> SlaCalendar:
    """Create or replace a business calendar; open tickets on an edited calendar get new due
    times. A calendar keeps its name: policies and running clocks refer to it by name, and a
    check racing a rename would read no calendar at all."""
    require_writer(actor)
    row = SlaCalendar() if calendar_id is None else db.session.get(SlaCalendar, calendar_id)
    if row is None:
        raise NotFound(_("No such business calendar."))
    taken = db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == data["name"],
                                                           SlaCalendar.id != (calendar_id or 0)))
    if data["name"] == "24x7" or taken:
        raise ValidationFailed(_("A calendar with that name exists already."), {"fields": {"name": ["taken"]}})
    if calendar_id is not None and data["name"] != row.name:
        raise ValidationFailed(_("A calendar keeps its name: policies and running clocks refer to it. Create a new "
                                 "calendar and point the policies to it instead."), {"fields": {"name": ["fixed"]}})
    row.name, row.tz, row.weekly = data["name"], data["tz"], data["weekly"]
    row.country = (data.get("country") or "").upper() or None
    row.extra_closed = sorted(d.isoformat() for d in data.get("extra_closed", []))
    row.extra_open = {d.isoformat(): h for d, h in sorted(data.get("extra_open", {}).items())}
    db.session.add(row)
    db.session.flush()
    log.record(actor, "calendar.created" if calendar_id is None else "calendar.changed", row.name, utcnow(),
               tz=row.tz, country=row.country, weekly=row.weekly, extra_closed=row.extra_closed,
               extra_open=row.extra_open)
    if calendar_id is not None:
        fx.enqueue("callcenter.sla.jobs.recompute_calendar", row.id, queue="default")
    return row

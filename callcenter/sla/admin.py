"""Managing SLA policies and calendars (admins write, supervisors read). Owns its transactions."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..actors import Actor
from ..errors import Forbidden, NotFound, ValidationFailed
from ..events import enqueue_on_commit
from ..extensions import db
from .models import SlaCalendar, SlaClock, SlaPolicy


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


def save_policy(data: dict, actor: Actor, policy_id: int | None = None) -> SlaPolicy:
    """Create or replace a policy; it applies to tickets created (or retargeted) afterwards."""
    require_writer(actor)
    policy = SlaPolicy() if policy_id is None else db.session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(_("No such SLA policy."))
    if data["calendar"] != "24x7" and not db.session.scalar(select(SlaCalendar.id).where(
            SlaCalendar.name == data["calendar"])):
        raise ValidationFailed(_("No business calendar with that name."), {"fields": {"calendar": ["unknown"]}})
    _check_escalation_targets(data.get("escalation", []))
    for key, value in data.items():
        if key == "match":
            value = {k: v for k, v in value.items() if v not in (None, "", [])}
        setattr(policy, key, value)
    db.session.add(policy)
    if policy_id is not None:  # open tickets under it take the new targets
        enqueue_on_commit("callcenter.sla.jobs.retarget_policy", policy_id, queue="default")
    db.session.commit()
    return policy


def _check_escalation_targets(steps: list[dict]) -> None:
    """A step that hands tickets to nobody would only show up at the first breach: refuse it now."""
    from ..auth.models import Team, User

    for step in steps:
        kind, _sep, name = (step.get("reassign_to") or "supervisor").partition(":")
        if kind == "user":
            found = db.session.scalar(select(User.id).where(User.email == name.strip().lower(), User.active))
        elif kind == "team":
            found = db.session.scalar(select(Team.id).where(Team.name == name.strip()))
        else:
            continue
        if found is None:
            raise ValidationFailed(_("Escalation level %(level)s hands tickets to %(target)s, who does not exist.",
                                     level=step["level"], target=step["reassign_to"]),
                                   {"fields": {"escalation": [f"level {step['level']}: unknown {kind}"]}})


def calendar(actor: Actor, calendar_id: int) -> SlaCalendar:
    require_reader(actor)
    row = db.session.get(SlaCalendar, calendar_id)
    if row is None:
        raise NotFound(_("No such business calendar."))
    return row


def save_calendar(data: dict, actor: Actor, calendar_id: int | None = None) -> SlaCalendar:
    """Create or replace a business calendar. Policies and clocks name their calendar, so a
    rename follows through to them; open tickets on an edited calendar get new due times."""
    require_writer(actor)
    row = SlaCalendar() if calendar_id is None else db.session.get(SlaCalendar, calendar_id)
    if row is None:
        raise NotFound(_("No such business calendar."))
    taken = db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == data["name"],
                                                           SlaCalendar.id != (calendar_id or 0)))
    if data["name"] == "24x7" or taken:
        raise ValidationFailed(_("A calendar with that name exists already."), {"fields": {"name": ["taken"]}})
    old_name = row.name
    row.name, row.tz, row.weekly, row.country = data["name"], data["tz"], data["weekly"], data.get("country") or None
    row.extra_closed = sorted(d.isoformat() for d in data.get("extra_closed", []))
    row.extra_open = {d.isoformat(): h for d, h in sorted(data.get("extra_open", {}).items())}
    db.session.add(row)
    if calendar_id is not None:
        if old_name != row.name:
            db.session.execute(update(SlaPolicy).where(SlaPolicy.calendar == old_name).values(calendar=row.name))
            db.session.execute(update(SlaClock).where(SlaClock.calendar == old_name).values(calendar=row.name))
        enqueue_on_commit("callcenter.sla.jobs.recompute_calendar", row.id, queue="default")
    db.session.commit()
    return row

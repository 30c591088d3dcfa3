"""Managing SLA policies and calendars (admins write, supervisors read). Owns its transactions."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..actors import Actor
from ..errors import Forbidden, NotFound, ValidationFailed
from ..events import enqueue_on_commit
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


def save_policy(data: dict, actor: Actor, policy_id: int | None = None) -> SlaPolicy:
    """Create or replace a policy; it applies to tickets created (or retargeted) afterwards."""
    require_writer(actor)
    policy = SlaPolicy() if policy_id is None else db.session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(_("No such SLA policy."))
    if data["calendar"] != "24x7" and not db.session.scalar(select(SlaCalendar.id).where(
            SlaCalendar.name == data["calendar"])):
        raise ValidationFailed(_("No business calendar with that name."), {"fields": {"calendar": ["unknown"]}})
    for key, value in data.items():
        if key == "match":
            value = {k: v for k, v in value.items() if v not in (None, "", [])}
        setattr(policy, key, value)
    db.session.add(policy)
    if policy_id is not None:  # open tickets under it take the new targets
        enqueue_on_commit("callcenter.sla.jobs.retarget_policy", policy_id, queue="default")
    db.session.commit()
    return policy


def save_calendar(data: dict, actor: Actor) -> SlaCalendar:
    require_writer(actor)
    if data["name"] == "24x7" or db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == data["name"])):
        raise ValidationFailed(_("A calendar with that name exists already."), {"fields": {"name": ["taken"]}})
    row = SlaCalendar(name=data["name"], tz=data["tz"], weekly=data["weekly"], country=data.get("country"),
                      extra_closed=[d.isoformat() for d in data.get("extra_closed", [])],
                      extra_open={d.isoformat(): h for d, h in data.get("extra_open", {}).items()})
    db.session.add(row)
    db.session.commit()
    return row

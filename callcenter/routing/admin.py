"""Routing rules (admins write, supervisors read) and the queue view. Inside the caller's
transaction (callcenter/actions/admin.py commits)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..actors import Actor
from ..db_types import utcnow
from ..directory import log
from ..directory.lookups import known_categories, known_skills, team_by_name
from ..effects import Effects
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..tickets import labels
from ..tickets.models import Ticket
from . import engine, service
from .models import RoutingRule


def _admin_only(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only admins change routing rules."))


def require_reader(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins see routing rules."))


def list_rules(actor: Actor) -> list[RoutingRule]:
    require_reader(actor)
    return db.session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)).all()


def save_rule(data: dict, actor: Actor, fx: Effects, rule_id: int | None = None) -> RoutingRule:
    """Create or replace a rule. Tickets created afterwards use it; the queue is re-swept."""
    _admin_only(actor)
    rule = RoutingRule() if rule_id is None else db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(_("No such routing rule."))
    rule.name = data["name"].strip()
    rule.match = {k: v for k, v in (data.get("match") or {}).items() if v not in (None, "", [])}
    if "category" in rule.match:  # every reference must exist: a typo would route nowhere
        codes = rule.match["category"] if isinstance(rule.match["category"], list) else [rule.match["category"]]
        known_categories(codes, "match.category")
    rule.skills = known_skills(dict(data.get("skills") or {}))
    rule.team = team_by_name(data["team"]) if (data.get("team") or "").strip() else None
    rule.priority = data.get("priority") or None
    rule.position = data.get("position", 100)
    rule.active = data.get("active", True)
    rule.updated_at = utcnow()
    db.session.add(rule)
    db.session.flush()
    log.record(actor, "rule.created" if rule_id is None else "rule.changed", rule.name, rule.updated_at,
               match=rule.match, skills=rule.skills, team=rule.team.name if rule.team else None,
               priority=rule.priority, active=rule.active)
    service.request_sweep(fx)
    return rule


def delete_rule(rule_id: int, actor: Actor, fx: Effects) -> None:
    _admin_only(actor)
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(_("No such routing rule."))
    log.record(actor, "rule.deleted", rule.name, utcnow())
    db.session.delete(rule)
    service.request_sweep(fx)


def queue(actor: Actor, now: datetime | None = None) -> list[dict]:
    """The waiting queue in serving order, with each ticket's wait, score and why it waits."""
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and admins see the whole queue."))
    now = now or utcnow()
    facts = sorted(service.waiting_facts(), key=lambda t: (-engine.score(t, now), t.waiting_since, t.id))
    tickets = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_([f.id for f in facts])))}
    rows = []
    for f in facts:
        t = tickets[f.id]
        rows.append({
            "ticket_id": f.id, "reference": t.reference, "subject": t.subject, "priority": f.priority,
            "tier": f.tier, "team": t.team.name if t.team else None, "required_skills": dict(f.required_skills),
            "language": f.language, "wait_seconds": int((now - f.waiting_since).total_seconds()),
            "score": round(engine.score(f, now), 1), "widening": max(t.routing_widening, 0),
            "handed_back": f.handed_back, "waiting_reason": t.waiting_reason,
            "waiting_reason_text": labels.waiting_reason(t.waiting_reason),
        })
    return rows

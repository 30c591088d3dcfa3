"""Setting up the desk (admins): staff, teams, skills, categories. Each change is logged;
deactivating someone hands all their open work on in the same transaction."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..actors import Actor
from ..agents import services as agents
from ..auth.models import Role, Skill, Team, User
from ..console.rooms import disconnect_all, follow_role_change, follow_team_change, rooms_for, ticket_summary
from ..db_types import utcnow
from ..directory import catalogue, log, staff
from ..directory.lookups import refused
from ..effects import Effects
from ..extensions import db
from ..followups import service as followups
from ..notifications import services as notify
from ..routing import offers
from ..routing import service as routing
from ..tickets import changes, lifecycle
from ..tickets.models import Category, Status, Ticket
from . import unit_of_work
from .assignment import give
from .status import change_status


def save_team(data: dict, actor: Actor, team_id: int | None = None, now: datetime | None = None) -> Team:
    with unit_of_work():
        return catalogue.save_team(data, actor, now or utcnow(), team_id)


def save_skill(data: dict, actor: Actor, code: str | None = None, now: datetime | None = None) -> Skill:
    with unit_of_work():
        return catalogue.save_skill(data, actor, now or utcnow(), code)


def save_category(data: dict, actor: Actor, code: str | None = None, now: datetime | None = None) -> Category:
    with unit_of_work():
        return catalogue.save_category(data, actor, now or utcnow(), code)


def create_user(data: dict, actor: Actor, now: datetime | None = None) -> tuple[User, str]:
    """A new colleague and the one-time token of the link that lets them set a password."""
    now = now or utcnow()
    catalogue.require_admin(actor)
    with unit_of_work() as fx:
        user = staff.create(data)
        token = staff.issue_link(user, now)
        _mail_link(user, fx)
        log.record(actor, "user.created", user.email, now, **staff.snapshot(user))
    return user, token


def _mail_link(user: User, fx: Effects) -> None:
    """When mail is set up, the link also goes to the person (a copy of their own)."""
    if current_app.config["MAIL_BACKEND"] != "log":
        notify.password_link(user.email, user.name, "zh_CN" if "zh" in (user.languages or []) else "en", fx)


def update_user(user_id: int, data: dict, actor: Actor, now: datetime | None = None) -> User:
    now = now or utcnow()
    catalogue.require_admin(actor)
    with unit_of_work() as fx:
        user = agents.locked_agent(user_id)
        teams_before, was_supervisor = set(user.team_ids), user.is_supervisor
        changed = staff.update(user, data, actor)
        if changed:
            log.record(actor, "user.changed", user.email, now, changes=changed)
        if set(user.team_ids) != teams_before:
            fx.call(follow_team_change, user.id, teams_before, set(user.team_ids))
        if user.is_supervisor != was_supervisor:  # open consoles join or leave the supervisors' room
            fx.call(follow_role_change, user.id, was_supervisor, user.is_supervisor)
    return user


def reset_password(user_id: int, actor: Actor, now: datetime | None = None) -> tuple[User, str]:
    """A fresh one-time link; the current password keeps working until the link is used."""
    now = now or utcnow()
    catalogue.require_admin(actor)
    with unit_of_work() as fx:
        user = staff.get(user_id)
        if not user.active:
            raise refused("user", _("Reactivate the account before resetting its password."))
        token = staff.issue_link(user, now)
        _mail_link(user, fx)
        log.record(actor, "user.password_link", user.email, now)
    return user, token


def set_password(token: str, password: str, now: datetime | None = None) -> User:
    with unit_of_work():
        return staff.redeem_link(token, password, now or utcnow())


def deactivate_user(user_id: int, actor: Actor, *, hand_to: int | None = None,
                    now: datetime | None = None) -> dict[str, list[int]]:
    """The account stops working and every open ticket and offer it held moves on, all in one
    transaction: to a named colleague, or back to the queue. Nothing is left without an owner."""
    now = now or utcnow()
    catalogue.require_admin(actor)
    if hand_to is not None and not 0 < hand_to < 2**31:  # no such id can exist (nor be queried)
        raise refused("hand_to", _("Hand the work to an active agent or supervisor."))
    with unit_of_work() as fx:
        # Lock order as everywhere: the tickets (in id order), then the agents (in id order).
        held = _open_tickets_of(user_id)
        routing.lock_agents([user_id, hand_to])
        # Giving a ticket to someone takes their row lock, which this transaction now holds: a
        # ticket given to the person while the first read waited is found by this second one.
        held += [t for t in _open_tickets_of(user_id) if t.id not in {h.id for h in held}]
        user = staff.get(user_id)
        colleague = _colleague(hand_to, user) if hand_to else None
        staff.deactivate(user, actor, now)
        offered = offers.withdraw_for_agent(user.id, now, fx)
        calls = followups.hand_back_held(user, "agent_deactivated", now, fx)
        for ticket in held:
            if colleague is not None:
                give(ticket, colleague, actor, now, fx, rule="deactivated", previous=user.email)
            else:
                _back_to_queue(ticket, user, actor, now, fx)
        if held and colleague is None:
            routing.request_sweep(fx)
        log.record(actor, "user.deactivated", user.email, now, tickets=[t.id for t in held], offers=offered,
                   followups=calls, handed_to=colleague.email if colleague else None)
        fx.call(disconnect_all, user.id)  # their open consoles hear nothing more
    return {"tickets": [t.id for t in held], "offers": offered, "followups": calls}


def _open_tickets_of(user_id: int) -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).where(
        Ticket.assignee_id == user_id, Ticket.status.in_([Status(s) for s in lifecycle.OPEN_STATUSES]))
        .order_by(Ticket.id).with_for_update(key_share=True).execution_options(populate_existing=True)))


def _colleague(user_id: int, leaving: User) -> User:
    colleague = db.session.get(User, user_id, populate_existing=True)
    if (colleague is None or not colleague.active or colleague.id == leaving.id
            or colleague.role not in (Role.agent, Role.supervisor)):
        raise refused("hand_to", _("Hand the work to an active agent or supervisor."))
    return colleague


def _back_to_queue(ticket: Ticket, user: User, actor: Actor, now: datetime, fx: Effects) -> None:
    previous_rooms = rooms_for(ticket)
    changes.mark_handed_back(ticket, user, now, reason="agent_deactivated", actor=actor)
    if ticket.status.value != lifecycle.NEW:
        change_status(ticket, lifecycle.NEW, actor, now, fx, reason="agent_deactivated")
    fx.emit("ticket.updated", ticket_summary(ticket, "handed_back", now), previous_rooms)


def reactivate_user(user_id: int, actor: Actor, now: datetime | None = None) -> User:
    now = now or utcnow()
    catalogue.require_admin(actor)
    with unit_of_work():
        user = staff.get(user_id)
        user.active = True
        log.record(actor, "user.reactivated", user.email, now)
    return user


def ensure_catalogue(teams: list[str], skills: list[str]) -> tuple[list[str], list[str]]:
    """Teams and skills created if missing, for an operator's explicit act (the CLI, the demo):
    the names created."""
    with unit_of_work():
        created_teams = [name for name in teams if name.strip() and catalogue.ensure_team(name)[1]]
        return created_teams, catalogue.ensure_skills(skills)

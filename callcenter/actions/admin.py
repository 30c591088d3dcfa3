"""Configuration kept as data: routing rules, SLA policies and business calendars (admins).
A change applies to tickets created afterwards; an edit moves the open tickets it governs."""
from __future__ import annotations

from ..actors import Actor
from ..routing import admin as routing_admin
from ..routing.models import RoutingRule
from ..sla import admin as sla_admin
from ..sla.models import SlaCalendar, SlaPolicy
from . import unit_of_work


def save_rule(data: dict, actor: Actor, rule_id: int | None = None) -> RoutingRule:
    with unit_of_work() as fx:
        return routing_admin.save_rule(data, actor, fx, rule_id)


def delete_rule(rule_id: int, actor: Actor) -> None:
    with unit_of_work() as fx:
        routing_admin.delete_rule(rule_id, actor, fx)


def save_policy(data: dict, actor: Actor, policy_id: int | None = None) -> SlaPolicy:
    with unit_of_work() as fx:
        return sla_admin.save_policy(data, actor, fx, policy_id)


def delete_policy(policy_id: int, actor: Actor) -> None:
    with unit_of_work():
        sla_admin.delete_policy(policy_id, actor)


def save_calendar(data: dict, actor: Actor, calendar_id: int | None = None) -> SlaCalendar:
    with unit_of_work() as fx:
        return sla_admin.save_calendar(data, actor, fx, calendar_id)

"""Codes the set-up stores, in the words of the page's language: match conditions, skill levels,
escalation targets, SLA targets on their calendar. Pages call these from templates; the
catalogue they need (categories, skills, staff, calendars) is read once per request, and only
by a page that shows such a thing."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, g
from flask_babel import get_locale
from flask_babel import gettext as _

from .directory import lookups
from .durations import day_length
from .sla.calendars import calendar_named
from .tickets import labels

SEPARATOR = " · "


def _read_once(key: str, load: Callable[[], Any]) -> Any:
    cache = g.setdefault("page_words", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


def _locale() -> str:
    return str(get_locale())


def category_name(code: str) -> str:
    return _read_once("categories", lambda: lookups.category_labels(_locale())).get(code, code)


def skill_name(code: str) -> str:
    return _read_once("skills", lambda: lookups.skill_labels(_locale())).get(code, code)


def _values(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def conditions(match: Mapping[str, Any] | None) -> str:
    """{"kind": "complaint", "tier": "VIP"} -> 'Complaint · VIP customers'; {} -> 'Every ticket'."""
    words = []
    for key, value in (match or {}).items():
        values = _values(value)
        if key == "kind":
            words.append(" / ".join(labels.kind(v) for v in values))
        elif key == "tier":
            words.append(labels.tiers(values))
        elif key == "priority":
            words.append(_("Priority %(priority)s", priority=" / ".join(values)))
        elif key == "channel":
            words.append(" / ".join(labels.channel(v) for v in values))
        elif key == "category":
            words.append(_("Category: %(names)s", names=" / ".join(category_name(v) for v in values)))
        elif key == "language":
            words.append(_("Language: %(language)s", language=" / ".join(labels.language(v) for v in values)))
        elif key == "keywords":
            words.append(_("Mentions: %(words)s", words=", ".join(f"“{v}”" for v in values)))
        else:
            words.append(f"{key}: {', '.join(values)}")
    return SEPARATOR.join(words) or _("Every ticket")


def skills(levels: Mapping[str, int] | None, language: str | None = None) -> str:
    """{"billing": 3}, "zh" -> 'Billing level 3 · 中文'; nothing -> '—'."""
    words = [f"{skill_name(code)} {_('level %(n)s', n=level)}" for code, level in (levels or {}).items()]
    if language:
        words.append(labels.language(language))
    return SEPARATOR.join(words) or "—"


def escalation_target(value: str | None) -> str:
    """'user:EMAIL' -> the person's name: labels' words, with the staff's names read once."""
    if (value or "").startswith("user:"):
        return labels.escalation_target(value, _read_once("staff", lookups.staff_names))
    return labels.escalation_target(value)


def business_day(calendar: str) -> int | None:
    """Seconds in one open day of this calendar, when all its open days are as long."""
    days = _read_once("days", dict)
    if calendar not in days:
        cal = calendar_named(calendar)
        days[calendar] = None if cal.always_open else day_length(cal.weekly)
    return days[calendar]


def sla_target(seconds: int, calendar: str = "24x7") -> str:
    return labels.sla_target(seconds, business_day(calendar))


def register(app: Flask) -> None:
    @app.context_processor
    def page_words() -> dict:
        return {"conditions": conditions, "skills_in_words": skills, "skill_name": skill_name, "escalation_target": escalation_target,
                "sla_target": sla_target, "category_name": category_name, "tier_label": labels.tier,
                "language_label": labels.language, "actor_label": labels.actor, "span": labels.span}

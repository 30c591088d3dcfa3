"""Routing rules as data: does a rule's match fit a ticket? Pure."""
from __future__ import annotations

from typing import Any, Mapping

MATCH_KEYS = ("kind", "category", "channel", "tier", "language", "priority", "keywords")


def _as_set(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, (list, tuple, set, frozenset)):
        return {str(v).lower() for v in value}
    return {str(value).lower()}


def matches(match: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Every key given in the rule must fit; a key may list several accepted values.

    'keywords' fits when any of them appears in the ticket's subject or description.
    """
    for key, wanted in match.items():
        if key == "keywords":
            text = f"{facts.get('subject', '')} {facts.get('description', '')}".lower()
            if not any(word in text for word in _as_set(wanted)):
                return False
        elif key in MATCH_KEYS:
            if str(facts.get(key) or "").lower() not in _as_set(wanted):
                return False
        else:
            return False  # an unknown key never matches: safer than ignoring it
    return True


def first_match(rules, facts: Mapping[str, Any]):
    """The first active rule by position whose match fits, or None."""
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        if rule.active and matches(rule.match or {}, facts):
            return rule
    return None

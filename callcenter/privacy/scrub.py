"""Removing a person's name, phone numbers and emails from text someone else wrote. Pure.

An agent's reply may say "刘洋您好，我们会打 138 0013 8000 联系您": erasing the customer removes
those words wherever they appear, however the number was spaced.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

ERASED = "[erased]"
_SEPARATORS = r"[\s\-().]*"


def _phone_pattern(digits: str) -> str:
    """The digits with any separators between them, with or without +86 / 0086 in front."""
    body = _SEPARATORS.join(re.escape(d) for d in digits)
    return rf"(?:(?:\+|00)?86{_SEPARATORS})?{body}"


def pattern_for(names: Iterable[str | None], phones: Iterable[str | None], emails: Iterable[str | None]):
    """One regex matching every given identifier (phones by their normalised digits); None if none."""
    parts = []
    for phone in {p for p in phones if p and len(p) >= 5}:
        parts.append(_phone_pattern(phone))
    for text in {t.strip() for t in [*names, *emails] if t and len(t.strip()) >= 2}:
        parts.append(re.escape(text))
    if not parts:
        return None
    parts.sort(key=len, reverse=True)  # longest first, so a name inside an email goes with it
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub(value: Any, pattern) -> Any:
    """The value with every match replaced; strings inside lists and dicts too."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, pattern) for k, v in value.items()}
    return value

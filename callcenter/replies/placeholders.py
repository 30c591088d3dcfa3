"""Filling a canned response's placeholders. Pure: plain strings in, plain strings out.

A placeholder is a name in braces, {customer_name}. Rendering replaces each known one that has
a value, in one pass (a value that itself looks like a placeholder is never expanded again).
Anything else stays as it was written: an unknown name ({custmer_name}) or a known one with no
value for this ticket (no open promise: {promise_due}) stays visible in the reply, so the agent
notices it before sending.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

KNOWN = ("customer_name", "reference", "agent_name", "promise_due")
PATTERN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]  # placeholders left as written (unknown, or no value here), in order, once each


def names(template: str) -> list[str]:
    """The placeholder names a text uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in PATTERN.finditer(template):
        seen.setdefault(match.group(1), None)
    return list(seen)


def unknown(template: str, known: tuple[str, ...] = KNOWN) -> list[str]:
    """The names a text uses that are not placeholders at all (typos, mostly)."""
    return [name for name in names(template) if name not in known]


def render(template: str, values: Mapping[str, str | None], known: tuple[str, ...] = KNOWN) -> Rendered:
    missing: dict[str, None] = {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name) if name in known else None
        if value is None or value == "":
            missing.setdefault(name, None)
            return match.group(0)
        return value

    return Rendered(PATTERN.sub(fill, template), tuple(missing))

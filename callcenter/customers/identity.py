"""Which customer record a ticket may speak for, and with what privileges. Pure."""
from __future__ import annotations

from dataclasses import dataclass

# Sources whose word about who is writing is taken: staff logging a call, a staff member's
# or integration's API token. The public form, a customer's reply and inbound email are not.
TRUSTED_SOURCES = frozenset({"agent", "system"})


def effective_tier(tier: str | None, verified: bool) -> str:
    """A customer's tier counts for a ticket only when the ticket was linked to them by a
    trusted source or confirmed by staff; otherwise the ticket is treated as tier C."""
    return tier if (verified and tier) else "C"


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    matched_on: tuple[str, ...]  # ('phone',), ('email',) or both


def best_candidate(candidates: list[Candidate]) -> Candidate | None:
    """For a trusted source linking automatically: the record matching the most identifiers,
    the oldest first (the record the desk has known longest)."""
    if not candidates:
        return None
    return sorted(candidates, key=lambda c: (-len(c.matched_on), c.customer_id))[0]

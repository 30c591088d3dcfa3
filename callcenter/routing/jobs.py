"""RQ jobs for routing: thin, taking ids, safe to run twice (each re-reads and re-checks)."""
from __future__ import annotations

import logging

from ..actions import routing
from ..jobs import app_job

log = logging.getLogger(__name__)
# What a sweep changed; "waiting" is only a count, and most sweeps change nothing.
_DID = ("assigned", "handed_back", "offers_expired", "noted")


@app_job
def route_ticket(ticket_id: int) -> int | None:
    return routing.route_ticket(ticket_id)


@app_job
def route_for_agent(agent_id: int) -> list[int]:
    return routing.route_for_agent(agent_id)


@app_job
def sweep() -> dict:
    result = routing.sweep()
    if any(result.get(key) for key in _DID):  # a routine sweep says nothing
        log.info("routing sweep: %s; %d still waiting",
                 ", ".join(f"{key.replace('_', ' ')} {result[key]}" for key in _DID if result.get(key)),
                 result.get("waiting", 0))
    return result


@app_job
def expire_offer(offer_id: int) -> str:
    return routing.expire_offer(offer_id)

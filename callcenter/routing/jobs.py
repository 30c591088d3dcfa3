"""RQ jobs for routing: thin, taking ids, safe to run twice (each re-reads and re-checks)."""
from __future__ import annotations

from ..actions import routing
from ..jobs import app_job


@app_job
def route_ticket(ticket_id: int) -> int | None:
    return routing.route_ticket(ticket_id)


@app_job
def route_for_agent(agent_id: int) -> list[int]:
    return routing.route_for_agent(agent_id)


@app_job
def sweep() -> dict:
    return routing.sweep()


@app_job
def expire_offer(offer_id: int) -> str:
    return routing.expire_offer(offer_id)

"""RQ jobs for routing: thin, taking ids, safe to run twice (each re-reads and re-checks)."""
from __future__ import annotations

from ..jobs import app_job
from . import service


@app_job
def route_ticket(ticket_id: int) -> int | None:
    return service.route_ticket(ticket_id)


@app_job
def route_for_agent(agent_id: int) -> list[int]:
    return service.route_for_agent(agent_id)


@app_job
def sweep() -> dict:
    return service.sweep()


@app_job
def expire_offer(offer_id: int) -> str:
    from . import offers

    return offers.expire(offer_id)

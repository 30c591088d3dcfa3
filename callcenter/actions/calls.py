"""A call put through to an agent: recorded, and the screen pop on their console at once."""
from __future__ import annotations

from datetime import datetime

from ..actors import Actor
from ..calls import service as calls
from ..console.rooms import user_room
from ..db_types import utcnow
from . import unit_of_work


def screen_pop(caller: str, agent_id: int | None, called: str | None, actor: Actor,
               now: datetime | None = None) -> dict:
    now = now or utcnow()
    with unit_of_work() as fx:
        agent = calls.taker(agent_id, actor)
        call = calls.record(caller, called, agent, now)
        # What the agent taking the call may see decides what is named (no other team's ticket).
        found = calls.matches(call, Actor.of_user(agent) if agent else actor)
        if agent is not None:
            fx.emit("call.screen_pop", {"call_id": call.id, "caller": call.caller, "called": call.called,
                                        "agent_id": agent.id, "matches": found}, [user_room(agent.id)])
        return {"id": call.id, "caller": call.caller, "called": call.called,
                "agent_id": agent.id if agent else None, "matches": found}

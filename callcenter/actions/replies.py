"""Canned responses: an agent's own, a team's, the site's. Each change is one unit of work."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..actors import Actor
from ..db_types import utcnow
from ..replies import service as replies
from ..replies.models import CannedResponse
from . import unit_of_work


def create_canned(data: dict[str, Any], actor: Actor, now: datetime | None = None) -> CannedResponse:
    now = now or utcnow()
    with unit_of_work():
        return replies.create(data, actor, now)


def update_canned(response_id: int, data: dict[str, Any], actor: Actor, now: datetime | None = None) -> CannedResponse:
    now = now or utcnow()
    with unit_of_work():
        return replies.update(response_id, data, actor, now)


def delete_canned(response_id: int, actor: Actor) -> None:
    with unit_of_work():
        replies.delete(response_id, actor)

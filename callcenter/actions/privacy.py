"""Personal data: export, erasure, retention (docs/PRIVACY.md). Each is audited in privacy_log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..actors import Actor
from ..db_types import utcnow
from ..privacy import services as privacy
from . import unit_of_work


def export_customer(customer_id: int, actor: Actor) -> dict[str, Any]:
    with unit_of_work():
        return privacy.export_customer(customer_id, actor)


def erase_customer(customer_id: int, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    with unit_of_work():
        return privacy.erase_customer(customer_id, actor, now or utcnow())


def retention(now: datetime, days: int) -> int:
    """Anonymise closed tickets past the retention period, a batch per transaction until none is left."""
    total = 0
    while True:
        with unit_of_work(durable=True):
            done = privacy.retention_sweep(now, days)
        total += done
        if not done:
            return total

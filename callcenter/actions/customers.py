"""Customer records changed by staff."""
from __future__ import annotations

from ..actors import Actor
from ..customers import services as customers
from ..customers.models import Customer
from . import unit_of_work


def set_tier(customer_id: int, tier: str, actor: Actor) -> Customer:
    """Supervisors and admins set a customer's tier; it counts for tickets linked from now on."""
    with unit_of_work():
        return customers.set_tier(customer_id, tier, actor)

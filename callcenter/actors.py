"""Who is acting: a staff user, a customer on their status page, or the system."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    kind: str  # "agent" (any staff user), "customer" or "system"
    name: str
    user_id: int | None = None
    role: str | None = None
    team_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of_user(cls, user) -> "Actor":
        return cls(kind="agent", name=user.name, user_id=user.id, role=getattr(user.role, "value", user.role),
                   team_ids=frozenset(user.team_ids))

    @classmethod
    def customer(cls, name: str) -> "Actor":
        return cls(kind="customer", name=name)

    @property
    def is_staff(self) -> bool:
        return self.kind == "agent"

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor(kind="system", name="system")
# An operator at the command line (flask --app wsgi ...): may do what an admin may.
CLI = Actor(kind="system", name="command line", role="admin")

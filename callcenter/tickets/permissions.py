"""Who may see and change which ticket. Pure."""
from __future__ import annotations

from collections.abc import Collection

from ..actors import Actor


def can_change(actor: Actor, team_id: int | None, assignee_id: int | None) -> bool:
    """Supervisors and admins change everything; an agent their teams' tickets and their own."""
    if actor.kind == "system" or actor.is_supervisor:
        return True
    if not actor.is_staff:
        return False
    return (team_id is not None and team_id in actor.team_ids) or (
        assignee_id is not None and assignee_id == actor.user_id
    )


def can_view(actor: Actor, team_id: int | None, assignee_id: int | None, followers: Collection[int] = ()) -> bool:
    """Whoever may change a ticket sees it; so do its followers (who logged it or made a promise
    on it), wherever it was routed since: following lets them read, not change."""
    return can_change(actor, team_id, assignee_id) or (actor.is_staff and actor.user_id in followers)


def can_assign(actor: Actor, target_user_id: int, current_assignee_id: int | None = None) -> bool:
    """Agents may take an unassigned ticket for themselves; supervisors may give any to anyone."""
    if actor.is_supervisor or actor.kind == "system":
        return True
    return (actor.is_staff and actor.user_id == target_user_id
            and current_assignee_id in (None, actor.user_id))

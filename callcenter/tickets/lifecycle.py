"""The ticket state machine, as data. Pure: no Flask, no SQLAlchemy."""
from __future__ import annotations

NEW, ASSIGNED, IN_PROGRESS, PENDING, RESOLVED, CLOSED, CANCELLED = (
    "new", "assigned", "in_progress", "pending_customer", "resolved", "closed", "cancelled",
)
STATUSES = (NEW, ASSIGNED, IN_PROGRESS, PENDING, RESOLVED, CLOSED, CANCELLED)
OPEN_STATUSES = frozenset({NEW, ASSIGNED, IN_PROGRESS, PENDING})  # work still to do
DONE_STATUSES = frozenset({RESOLVED, CLOSED, CANCELLED})  # the work is over (a resolved one may reopen)
FINAL_STATUSES = frozenset({CLOSED, CANCELLED})  # nothing changes any more
# A ticket is resolved or closed only once every promise to the customer is kept or cancelled:
# otherwise a promise is left open on finished work, or breaks after it.
PROMISES_SETTLED_BEFORE = frozenset({RESOLVED, CLOSED})
# What counts against an agent's capacity: tickets they hold and must act on. A ticket
# waiting on the customer frees its seat until the customer answers.
LOAD_STATUSES = frozenset({ASSIGNED, IN_PROGRESS})

# Moves a person may ask for through /transitions. Entering "assigned" is done by
# assigning someone, never by a bare transition, so it is absent here.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (IN_PROGRESS, CANCELLED),
    ASSIGNED: (IN_PROGRESS, PENDING, RESOLVED, CANCELLED),
    IN_PROGRESS: (PENDING, RESOLVED, CANCELLED),
    PENDING: (IN_PROGRESS, RESOLVED, CANCELLED),
    RESOLVED: (IN_PROGRESS, CLOSED),
    CLOSED: (),
    CANCELLED: (),
}

# Statuses in which (re)assigning is allowed and what status it leaves.
ASSIGNABLE = frozenset({NEW, ASSIGNED, IN_PROGRESS, PENDING})

COMPLAINT_CLOSE_FIELDS = ("resolution_summary", "root_cause", "responsible_department")


# Moves the desk makes by itself, never asked for through /transitions: an assignment (a new
# or reassigned ticket waits for its owner to start it), a hand-back to the queue, and the
# return to the queue of every open ticket whose owner was deactivated.
# A service recovery (a bad revisit or survey answer) reopens a ticket even once it closed.
AUTOMATIC_MOVES = frozenset({(NEW, ASSIGNED), (IN_PROGRESS, ASSIGNED), (ASSIGNED, NEW),
                             (IN_PROGRESS, NEW), (PENDING, NEW), (CLOSED, IN_PROGRESS)})


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def can_transition(current: str, target: str) -> bool:
    return target in allowed_transitions(current)


def can_move(current: str, target: str) -> bool:
    """Any status change at all: one a person may ask for, or one the desk makes itself."""
    return can_transition(current, target) or (current, target) in AUTOMATIC_MOVES


def is_reopen(current: str, target: str) -> bool:
    return current in (RESOLVED, CLOSED) and target == IN_PROGRESS


def status_after_assignment(current: str) -> str:
    """A newly (re)assigned ticket waits for its new owner to start it, except
    one that waits on the customer, which keeps waiting."""
    return PENDING if current == PENDING else ASSIGNED


def status_after_agent_reply(current: str) -> str:
    """An agent's public reply starts work on a ticket that was not started."""
    return IN_PROGRESS if current in (NEW, ASSIGNED) else current


def status_after_customer_reply(current: str) -> tuple[str, bool]:
    """A customer's reply resumes a ticket waiting on them and reopens a resolved one.

    Returns the new status and whether it counts as a reopen.
    """
    if current == PENDING:
        return IN_PROGRESS, False
    if current == RESOLVED:
        return IN_PROGRESS, True
    return current, False


def missing_close_fields(kind: str, values: dict[str, str | None]) -> list[str]:
    """A complaint may only close with its resolution, root cause and department recorded."""
    if kind != "complaint":
        return []
    return [f for f in COMPLAINT_CLOSE_FIELDS if not (values.get(f) or "").strip()]


PROGRESS_STEPS = (NEW, ASSIGNED, IN_PROGRESS, RESOLVED, CLOSED)


def progress_step(status: str) -> int:
    """Where a status sits on the customer's progress bar (-1: not on it, e.g. cancelled).
    Waiting on the customer shows as in progress."""
    if status == PENDING:
        status = IN_PROGRESS
    return PROGRESS_STEPS.index(status) if status in PROGRESS_STEPS else -1

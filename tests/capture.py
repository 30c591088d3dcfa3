"""What an action set off, captured as it runs after the commit, with exact counts (Zulip's
capture_send_event_calls, for socket events and jobs). Each event's payload is checked against
its schema and round-tripped through JSON at the call site."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from callcenter import events
from callcenter.event_schemas import errors as schema_errors


@dataclass
class Captured:
    emits: list = field(default_factory=list)  # (name, payload, rooms)
    jobs: list = field(default_factory=list)  # (func, args)

    def names(self) -> list[str]:
        return [name for name, _payload, _rooms in self.emits]


@contextmanager
def capture(emits: int | None = None, jobs: int | None = None):
    """Record every side effect that runs after a commit inside the block. emits / jobs: the
    exact numbers expected (checked on leaving the block)."""
    seen = Captured()
    real = events._run

    def spy(batch):
        for item in batch:
            if isinstance(item, events.PendingEmit):
                payload = {**item.payload, "seq": 1}
                problems = schema_errors(item.name, payload)
                assert not problems, f"{item.name} breaks its schema: {problems}"
                assert json.loads(json.dumps(item.payload)) == item.payload, f"{item.name} is not plain JSON"
                seen.emits.append((item.name, item.payload, list(item.rooms)))
            elif isinstance(item, events.PendingJob):
                seen.jobs.append((item.func, item.args))
        real(batch)

    events._run = spy
    try:
        yield seen
    finally:
        events._run = real
    if emits is not None:
        assert len(seen.emits) == emits, seen.emits
    if jobs is not None:
        assert len(seen.jobs) == jobs, seen.jobs

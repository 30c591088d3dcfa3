"""What a change sets off outside the database, written down by the domain and carried out by
the action after it commits: socket events, RQ jobs, and calls (moving live sockets). Plain
data: a domain function that records an effect has done nothing yet, so a rollback loses it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable


@dataclass(frozen=True)
class Emit:
    name: str
    payload: dict[str, Any]
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class RowId:
    """The id a row just added will have once written: as a job's argument, the id itself; with
    a template ("deliver-{}"), the job's id. The row goes out with the rest at the commit, not
    on its own first."""
    row: Any
    template: str | None = None


@dataclass(frozen=True)
class Job:
    func: str  # dotted path; jobs take ids
    args: tuple
    queue: str = "default"
    job_id: str | RowId | None = None
    at: datetime | None = None
    unique: bool = False  # skip when a job with this id is already waiting
    retry: tuple[int, ...] = ()  # seconds before each retry of a failed run (RQ Retry)


@dataclass(frozen=True)
class Call:
    func: Callable[..., Any]
    args: tuple


@dataclass
class Effects:
    items: list = field(default_factory=list)

    def emit(self, name: str, payload: dict[str, Any], rooms: list[str] | tuple[str, ...]) -> None:
        self.items.append(Emit(name, dict(payload), tuple(dict.fromkeys(rooms))))

    def enqueue(self, func: str, *args, queue: str = "default", job_id: str | RowId | None = None,
                at: datetime | None = None, unique: bool = False, retry: tuple[int, ...] = ()) -> None:
        self.items.append(Job(func, args, queue, job_id, at, unique, tuple(retry)))

    def call(self, func: Callable[..., Any], *args) -> None:
        self.items.append(Call(func, args))

    def emits(self, name: str | None = None) -> list[Emit]:
        return [i for i in self.items if isinstance(i, Emit) and (name is None or i.name == name)]

    def jobs(self, func: str | None = None) -> list[Job]:
        return [i for i in self.items if isinstance(i, Job) and (func is None or i.func == func)]

    def __len__(self) -> int:
        return len(self.items)

from datetime import datetime, timedelta, timezone

from callcenter.schedule import SCHEDULE, Periodic, job_id, next_due

P = Periodic("x", "mod.func", timedelta(seconds=30))


def test_slots_are_aligned_so_every_worker_names_the_same_run():
    now = datetime(2026, 11, 23, 9, 0, 7, tzinfo=timezone.utc)
    assert next_due(P, now) == datetime(2026, 11, 23, 9, 0, 30, tzinfo=timezone.utc)
    later = now + timedelta(seconds=10)
    assert job_id(P, next_due(P, now)) == job_id(P, next_due(P, later))


def test_the_next_slot_is_always_in_the_future():
    boundary = datetime(2026, 11, 23, 9, 0, 30, tzinfo=timezone.utc)
    assert next_due(P, boundary) == boundary + timedelta(seconds=30)


def test_schedule_names_are_unique_and_functions_importable():
    from rq.utils import import_attribute

    assert len({p.name for p in SCHEDULE}) == len(SCHEDULE)
    for p in SCHEDULE:
        assert callable(import_attribute(p.func))

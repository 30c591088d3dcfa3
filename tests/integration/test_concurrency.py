"""Many requests at once lose nothing and create nothing twice."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from callcenter.customers.models import Customer
from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.factories import ticket_body

THREADS = 8


def _parallel(app, fn, n=THREADS):
    def run(i):
        with app.test_client() as client:
            return fn(client, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_retries_racing_with_one_idempotency_key_make_one_ticket(app, world):
    headers = {"Authorization": f"Bearer {world.tokens['boss']}", "Idempotency-Key": "race-1"}
    results = _parallel(app, lambda c, i: c.post("/api/v1/tickets", json=ticket_body(), headers=headers))
    assert all(r.status_code == 201 for r in results), [r.get_data(as_text=True) for r in results]
    assert len({r.json["id"] for r in results}) == 1
    assert _count(app, Ticket) == 1


def test_the_same_new_caller_at_once_is_one_customer(app, world):
    headers = {"Authorization": f"Bearer {world.tokens['boss']}"}
    body = ticket_body(customer={"name": "并发", "phone": "13512345678", "email": "same@example.cn"})
    results = _parallel(app, lambda c, i: c.post("/api/v1/tickets", json=body, headers=headers))
    assert all(r.status_code == 201 for r in results), [r.get_data(as_text=True) for r in results]
    assert _count(app, Customer) == 1 and _count(app, Ticket) == THREADS
    assert len({r.json["customer"]["id"] for r in results}) == 1


def test_parallel_creates_lose_nothing_and_references_are_unique(app, world):
    headers = {"Authorization": f"Bearer {world.tokens['boss']}"}
    results = _parallel(app, lambda c, i: [c.post("/api/v1/tickets", json=ticket_body(
        subject=f"s{i}-{k}", customer={"name": f"c{i}", "phone": f"1380000{i:04d}"}), headers=headers)
        for k in range(5)])
    flat = [r for batch in results for r in batch]
    assert all(r.status_code == 201 for r in flat)
    assert _count(app, Ticket) == THREADS * 5
    assert len({r.json["reference"] for r in flat}) == THREADS * 5


def test_two_supervisors_assigning_at_once_leave_one_consistent_assignee(app, world, api):
    tid = api.post("/api/v1/tickets", json=ticket_body()).json["id"]
    agents = [world.id("anna"), world.id("bert")]
    headers = {"Authorization": f"Bearer {world.tokens['boss']}"}
    results = _parallel(app, lambda c, i: c.post(f"/api/v1/tickets/{tid}/assign",
                                                 json={"agent_id": agents[i % 2]}, headers=headers))
    assert all(r.status_code == 200 for r in results), [r.get_data(as_text=True) for r in results]
    final = api.get(f"/api/v1/tickets/{tid}").json["assignee"]["id"]
    assigned = [e for e in api.get(f"/api/v1/tickets/{tid}/events").json["items"] if e["kind"] == "assigned"]
    assert len(assigned) >= 2
    # Every recorded assignment starts from the one before it: no update was lost in the race.
    for before, after in zip(assigned, assigned[1:], strict=False):
        assert after["before"]["id"] == before["after"]["id"]
    assert assigned[-1]["after"]["id"] == final


def test_due_callbacks_routed_from_many_threads_at_once_are_each_given_once_and_nobody_goes_over_capacity(app, world):
    from datetime import datetime, timedelta, timezone

    from callcenter.actions import followup_routing, followups
    from callcenter.agents.load import load_of
    from callcenter.followups.models import FollowUp, FollowUpStatus
    from tests.factories import actor_of, agent

    start = datetime.now(timezone.utc) + timedelta(minutes=5)
    with app.app_context():
        agents = [agent(f"cb{n}@test.cc", capacity=2).id for n in range(3)]  # 6 seats for 10 callbacks
        ids = [followups.request_callback({"phone": f"1390000{n:04d}", "name": f"c{n}", "window_start": start,
                                           "window_end": start + timedelta(hours=1)}, actor_of(world, "boss")).id
               for n in range(10)]

    def fall_due(i):
        with app.app_context():
            followup_routing.due(ids[i], start)
            followup_routing.route_waiting(start)  # and every thread tries the whole queue too

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(fall_due, range(10)))
    with app.app_context():
        rows = db.session.scalars(select(FollowUp)).all()
        assigned = [r for r in rows if r.status is FollowUpStatus.assigned]
        assert len(assigned) == 6 and {r.status for r in rows} == {FollowUpStatus.assigned, FollowUpStatus.due}
        assert all(load_of(a) == 2 for a in agents)
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0  # no ticket made on the way

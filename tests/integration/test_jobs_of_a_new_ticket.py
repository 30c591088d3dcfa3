"""The jobs a new ticket sets off name its rows by their ids, though the rows were written only
at the commit (effects.RowId): each SLA clock's check, at its instant, and the acknowledgement's
delivery."""
from __future__ import annotations

from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from callcenter.extensions import db, rq_connection
from callcenter.notifications.models import OutboundMessage
from callcenter.notifications.services import DELIVER_JOB
from callcenter.sla.models import SlaClock
from callcenter.sla.service import CHECK_JOB
from tests.capture import capture
from tests.factories import policy, ticket_body


def test_a_new_tickets_jobs_name_its_clocks_and_its_message_by_id(app, api, world):
    with app.app_context():
        policy("standard", first=1800, resolution=14400, warn_at=())
    with capture() as seen:
        ticket = api.post("/api/v1/tickets", json=ticket_body()).get_json()
    with app.app_context():
        clocks = db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket["id"])).all()
        message_id = db.session.scalar(select(OutboundMessage.id).where(OutboundMessage.ticket_id == ticket["id"]))
        checks = sorted(args for func, args in seen.jobs if func == CHECK_JOB)
        assert checks == sorted((c.id,) for c in clocks) and len(checks) == 2
        assert [args for func, args in seen.jobs if func == DELIVER_JOB] == [(message_id,)]
        high = Queue("high", connection=rq_connection())
        scheduled = ScheduledJobRegistry(queue=high)
        for clock in clocks:
            job_id = f"sla-{clock.id}-{clock.cycle}-{int(clock.next_check_at.timestamp() * 1000)}"
            assert job_id in scheduled.get_job_ids()
            assert high.fetch_job(job_id).args == (clock.id,)
            assert scheduled.get_scheduled_time(job_id) == clock.next_check_at.replace(microsecond=0)
        assert Queue("default", connection=rq_connection()).fetch_job(f"deliver-{message_id}").args == (message_id,)

"""A supervisor subscribes to a daily or weekly report; the periodic job mails each whole period
once, with the summary's figures, in the subscriber's language, through the outbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from callcenter.actions import assignment, report_subscriptions
from callcenter.extensions import db
from callcenter.kpi.models import ReportSubscription
from callcenter.notifications.models import OutboundMessage
from tests.factories import actor_of, csrf_from, login, logout, ticket_at

# Wednesday 2 December 2026, 11:00 in Shanghai: yesterday is Tuesday 1 December there.
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)
YESTERDAY = datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)  # Tuesday 00:00 in Shanghai


def _subscribe(client, frequency="daily", team=""):
    page = client.get("/reports/subscriptions").get_data(as_text=True)
    return client.post("/reports/subscriptions", data={"csrf_token": csrf_from(page), "frequency": frequency,
                                                       "team": team})


def _mails(app):
    """The mails about no ticket (the tickets' own acknowledgements are not reports)."""
    with app.app_context():
        return db.session.scalars(select(OutboundMessage).where(OutboundMessage.ticket_id.is_(None))
                                  .order_by(OutboundMessage.id)).all()


def test_a_daily_report_is_mailed_once_with_yesterdays_figures(app, client, api, world):
    with app.app_context():
        # yesterday: two tickets answered, one within 20 s; today: one more (not in the report)
        for after in (5, 60):
            t = ticket_at(world, YESTERDAY + timedelta(hours=10), kind="inquiry")
            assignment.assign(t.id, world.id("anna"), actor_of(world, "boss"),
                              now=YESTERDAY + timedelta(hours=10, seconds=after))
        t = ticket_at(world, NOW - timedelta(hours=1), kind="inquiry")
        assignment.assign(t.id, world.id("anna"), actor_of(world, "boss"), now=NOW - timedelta(minutes=59))
    login(client, "boss@test.cc")
    assert _subscribe(client).status_code == 302
    with app.app_context():
        assert report_subscriptions.send_due(now=NOW) == 1
        assert report_subscriptions.send_due(now=NOW + timedelta(minutes=5)) == 0  # the next run: already mailed
    mails = _mails(app)
    assert len(mails) == 1 and mails[0].recipient == "boss@test.cc"
    figures = api.get("/api/v1/kpi/summary", query_string={"from": YESTERDAY.isoformat(),
                                                           "to": (YESTERDAY + timedelta(days=1)).isoformat()}).json
    assert figures["service_level"] == 0.5
    body = mails[0].body
    assert "服务水平（20 秒内接起）：50.0%（1/2）" in body
    assert "2026" in mails[0].subject and "全部团队" in mails[0].subject  # the subscriber reads Chinese by default
    assert "/reports?" in body and "from=2026-12-01" in body and "to=2026-12-01" in body
    with app.app_context():
        row = db.session.scalar(select(ReportSubscription))
        assert row.last_period_end == YESTERDAY + timedelta(days=1)
        assert report_subscriptions.send_due(now=NOW + timedelta(days=1)) == 1  # the next day has its own


def test_a_weekly_report_covers_monday_to_sunday_and_waits_for_the_week_to_end(app, client, world):
    login(client, "boss@test.cc")
    assert _subscribe(client, "weekly", str(world.teams["Billing"])).status_code == 302
    with app.app_context():
        assert report_subscriptions.send_due(now=NOW) == 1  # last week: 23 to 29 November
        assert report_subscriptions.send_due(now=NOW + timedelta(days=3)) == 0  # this week has not ended
        assert report_subscriptions.send_due(now=NOW + timedelta(days=6)) == 1  # Monday 7 December, 09:00
    subject = _mails(app)[0].subject
    assert "Billing" in subject and "11月23日" in subject and "11月29日" in subject


def test_subscribing_twice_or_to_no_team_is_a_form_message_and_a_colleague_cannot_stop_it(app, client, world):
    login(client, "boss@test.cc")
    assert _subscribe(client).status_code == 302
    again = _subscribe(client)
    assert again.status_code == 400 and 'data-error-for="frequency"' in again.get_data(as_text=True)
    assert _subscribe(client, team="999999").status_code == 400
    with app.app_context():
        row_id = db.session.scalar(select(ReportSubscription.id))
    logout(client)
    login(client, "admin@test.cc")
    page = client.get("/reports/subscriptions").get_data(as_text=True)
    assert client.post(f"/reports/subscriptions/{row_id}/delete",
                       data={"csrf_token": csrf_from(page)}).status_code == 404
    with app.app_context():
        assert db.session.get(ReportSubscription, row_id) is not None


def test_an_agent_may_not_subscribe_and_a_demoted_supervisors_subscription_ends(app, client, world):
    login(client, "anna@test.cc")
    assert client.get("/reports/subscriptions").status_code == 403
    with app.app_context():
        report_subscriptions.subscribe(actor_of(world, "boss"), "daily", None, now=NOW)
        from callcenter.auth.models import Role, User

        db.session.get(User, world.id("boss")).role = Role.agent
        db.session.commit()
        assert report_subscriptions.send_due(now=NOW) == 0
        assert db.session.scalar(select(ReportSubscription)) is None
    assert _mails(app) == []


def test_the_report_job_is_a_periodic_job():
    from callcenter.schedule import BY_NAME

    assert BY_NAME["report-subscriptions"].func == "callcenter.kpi.jobs.send_reports"


def test_a_worker_running_the_periodic_job_mails_the_report_once(app, client, world):
    """The job itself, run by a real RQ worker (burst), as the scheduler would start it: the
    subscriber's report of the last whole day lands in the outbox once, however often it runs."""
    import redis as redis_lib
    from rq import Queue

    from callcenter.schedule import BY_NAME, run_periodic
    from tests.factories import run_jobs

    login(client, "boss@test.cc")
    assert _subscribe(client).status_code == 302
    queue = Queue(BY_NAME["report-subscriptions"].queue, connection=redis_lib.Redis.from_url(app.config["REDIS_URL"]))
    for _run in range(2):
        queue.enqueue(run_periodic, "report-subscriptions")
        run_jobs(app)
    mails = _mails(app)
    assert len(mails) == 1 and mails[0].recipient == "boss@test.cc"
    assert "/reports?" in mails[0].body

"""An agent whose console closes is away after a grace period (untouched work handed back),
then offline; coming back in time changes nothing."""
import threading
import time

import redis as redis_lib
from rq.registry import ScheduledJobRegistry

from callcenter.agents.consoles import generation
from callcenter.agents.jobs import away_if_gone, offline_if_gone
from callcenter.auth.models import User
from callcenter.extensions import db
from tests.factories import set_presence
from tests.socket_client import Listener


def _presence(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).presence.value


def _scheduled_away_jobs(app, user_id):
    conn = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    registry = ScheduledJobRegistry("high", connection=conn)
    return [(jid, registry.get_scheduled_time(jid)) for jid in registry.get_job_ids()
            if jid.startswith(f"presence-away-{user_id}-")]


def _close(listener):
    t = threading.Thread(target=listener.close)
    t.start()
    t.join()
    time.sleep(0.3)  # the server handles the disconnect


def test_closing_the_console_schedules_away_after_the_grace_period(app, live_server, world):
    anna = world.id("anna")
    with app.app_context():
        set_presence(anna, "available")
    listener = Listener(live_server, "anna@test.cc")
    listener.collect(0.3)
    closed_at = time.time()
    _close(listener)
    jobs = _scheduled_away_jobs(app, anna)
    assert len(jobs) == 1
    due = jobs[0][1].timestamp()
    assert 25 <= due - closed_at <= 35  # 30 s grace by default
    with app.app_context():
        gen = generation(anna)
        assert jobs[0][0] == f"presence-away-{anna}-{gen}"
        assert away_if_gone(anna, gen) == "away"
    assert _presence(app, anna) == "away"
    with app.app_context():
        assert offline_if_gone(anna, gen) == "offline"
    assert _presence(app, anna) == "offline"


def test_coming_back_within_the_grace_period_keeps_the_agent_available(app, live_server, world):
    anna = world.id("anna")
    with app.app_context():
        set_presence(anna, "available")
    first = Listener(live_server, "anna@test.cc")
    _close(first)
    with app.app_context():
        old_timer = generation(anna)
    again = Listener(live_server, "anna@test.cc")
    try:
        with app.app_context():
            assert away_if_gone(anna, old_timer) == "reconnected"
        assert _presence(app, anna) == "available"
    finally:
        _close(again)
    # The old timer firing during a later short gap still does nothing: the generation moved on.
    with app.app_context():
        assert away_if_gone(anna, old_timer) == "reconnected"
    assert _presence(app, anna) == "available"


def test_a_second_console_keeps_the_agent_present(app, live_server, world):
    anna = world.id("anna")
    with app.app_context():
        set_presence(anna, "available")
    tab1, tab2 = Listener(live_server, "anna@test.cc"), Listener(live_server, "anna@test.cc")
    _close(tab1)
    try:
        assert _scheduled_away_jobs(app, anna) == []
    finally:
        _close(tab2)

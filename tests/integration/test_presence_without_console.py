"""An available agent with no console open for longer than the away delay is away, whether or
not a console ever opened: nobody gets work at a desk nobody sits at."""
from datetime import timedelta

import pytest

from callcenter.actions import presence
from callcenter.actors import SYSTEM
from callcenter.agents import consoles
from callcenter.agents.jobs import away_without_console
from callcenter.auth.models import User
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.schedule import SCHEDULE

pytestmark = pytest.mark.usefixtures("clean_state")


def _presence(user_id: int) -> str:
    db.session.remove()
    return db.session.get(User, user_id).presence.value


def test_an_agent_made_available_without_ever_opening_a_console_is_away_after_the_delay(app, world):
    anna = world.id("anna")
    with app.app_context():
        now = utcnow()
        presence.set_presence(anna, "available", SYSTEM, now=now)  # as the demo or an API client does
        assert presence.away_without_console(30, now) == 0  # first seen gone: the count starts
        assert presence.away_without_console(30, now + timedelta(seconds=29)) == 0
        assert _presence(anna) == "available"
        assert presence.away_without_console(30, now + timedelta(seconds=31)) == 1
        assert _presence(anna) == "away"


def test_an_agent_with_a_console_open_stays_available_and_a_flushed_redis_restarts_the_count(app, world, redis):
    anna = world.id("anna")
    with app.app_context():
        now = utcnow()
        presence.set_presence(anna, "available", SYSTEM, now=now)
        consoles.console_opened(anna, "sid-1")
        assert presence.away_without_console(30, now + timedelta(seconds=300)) == 0
        redis.flushdb()  # the fault: Redis forgets the open console
        assert presence.away_without_console(30, now + timedelta(seconds=301)) == 0  # first sight again
        consoles.console_alive(anna, "sid-1")  # the page's heartbeat re-registers it
        assert presence.away_without_console(30, now + timedelta(seconds=400)) == 0
        assert _presence(anna) == "available"
        consoles.console_closed(anna, "sid-1")
        assert presence.away_without_console(30, now + timedelta(seconds=401)) == 0
        assert presence.away_without_console(30, now + timedelta(seconds=432)) == 1


def test_the_rule_can_be_turned_off_and_runs_as_a_periodic_job(app, world, redis):
    assert "presence-sweep" in {p.name for p in SCHEDULE}
    anna = world.id("anna")
    with app.app_context():
        presence.set_presence(anna, "available", SYSTEM)
        assert presence.away_without_console(0, utcnow() + timedelta(days=1)) == 0
        app.config["PRESENCE_CONSOLELESS_AWAY_SECONDS"] = 30
        assert away_without_console() == 0  # the job: first sight
        assert _presence(anna) == "available"
        key = consoles.GONE_SINCE_KEY.format(user_id=anna)  # seen gone a minute ago, as if time passed
        redis.set(key, float(redis.get(key)) - 60)
        db.session.remove()  # this test's read ends before the job writes (SQLite has one writer)
        assert away_without_console() == 1
        assert _presence(anna) == "away"

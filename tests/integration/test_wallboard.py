"""The wallboard's SLA panel: open tickets by SLA state, the ones at risk worst first, today's
breaches, for supervisors only, per team."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.actions import sla
from callcenter.db_types import utcnow
from tests.factories import login, ticket_at


def _policy(api, name, priority, first, warn_at):
    r = api.post("/api/v1/sla-policies", who="admin", json={
        "name": name, "match": {"priority": priority}, "position": 1, "warn_at": warn_at,
        "targets": {"first_response_seconds": first, "resolution_seconds": 86400}})
    assert r.status_code == 201, r.json


def _board_world(app, api, world):
    """One breached ticket (Billing), one in warning (Network), one on time (Billing), all
    created two seconds ago."""
    _policy(api, "P1 one second", "P1", 1, [])
    _policy(api, "P2 warn early", "P2", 30, [0.02])
    _policy(api, "P3 relaxed", "P3", 3600, [0.75])
    with app.app_context():
        made = utcnow() - timedelta(seconds=2)
        breached, warning, on_time = (
            {"id": ticket_at(world, made, priority=priority, subject=subject, **extra).id}
            for priority, subject, extra in (("P1", "breached", {}), ("P2", "warning", {"category": "network"}),
                                             ("P3", "on time", {})))
        sla.sweep()
    return breached, warning, on_time


def test_the_board_counts_open_tickets_by_sla_state_and_lists_the_ones_at_risk_worst_first(app, api, world):
    breached, warning, on_time = _board_world(app, api, world)
    board = api.get("/api/v1/kpi/sla-board", who="boss").json
    assert board["open"] == 3 and board["at_risk_share"] == round(2 / 3, 4)
    assert board["states"] == {"breached": 1, "warning": 1, "running": 1, "paused": 0, "met": 0}
    assert [e["ticket_id"] for e in board["at_risk"]] == [breached["id"], warning["id"]]
    first, second = board["at_risk"]
    assert first["state"] == "breached" and first["remaining_seconds"] <= 0 and first["clock"] == "first_response"
    assert second["state"] == "warning" and 0 < second["remaining_seconds"] < 30 and second["team"] == "Network"
    assert board["today"] == {"warnings": 1, "breaches": 1}
    assert board["queue"]["waiting"] == 3  # every agent is offline: all three wait

    network = api.get("/api/v1/kpi/sla-board?team=Network", who="boss").json
    assert network["open"] == 1 and [e["ticket_id"] for e in network["at_risk"]] == [warning["id"]]
    assert network["today"] == {"warnings": 1, "breaches": 0} and network["queue"]["waiting"] == 1
    unknown = api.get("/api/v1/kpi/sla-board?team=Nowhere", who="boss")
    assert unknown.status_code == 422 and unknown.json["error"]["details"]["fields"]["team"] == ["unknown"]

    # A reply meets the breached ticket's first response: it leaves the at-risk list.
    assert api.post(f"/api/v1/tickets/{breached['id']}/messages", who="boss",
                    json={"body": "We are on it.", "internal": False}).status_code == 201
    board = api.get("/api/v1/kpi/sla-board", who="boss").json
    assert [e["ticket_id"] for e in board["at_risk"]] == [warning["id"]]
    assert board["today"]["breaches"] == 1  # what happened today stays counted


def test_only_supervisors_and_admins_see_the_wallboard(api, client, world):
    assert api.get("/api/v1/kpi/sla-board", who="anna").status_code == 403
    assert api.get("/api/v1/kpi/sla-board", who="admin").status_code == 200
    assert api.get("/api/v1/kpi/sla-board", who=None).status_code == 401
    login(client, "anna@test.cc")
    assert client.get("/wallboard").status_code == 403
    assert client.get("/wallboard/panel").status_code == 403


def test_the_wallboard_page_and_its_panel_show_the_same_board(app, api, client, world):
    breached, warning, _on_time = _board_world(app, api, world)
    login(client, "boss@test.cc")
    page = client.get("/wallboard", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert f'data-ticket-id="{breached["id"]}" data-state="breached"' in page
    assert f'data-ticket-id="{warning["id"]}" data-state="warning"' in page
    assert "今日超时" in page and "有风险的工单" in page  # the board speaks Chinese on a Chinese browser
    panel = client.get("/wallboard/panel?team=Billing").get_data(as_text=True)
    assert "<html" not in panel and f'data-ticket-id="{breached["id"]}"' in panel
    assert f'data-ticket-id="{warning["id"]}"' not in panel
    assert _tile(panel, "breached") == "1"


def test_a_reopen_does_not_count_a_breach_again(app, api, world):
    from tests.factories import run_jobs

    _policy(api, "P1 one second", "P1", 1, [])
    with app.app_context():
        t = {"id": ticket_at(world, utcnow() - timedelta(seconds=2), priority="P1", kind="service_request").id}
        sla.sweep()
    assert api.get("/api/v1/kpi/sla-board", who="boss").json["today"]["breaches"] == 1
    api.post(f"/api/v1/tickets/{t['id']}/assign", who="boss", json={"agent_id": world.id("anna")})
    for step in ("resolved", "in_progress"):
        r = api.post(f"/api/v1/tickets/{t['id']}/transitions", who="boss", json={"to": step, "reason": "again"})
        assert r.status_code == 200, r.json
    run_jobs(app)
    with app.app_context():
        sla.sweep()
    assert api.get("/api/v1/kpi/sla-board", who="boss").json["today"]["breaches"] == 1


def test_breaches_count_on_the_day_they_fell_due_however_late_the_sweep(app, api, world):
    """The worker was down overnight: the morning's sweep fires yesterday's breach, which is
    yesterday's on the board, not today's."""
    from datetime import datetime, timedelta, timezone

    from callcenter.actors import Actor
    from callcenter.kpi.formulas import start_of_local_day
    from callcenter.kpi.queries import sla_board
    from tests.factories import ticket_at
    from tests.integration.test_sla import _clock

    _policy(api, "P1 one minute", "P1", 60, [])
    # Created at 15:00 in Shanghai: the next morning is 17 h on, before the 24 h resolution
    # target (a ticket created at 01:00 would see that breach too by the next morning).
    with app.app_context():
        t = {"id": ticket_at(world, datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc), priority="P1").id}
    due = _clock(app, t["id"]).due_at
    next_morning = start_of_local_day(due, "Asia/Shanghai") + timedelta(days=1, hours=8)
    boss = Actor(kind="agent", name="Boss", user_id=world.id("boss"), role="supervisor")
    with app.app_context():
        assert sla.sweep(now=next_morning) == 3  # the breach and both default escalation levels
        assert sla_board(boss, next_morning, "Asia/Shanghai")["today"]["breaches"] == 0
        assert sla_board(boss, due + timedelta(seconds=30), "Asia/Shanghai")["today"]["breaches"] == 1


def _tile(html: str, name: str) -> str:
    """The number a tile shows."""
    import re

    m = re.search(rf'data-tile="{name}".*?<span class="n">(.*?)</span>', html, re.S)
    assert m, f"no {name} tile"
    return m.group(1).strip()


def test_todays_tiles_show_the_summarys_figures_for_today(app, api, client, world):
    from callcenter.actions import assignment
    from tests.factories import actor_of, moved

    _clear_of_midnight(app, 60)
    with app.app_context():
        now = utcnow()
        start = now - timedelta(seconds=40)
        quick, slow, gone = (ticket_at(world, start, kind="inquiry").id for _ in range(3))
        assignment.assign(quick, world.id("anna"), actor_of(world, "boss"), now=start + timedelta(seconds=10))
        assignment.assign(slow, world.id("bert"), actor_of(world, "boss"), now=start + timedelta(seconds=30))
        moved(world, gone, start + timedelta(seconds=25), "cancelled")
    login(client, "boss@test.cc")
    html = client.get("/wallboard").get_data(as_text=True)
    summary = api.get("/api/v1/kpi/summary", who="boss", query_string={
        "from": _local_midnight(app, now).isoformat()}).json
    assert summary["service_level"] == 0.3333  # quick within 20 s, of quick, slow and gone
    assert _tile(html, "service-level") == "33.3%"
    assert _tile(html, "asa") == "20 s"  # (10 + 30) / 2
    assert _tile(html, "abandonment") == "33.3%"
    assert _tile(html, "backlog") == "2"
    assert (_tile(html, "available"), _tile(html, "busy"), _tile(html, "offline")) == ("0", "0", "4")
    assert 'class="tile bad" data-tile="service-level"' in html  # under the 80 % goal


def _local_midnight(app, now):
    from callcenter.kpi.formulas import start_of_local_day

    return start_of_local_day(now, app.config["DISPLAY_TIMEZONE"])


def _clear_of_midnight(app, seconds: int) -> None:
    """Wait, if the desk's day began less than `seconds` ago, until it did: a story of the last
    `seconds` then lies all within today (a run at 16:00-16:03 UTC waits that long)."""
    import time

    since = (utcnow() - _local_midnight(app, utcnow())).total_seconds()
    if since < seconds:
        time.sleep(seconds - since + 1)


def hours_apart(first: str, again: str) -> bool:
    import re

    def hour(html):
        return re.search(r'data-hour="([^"]+)"', html).group(1)
    return hour(first) != hour(again)


def redis_lib_for(app):
    import redis as redis_lib

    return redis_lib.Redis.from_url(app.config["REDIS_URL"])


def _forget_snapshots(app):
    import redis as redis_lib

    r = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    for key in r.scan_iter("cc:wallboard:*"):
        r.delete(key)


@pytest.mark.parametrize("team", ["", "Billing"])
def test_the_wallboard_panel_runs_a_fixed_number_of_statements_however_many_tickets(app, api, client, world, team):
    from tests.statements import statements

    _board_world(app, api, world)
    login(client, "boss@test.cc")
    panel = "/wallboard/panel" + (f"?team={team}" if team else "")
    client.get(panel)
    _forget_snapshots(app)  # each measured redraw recounts
    with statements(app) as seen:
        assert client.get(panel).status_code == 200
    with app.app_context():
        made = utcnow() - timedelta(seconds=2)
        for i in range(15):
            ticket_at(world, made, priority="P1", subject=f"more {i}")
        sla.sweep()
    _forget_snapshots(app)
    with statements(app) as more:
        assert client.get(panel).status_code == 200
    assert len(more) == len(seen), "\n".join(more)
    # the session's user (3), the SLA board (6, the queue's count and oldest wait among them),
    # today's figures (5: the backlog is the board's open count), the queue by team and skill and
    # the callbacks now (2), the agents (2), the staffing forecast (2), the desk's colours (1):
    # 21; a team's board looks its name up once more; on PostgreSQL one more,
    # SET LOCAL max_parallel_workers_per_gather (queries.serial_reads)
    with app.app_context():
        from callcenter.extensions import db

        serial = 1 if db.engine.dialect.name == "postgresql" else 0
    assert len(seen) <= 21 + (1 if team else 0) + serial, "\n".join(seen)
    assert sum("FROM teams" in s and "teams.name =" in s for s in seen) == (1 if team else 0), "\n".join(seen)


def test_a_redraw_within_the_hour_reuses_the_staffing_forecast_and_reads_no_past_weeks(app, client, world):
    from tests.statements import statements

    login(client, "boss@test.cc")
    client.get("/wallboard/panel")
    r = redis_lib_for(app)
    for _attempt in range(2):  # once more if the two redraws fell either side of an hour (the forecast is due again)
        _forget_snapshots(app)
        with statements(app) as computed:
            first = client.get("/wallboard/panel").get_data(as_text=True)
        assert [k for k in r.scan_iter("cc:wallboard:forecast:*")], "the forecast is kept under its own key"
        for key in r.scan_iter("cc:wallboard:*"):
            if b":forecast:" not in key:
                r.delete(key)  # the board's snapshot goes, the forecast stays
        with statements(app) as seen:
            again = client.get("/wallboard/panel").get_data(as_text=True)
        if not hours_apart(first, again):
            break
    assert len(computed) - len(seen) == 2, "\n".join(seen)  # the forecast's arrivals and handle time
    table = first.split("data-staffing")[1].split("</table>")[0]
    assert table == again.split("data-staffing")[1].split("</table>")[0]


def test_the_worker_keeps_this_and_the_next_hours_forecast_so_no_redraw_reads_past_weeks(app, client, world):
    """The periodic job, run by a real worker, works out every team's forecast of this hour and
    the next: a redraw, even the first of the next hour, then reads no past weeks, and finds
    what it would have worked out itself."""
    from rq import Queue

    from callcenter.auth.models import Team
    from callcenter.extensions import db
    from callcenter.kpi import forecasts, staffing
    from callcenter.schedule import BY_NAME, run_periodic
    from tests.factories import run_jobs
    from tests.statements import statements

    assert BY_NAME["staffing-forecasts"].func == "callcenter.kpi.jobs.keep_forecasts"
    login(client, "boss@test.cc")
    client.get("/wallboard/panel?team=Billing")
    for _attempt in range(2):  # once more if the job and the redraws fell either side of an hour
        _forget_snapshots(app)
        with statements(app) as computed:
            first = client.get("/wallboard/panel?team=Billing").get_data(as_text=True)
        _forget_snapshots(app)
        Queue("low", connection=redis_lib_for(app)).enqueue(run_periodic, "staffing-forecasts")
        run_jobs(app)
        kept = sorted(k.decode().split(":")[3:5] for k in redis_lib_for(app).scan_iter("cc:wallboard:forecast:*"))
        with statements(app) as seen:
            again = client.get("/wallboard/panel?team=Billing").get_data(as_text=True)
        if not hours_apart(first, again):
            break
    with app.app_context():
        teams = [str(t) for t in db.session.scalars(db.select(Team.id))]
    hours = sorted({hour for _team, hour in kept})
    assert len(hours) == 2 and sorted(kept) == sorted([t, h] for t in ["all", *teams] for h in hours)
    assert len(computed) - len(seen) == 2, "\n".join(seen)  # the forecast's arrivals and handle time
    assert first.split("data-staffing")[1].split("</table>")[0] == again.split("data-staffing")[1].split("</table>")[0]
    with app.app_context():
        settings = staffing.settings_from(app.config)
        team_id = db.session.scalar(db.select(Team.id).where(Team.name == "Billing"))
        # the two hours the job kept, from their keys: the clock may have turned an hour since
        this_hour, next_hour = (datetime.strptime(h, "%Y%m%d%H%M").replace(tzinfo=timezone.utc) for h in hours)
        assert next_hour - this_hour == timedelta(hours=1)
        worked_out = staffing.forecast(next_hour, settings, team_id)
        with statements(app) as at_the_hour:
            read = forecasts.for_board(next_hour + timedelta(seconds=1), team_id, settings)
        assert at_the_hour == [] and read["hours"][0]["hour_start"] == next_hour
        assert read == worked_out
        # all kept: a second run within the same hour works nothing out
        assert forecasts.keep_ahead(this_hour + timedelta(minutes=1), settings) == 0


def test_the_board_names_the_agents_in_each_state_and_splits_the_queue_by_team_and_skill(app, api, client, world):
    from callcenter.followups.models import FollowUp, FollowUpKind, FollowUpStatus
    from tests.factories import set_presence

    with app.app_context():
        made = utcnow() - timedelta(minutes=3)
        ticket_at(world, made, kind="inquiry")  # Billing, skill billing
        ticket_at(world, made + timedelta(minutes=2), kind="inquiry")
        ticket_at(world, made + timedelta(minutes=1), kind="inquiry", category="network")
        set_presence(world.id("anna"), "away")
        now = utcnow()
        for status, start, end in ((FollowUpStatus.scheduled, 60, 120), (FollowUpStatus.due, -60, 60),
                                   (FollowUpStatus.due, -600, -60), (FollowUpStatus.completed, -600, -60)):
            from callcenter.extensions import db

            db.session.add(FollowUp(kind=FollowUpKind.callback, status=status, name="x", phone="13800000000",
                                    window_start=now + timedelta(minutes=start), window_end=now + timedelta(minutes=end),
                                    next_attempt_at=now + timedelta(minutes=start)))
        db.session.commit()
    login(client, "boss@test.cc")
    html = client.get("/wallboard/panel").get_data(as_text=True)
    assert _tile(html, "waiting") == "3"
    assert _tile(html, "callbacks-scheduled") == "1" and _tile(html, "callbacks-due") == "1"
    assert _tile(html, "callbacks-overdue") == "1"
    assert 'class="tile bad" data-tile="callbacks-overdue"' in html
    assert 'data-state="away">Anna<' in html and "Bert, Boss, Nina" in html  # offline, by name
    team_rows = html.split('data-breakdown="team"')[1].split("</table>")[0]
    assert team_rows.index("Billing") < team_rows.index("Network")  # the longest wait first
    assert ">2</td>" in team_rows and ">1</td>" in team_rows
    skill_rows = html.split('data-breakdown="skill"')[1].split("</table>")[0]
    assert "billing" in skill_rows and "network" in skill_rows


def test_a_tiles_colours_follow_the_desks_thresholds(app, client, world):
    with app.app_context():
        ticket_at(world, utcnow() - timedelta(seconds=5), kind="inquiry")
    login(client, "boss@test.cc")
    assert 'class="tile " data-tile="waiting"' in client.get("/wallboard/panel").get_data(as_text=True)
    app.config["KPI_TILE_THRESHOLDS"] = {"waiting": {"warn_above": 0, "bad_above": 5}}
    try:
        assert 'class="tile warn" data-tile="waiting"' in client.get("/wallboard/panel").get_data(as_text=True)
    finally:
        app.config["KPI_TILE_THRESHOLDS"] = {}


def test_the_wall_screen_cycles_through_everybody_and_each_team_and_says_when_the_cycle_is_wrong(client, world):
    import json
    import re

    login(client, "boss@test.cc")
    html = client.get("/wallboard/screen?cycle=7").get_data(as_text=True)
    assert 'data-wall-screen="1" data-cycle-seconds="7"' in html
    teams = json.loads(re.search(r'<script type="application/json" id="wall-teams">(.*?)</script>', html).group(1))
    assert teams == ["", "Billing", "Network"]
    assert "data-cycle-problem" not in html
    bad = client.get("/wallboard/screen?cycle=abc")
    assert bad.status_code == 200 and "data-cycle-problem" in bad.get_data(as_text=True)
    assert 'data-cycle-seconds="20"' in bad.get_data(as_text=True)
    assert 'data-cycle-seconds="20"' in client.get("/wallboard/screen?cycle=2").get_data(as_text=True)


def test_the_staffing_calculator_works_out_erlang_c_and_names_a_wrong_number(client, world):
    login(client, "boss@test.cc")
    page = client.get("/wallboard/staffing?arrivals=100&interval_seconds=1800&aht_seconds=180&target_seconds=20"
                      "&service_level=0.8&shrinkage=0.3&max_occupancy=1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-k="agents">14<' in html and 'data-k="scheduled_agents">20<' in html
    assert 'data-k="service_level">88.8%<' in html and 'data-k="asa_seconds">7.8 s<' in html
    bad = client.get("/wallboard/staffing?arrivals=-3&aht_seconds=180")
    assert bad.status_code == 400 and 'data-error-for="arrivals"' in bad.get_data(as_text=True)
    assert 'value="-3"' in bad.get_data(as_text=True)  # what was typed stays
    assert client.get("/wallboard/staffing").status_code == 200  # the empty form


def test_the_staffing_forecast_takes_the_same_hours_of_the_last_weeks(app, client, world):
    from callcenter.actions import assignment
    from tests.factories import actor_of, moved

    app.config.update(KPI_STAFFING_WEEKS=2, KPI_STAFFING_HOURS=2)
    try:
        with app.app_context():
            this_hour = utcnow().replace(minute=0, second=0, microsecond=0)
            # the same hour a week ago: 6 tickets, each handled in 300 s; two weeks ago: 2;
            # the next hour a week ago: 1; three weeks ago (not looked at): 9
            for weeks, hour, n in ((1, 0, 6), (2, 0, 2), (1, 1, 1), (3, 0, 9)):
                at = this_hour + timedelta(hours=hour, minutes=10) - timedelta(weeks=weeks)
                for _ in range(n):
                    t = ticket_at(world, at, kind="inquiry")
                    if (weeks, hour) == (1, 0):
                        assignment.assign(t.id, world.id("anna"), actor_of(world, "boss"), now=at)
                        moved(world, t.id, at + timedelta(seconds=300), "resolved", by="anna")
        login(client, "boss@test.cc")
        html = client.get("/wallboard/panel").get_data(as_text=True)
        table = html.split("data-staffing")[1].split("</table>")[0]
        rows = table.split("<tr class")[1:]
        assert "<td>4.0</td>" in rows[0]  # (6 + 2) / 2 weeks
        assert "<td>0.5</td>" in rows[1]  # (1 + 0) / 2
        assert "5 min" in rows[0]  # the handle time seen in those hours: 300 s
        # 4 an hour x 300 s = 0.33 Erlangs: one agent would answer only 68 % within 20 s
        # (1 - 0.333 x e^(-(1 - 0.333) x 20 / 300)), two reach the 80 % goal
        assert "data-agents-needed>2<" in rows[0]
        assert rows[0].startswith('="bad"')  # nobody is online to meet it
    finally:
        app.config.update(KPI_STAFFING_WEEKS=4, KPI_STAFFING_HOURS=4)


def test_every_screen_shares_one_recount_and_a_redraw_after_an_event_sees_it(app, api, client, world):
    """Ten screens redrawing at once cost one recount; a redraw for an event newer than the
    shared snapshot gets one that has seen it."""
    from callcenter.events import current_seq
    from tests.statements import statements

    login(client, "boss@test.cc")
    _forget_snapshots(app)
    with statements(app) as first:
        assert _tile(client.get("/wallboard/panel").get_data(as_text=True), "waiting") == "0"
    with statements(app) as others:
        for _ in range(10):
            assert client.get("/wallboard/panel").status_code == 200
    recount = [q for q in first if "FROM tickets" in q]
    assert recount and not [q for q in others if "FROM tickets" in q]  # the ten read the shared snapshot
    with app.app_context():
        ticket_at(world, utcnow(), kind="inquiry", category="network")  # waits; its events carry a seq
        seq = current_seq()
    stale = client.get("/wallboard/panel").get_data(as_text=True)
    assert _tile(stale, "waiting") == "0"  # a redraw for no event in particular: the recent snapshot
    fresh = client.get(f"/wallboard/panel?seen={seq}").get_data(as_text=True)
    assert _tile(fresh, "waiting") == "1"  # the event's redraw: recounted, at most once a second


def _names(html: str, state: str) -> str:
    """The names the agents' list shows in one state."""
    import re

    m = re.search(rf'<dd data-state="{state}">(.*?)</dd>', html, re.S)
    assert m, f"no {state} list"
    return m.group(1).strip()


def test_agents_whose_seats_are_all_taken_are_busy_and_agents_with_a_callback_are_on_a_callback(app, api, client, world):
    """Seats are tickets held, open offers and callbacks given to the agent. Everybody is
    offline while the scene is built (so routing offers nothing), then comes online."""
    from callcenter.actions import assignment
    from callcenter.auth.models import User
    from callcenter.extensions import db
    from callcenter.followups.models import FollowUp, FollowUpKind, FollowUpStatus
    from tests.factories import actor_of, make_user, offer, set_presence

    with app.app_context():
        now = utcnow().replace(microsecond=0)
        for email in ("cara@test.cc", "dora@test.cc"):
            world.users[email.split("@")[0]] = make_user(email, teams=["Network"], skills={"network": 4}, capacity=1).id
        made = now - timedelta(minutes=1)
        held = {who: ticket_at(world, made, kind="inquiry", category=category).id
                for who, category in (("anna", "billing"), ("bert", "billing"), ("cara", "network"), ("dora", "network"))}
        for who, ticket_id in held.items():
            assignment.assign(ticket_id, world.id(who), actor_of(world, "boss"), now=made + timedelta(seconds=5))
        waiting = ticket_at(world, now - timedelta(seconds=30), kind="inquiry").id
        offer(waiting, world.id("bert"), now - timedelta(seconds=10))  # open: it takes one of Bert's seats
        db.session.get(User, world.id("bert")).capacity = 2
        for who in ("nina", "dora", "boss"):
            db.session.add(FollowUp(kind=FollowUpKind.callback, status=FollowUpStatus.assigned, name="x",
                                    phone="13800000000", assignee_id=world.id(who), assigned_at=now,
                                    window_start=now - timedelta(minutes=5), window_end=now + timedelta(minutes=55),
                                    next_attempt_at=now - timedelta(minutes=5)))
        db.session.commit()
        for who in ("anna", "bert", "cara", "nina", "dora"):
            set_presence(world.id(who), "available")
        set_presence(world.id("boss"), "away")
    login(client, "boss@test.cc")
    html = client.get("/wallboard/panel").get_data(as_text=True)
    # Anna: 1 ticket of 5 seats -> available. Bert: 1 ticket + 1 open offer = 2 of 2 -> busy.
    # Cara: 1 ticket of 1 -> busy. Nina: a callback (1 of 5) -> on a callback. Dora: 1 ticket +
    # 1 callback, 2 of 1 -> on a callback (it wins over busy). Boss: away with a callback -> away
    # (only an available agent is busy or on a callback).
    assert (_tile(html, "busy"), _names(html, "busy")) == ("2", "Bert, Cara")
    assert (_tile(html, "on-callback"), _names(html, "on_callback")) == ("2", "Dora, Nina")
    assert (_tile(html, "available"), _names(html, "available")) == ("1", "Anna")
    assert (_tile(html, "away"), _names(html, "away")) == ("1", "Boss")
    assert (_tile(html, "offline"), _names(html, "offline")) == ("0", "—")
    assert "Busy (2)" in html and "On a callback (2)" in html  # the lists' headings count them too
    assert api.get("/api/v1/kpi/summary", who="boss").json["agents"] == {
        "available": 1, "busy": 2, "on_callback": 2, "away": 1, "offline": 0}
    network = client.get("/wallboard/panel?team=Network").get_data(as_text=True)
    # Network: Cara (busy), Nina and Dora (on a callback), Boss (away; he is in both teams)
    assert (_tile(network, "busy"), _names(network, "busy")) == ("1", "Cara")
    assert (_tile(network, "on-callback"), _names(network, "on_callback")) == ("2", "Dora, Nina")
    assert (_tile(network, "available"), _tile(network, "away")) == ("0", "1")


def _answered_survey(ticket_id: int, when, csat: int, nps: int | None) -> None:
    """The ticket's survey (the one its resolution sent, or one) answered at `when`."""
    from sqlalchemy import select

    from callcenter.extensions import db
    from callcenter.followups.models import Survey

    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id)) or Survey(
        ticket_id=ticket_id, nonce=f"{ticket_id:032d}", expires_at=when + timedelta(days=7))
    survey.answered_at, survey.csat, survey.nps = when, csat, nps
    db.session.add(survey)
    db.session.commit()


def test_todays_handle_time_csat_and_nps_tiles_count_what_was_resolved_and_answered_since_midnight(
        app, api, client, world):
    from callcenter.actions import assignment
    from tests.factories import actor_of, moved

    _clear_of_midnight(app, 180)
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        midnight = _local_midnight(app, now)
        # Yesterday (the desk's day): two tickets resolved, handled 3590 s and 1790 s.
        yesterday = []
        for resolved_before_midnight in (timedelta(hours=1), timedelta(minutes=90)):
            t = ticket_at(world, midnight - timedelta(hours=2), kind="inquiry").id
            assignment.assign(t, world.id("anna"), actor_of(world, "boss"),
                              now=midnight - timedelta(hours=2) + timedelta(seconds=10))
            moved(world, t, midnight - resolved_before_midnight, "resolved", by="anna")
            yesterday.append(t)
        # Today: three tickets answered 5, 10 and 20 s after they came in and resolved at 35, 60
        # and 85 s: handled 30, 50 and 65 s.
        start = now - timedelta(seconds=120)
        today = []
        for answer, resolve in ((5, 35), (10, 60), (20, 85)):
            t = ticket_at(world, start, kind="inquiry").id
            assignment.assign(t, world.id("bert"), actor_of(world, "boss"), now=start + timedelta(seconds=answer))
            moved(world, t, start + timedelta(seconds=resolve), "resolved", by="bert")
            today.append(t)
        # Surveys answered today: CSAT 5, 4, 2 with NPS 10, 9, 3 on today's tickets, CSAT 3 with
        # no NPS on yesterday's first; answered yesterday: CSAT 1, NPS 0 on yesterday's second.
        for t, seconds_ago, csat, nps in ((today[0], 30, 5, 10), (today[1], 25, 4, 9), (today[2], 20, 2, 3),
                                          (yesterday[0], 15, 3, None)):
            _answered_survey(t, now - timedelta(seconds=seconds_ago), csat, nps)
        _answered_survey(yesterday[1], midnight - timedelta(minutes=30), 1, 0)
    login(client, "boss@test.cc")
    html = client.get("/wallboard/panel").get_data(as_text=True)
    # AHT: (30 + 50 + 65) / 3 = 48.33 s, shown in whole seconds; yesterday's 3590 and 1790 would
    # make it (145 + 5380) / 5 = 1105 s
    assert _tile(html, "aht") == "48 s"
    # CSAT: (5 + 4 + 2 + 3) / 4 = 3.50; with yesterday's 1 it would be 15 / 5 = 3.00
    assert _tile(html, "csat") == "3.50"
    # NPS: of the three who gave one, promoters 10 and 9, detractor 3: 100 x (2 - 1) / 3 = +33;
    # with yesterday's 0 it would be 100 x (2 - 2) / 4 = +0
    assert _tile(html, "nps") == "+33"
    summary = api.get("/api/v1/kpi/summary", who="boss", query_string={"from": midnight.isoformat()}).json
    assert (summary["aht_seconds"], summary["csat_avg"], summary["nps"]) == (48.3, 3.5, 33.3)
    assert summary["metrics"]["nps"] == {"value": 33.3, "numerator": 1, "denominator": 3}


def test_the_longest_wait_tile_is_the_wait_of_the_oldest_ticket_nobody_holds_yet(app, client, world):
    import re
    from datetime import datetime

    from callcenter.actions import assignment
    from tests.factories import actor_of, moved

    with app.app_context():
        now = utcnow().replace(microsecond=0)
        held = ticket_at(world, now - timedelta(seconds=300), kind="inquiry").id  # waited longest, then taken
        assignment.assign(held, world.id("anna"), actor_of(world, "boss"), now=now - timedelta(seconds=290))
        gone = ticket_at(world, now - timedelta(seconds=200), kind="inquiry").id  # given up on
        moved(world, gone, now - timedelta(seconds=150), "cancelled")
        oldest = now - timedelta(seconds=95)
        ticket_at(world, oldest, kind="inquiry", category="network")  # waits, in Network
        newest = now - timedelta(seconds=20)
        ticket_at(world, newest, kind="inquiry")  # waits, in Billing
    login(client, "boss@test.cc")

    def wait_shown(html, since):
        """The tile's text and the wait worked out from the instant the board was counted."""
        counted = datetime.fromisoformat(re.search(r'data-generated-at="([^"]+)"', html).group(1))
        wait = round((counted - since).total_seconds())
        minutes, seconds = divmod(wait, 60)
        return _tile(html, "oldest-wait"), wait, " ".join(
            [f"{minutes} min"] * bool(minutes) + [f"{seconds} s"] * bool(seconds or not minutes))

    everyone = client.get("/wallboard/panel").get_data(as_text=True)
    shown, wait, expected = wait_shown(everyone, oldest)
    # the Network ticket, waiting since 95 s before the scene was set (a little more by the count):
    # not the one taken after 10 s nor the one cancelled
    assert 95 <= wait < 150 and shown == expected, (shown, wait)
    assert _tile(everyone, "waiting") == "2"
    billing = client.get("/wallboard/panel?team=Billing").get_data(as_text=True)
    shown, wait, expected = wait_shown(billing, newest)  # Billing's only waiting ticket: about 20 s
    assert 20 <= wait < 60 and shown == expected == f"{wait} s", (shown, wait)

"""GET /api/v1/kpi/summary, the per-metric endpoints and the staffing calculator, on a period
built by hand through the real actions at chosen instants; every expected figure is worked out
here, in the comments, from the story of each ticket."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.actions import assignment
from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.factories import actor_of, answered, moved, policy, replied, ticket_at
from tests.statements import statements

T = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)
PERIOD = {"from": (T - timedelta(hours=1)).isoformat(), "to": (T + timedelta(days=1)).isoformat()}


def _answer(world, ticket_id, who, after_seconds):
    answered(world, ticket_id, who, T + timedelta(seconds=after_seconds))


def _reply(world, ticket_id, who, after_seconds):
    replied(world, ticket_id, who, T + timedelta(seconds=after_seconds))


@pytest.fixture
def story(app, world):
    """Seven inquiries to Billing, all created at T:
    1 answered after 5 s, resolved after 1 h, no reply                   -> first contact
    2 answered after 30 s, two replies, resolved after 2 h
    3 answered after 15 s, resolved at 10 min, reopened at 20 min, resolved at 30 min
    4 cancelled unanswered after 3 s                                        -> a short abandon
    5 cancelled unanswered after 60 s                                       -> an abandon
    6 answered after 100 s, still open
    7 still waiting"""
    with app.app_context():
        ids = [ticket_at(world, T, kind="inquiry").id for _ in range(7)]
        t1, t2, t3, t4, t5, t6, _t7 = ids
        _answer(world, t1, "anna", 5)
        moved(world, t1, T + timedelta(hours=1), "resolved", by="anna")
        _answer(world, t2, "bert", 30)
        _reply(world, t2, "bert", 60)
        _reply(world, t2, "bert", 90)
        moved(world, t2, T + timedelta(hours=2), "resolved", by="bert")
        _answer(world, t3, "anna", 15)
        moved(world, t3, T + timedelta(minutes=10), "resolved", by="anna")
        moved(world, t3, T + timedelta(minutes=20), "in_progress", by="anna")
        moved(world, t3, T + timedelta(minutes=30), "resolved", by="anna")
        moved(world, t4, T + timedelta(seconds=3), "cancelled")
        moved(world, t5, T + timedelta(seconds=60), "cancelled")
        _answer(world, t6, "bert", 100)
    return ids


def test_each_ticket_keeps_its_answer_wait_handle_time_and_replies_as_they_happen(app, story):
    with app.app_context():
        rows = {t.id: t for t in db.session.query(Ticket).filter(Ticket.id.in_(story))}
        t1, t2, t3, t4, t5, t6, t7 = (rows[i] for i in story)
        assert (t1.answered_at, t1.queue_wait_seconds, t1.handle_seconds, t1.agent_replies) == (
            T + timedelta(seconds=5), 5, 3595, 0)
        assert (t2.queue_wait_seconds, t2.handle_seconds, t2.agent_replies) == (30, 7170, 2)
        assert (t3.queue_wait_seconds, t3.handle_seconds, t3.reopen_count) == (15, 1785, 1)  # to the last resolution
        assert (t4.answered_at, t4.queue_wait_seconds) == (None, 3)
        assert (t5.answered_at, t5.queue_wait_seconds) == (None, 60)
        assert (t6.queue_wait_seconds, t6.handle_seconds) == (100, None)
        assert (t7.answered_at, t7.queue_wait_seconds) == (None, None)


# Every event of the story falls within both: the day's tickets are counted in one read, the
# longer period's in three (summary.ONE_READ_AT_MOST); the figures must not tell them apart.
A_DAY = {"from": PERIOD["from"], "to": (T + timedelta(hours=23)).isoformat()}


@pytest.mark.parametrize("period", [PERIOD, A_DAY], ids=["25 hours", "a day"])
def test_the_summary_works_out_every_figure_of_the_period(api, story, period):
    r = api.get("/api/v1/kpi/summary", query_string=period)
    assert r.status_code == 200, r.json
    s = r.json
    # answered 1, 2, 3, 6 (waits 5, 30, 15, 100); within 20 s: 1 and 3; abandoned 4 (short) and 5
    assert s["counts"]["answered"] == 4 and s["counts"]["answered_within_threshold"] == 2
    assert s["counts"]["abandoned"] == 2 and s["counts"]["short_abandoned"] == 1
    assert s["service_level"] == 0.4  # 2 / (4 answered + 2 abandoned - 1 short)
    assert s["abandonment_rate"] == 0.2  # 1 / (4 + 1)
    assert s["asa_seconds"] == 37.5  # 150 / 4
    # resolved 1, 2, 3: handle 3595 + 7170 + 1785 = 12550
    assert s["aht_seconds"] == 4183.3
    assert s["fcr_rate"] == 0.3333  # only 1: 2 had two replies, 3 was reopened
    assert s["reopen_rate"] == 0.3333  # of 1, 2, 3 (ever resolved), 3 was reopened
    assert s["backlog"] == 2  # 6 and 7
    assert s["queue"] == {"waiting": 1, "oldest_wait_seconds": s["queue"]["oldest_wait_seconds"]}
    assert s["queue"]["oldest_wait_seconds"] >= 2 * 86400 - 60  # 7, waiting since T
    assert s["sla_breach_rate"] is None  # no SLA policy: no clock was due
    assert s["csat_avg"] is None and s["nps"] is None and s["callback_success_rate"] is None
    assert s["agents"] == {"available": 0, "busy": 0, "on_callback": 0, "away": 0, "offline": 4}  # boss, anna, bert, nina
    assert s["rules"] == {"threshold_seconds": 20, "count_abandons": True, "short_abandon_seconds": 10,
                          "count_short_abandons": False}
    assert s["metrics"]["service_level"] == {"value": 0.4, "numerator": 2, "denominator": 5}


def test_the_period_decides_which_tickets_count(api, story):
    before = {"from": (T - timedelta(days=3)).isoformat(), "to": (T - timedelta(hours=1)).isoformat()}
    s = api.get("/api/v1/kpi/summary", query_string=before).json
    assert s["counts"]["answered"] == 0 and s["service_level"] is None and s["aht_seconds"] is None
    assert s["backlog"] == 2  # backlog is now, whatever the period
    # a period ending at 20 s holds the answers of 1 and 3 and the abandon of 4 only
    early = {"from": PERIOD["from"], "to": (T + timedelta(seconds=20)).isoformat()}
    s = api.get("/api/v1/kpi/summary", query_string=early).json
    assert (s["counts"]["answered"], s["counts"]["abandoned"]) == (2, 1)
    assert s["service_level"] == 1.0  # 2 / (2 + 1 - 1 short)


def test_a_team_sees_only_its_own_tickets(api, story, app, world):
    with app.app_context():
        other = ticket_at(world, T, kind="inquiry", category="network")
        assignment.assign(other.id, world.id("nina"), actor_of(world, "boss"), now=T + timedelta(seconds=50))
    billing = api.get("/api/v1/kpi/summary", query_string={**PERIOD, "team": "Billing"}).json
    network = api.get("/api/v1/kpi/summary", query_string={**PERIOD, "team": "Network"}).json
    everyone = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
    assert billing["counts"]["answered"] == 4 and network["counts"]["answered"] == 1
    assert everyone["counts"]["answered"] == 5
    assert network["service_level"] == 0.0 and network["asa_seconds"] == 50.0
    assert network["agents"] == {"available": 0, "busy": 0, "on_callback": 0, "away": 0, "offline": 2}  # boss and nina


def test_each_metric_endpoint_answers_the_summarys_number(api, story):
    s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
    for name in ("service_level", "asa_seconds", "aht_seconds", "fcr_rate", "abandonment_rate", "reopen_rate",
                 "sla_breach_rate", "csat_avg", "nps", "callback_success_rate", "revisit_satisfaction",
                 "revisit_solved_rate"):
        m = api.get(f"/api/v1/kpi/metrics/{name}", query_string=PERIOD)
        assert m.status_code == 200, (name, m.json)
        assert m.json["value"] == s[name], name
        assert (m.json["numerator"], m.json["denominator"]) == (s["metrics"][name]["numerator"],
                                                               s["metrics"][name]["denominator"])
    unknown = api.get("/api/v1/kpi/metrics/happiness")
    assert unknown.status_code == 422 and unknown.json["error"]["code"] == "unknown_metric"


def test_settings_change_how_abandons_count(app, api, story):
    app.config.update(KPI_COUNT_SHORT_ABANDONS=True)
    try:
        s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
        assert s["service_level"] == 0.3333  # 2 / (4 + 2)
        assert s["abandonment_rate"] == 0.3333  # 2 / 6
        app.config.update(KPI_COUNT_SHORT_ABANDONS=False, KPI_COUNT_ABANDONS=False, KPI_SERVICE_LEVEL_SECONDS=30)
        s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
        assert s["service_level"] == 0.75  # 1, 2 and 3 within 30 s, of 4 answered
    finally:
        app.config.update(KPI_COUNT_SHORT_ABANDONS=False, KPI_COUNT_ABANDONS=True, KPI_SERVICE_LEVEL_SECONDS=20)


def test_the_sla_breach_rate_is_the_share_of_clocks_due_in_the_period_that_were_breached(app, api, world):
    from callcenter.actions import sla

    with app.app_context():
        policy(first=60, resolution=90 * 86400)  # resolution clocks fall due long after the period
        met = ticket_at(world, T, kind="inquiry").id
        late = ticket_at(world, T, kind="inquiry").id
        _answer(world, met, "anna", 5)
        _reply(world, met, "anna", 30)  # first response in 30 s of 60
        sla.sweep(now=T + timedelta(seconds=120))  # the sweep a worker runs: late's first response is breached
    s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
    assert (s["counts"]["sla_clocks_decided"], s["counts"]["sla_clocks_breached"]) == (2, 1)
    assert s["sla_breach_rate"] == 0.5
    assert s["sla_compliance"]["first_response"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert s["sla_compliance"]["resolution"] == {"value": None, "numerator": 0, "denominator": 0}  # none due yet
    assert set(s["sla_compliance"]) >= {"first_response", "next_response", "resolution", "final_response", "promise"}
    assert late != met


def test_revisit_satisfaction_counts_the_revisits_that_reached_the_customer_in_the_period(app, api, world):
    from callcenter.followups.models import FollowUp, FollowUpAttempt, FollowUpKind, FollowUpStatus, Outcome

    with app.app_context():
        ticket = ticket_at(world, T, kind="complaint")
        rows = []
        for n, (outcome, solved, score, hours) in enumerate((
                (Outcome.reached, True, 5, 1), (Outcome.reached, False, 2, 2), (Outcome.no_answer, None, None, 3),
                (Outcome.reached, True, 4, 72))):  # the last one after the period
            revisit = FollowUp(kind=FollowUpKind.revisit, status=FollowUpStatus.completed, ticket_id=ticket.id,
                               name="x", phone="13800000000", window_start=T, window_end=T + timedelta(days=4),
                               next_attempt_at=T, round=n + 1, declined_by=[])
            db.session.add(revisit)
            db.session.flush()
            rows.append(FollowUpAttempt(followup_id=revisit.id, number=1, outcome=outcome, solved=solved, score=score,
                                        created_at=T + timedelta(hours=hours)))
        db.session.add_all(rows)
        db.session.commit()
    s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
    assert s["revisit_satisfaction"] == 3.5  # (5 + 2) / 2; the unanswered call has no score
    assert s["revisit_solved_rate"] == 0.5  # one of the two reached said solved
    assert s["counts"]["revisits_reached"] == 2


def test_satisfaction_and_callbacks_come_from_the_follow_ups_of_the_period(app, api, world):
    from callcenter.followups.models import Survey

    with app.app_context():
        ticket = ticket_at(world, T, kind="inquiry")
        db.session.add_all([
            Survey(ticket_id=ticket.id, nonce="a" * 32, answered_at=T + timedelta(hours=1), csat=5, nps=10,
                   expires_at=T + timedelta(days=7)),
            Survey(ticket_id=ticket_at(world, T, kind="inquiry").id, nonce="b" * 32, answered_at=T + timedelta(hours=2),
                   csat=2, nps=3, expires_at=T + timedelta(days=7)),
            Survey(ticket_id=ticket_at(world, T, kind="inquiry").id, nonce="c" * 32, answered_at=T + timedelta(hours=3),
                   csat=4, nps=8, expires_at=T + timedelta(days=7))])
        db.session.commit()
    s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
    assert s["csat_avg"] == 3.67  # (5 + 2 + 4) / 3
    assert s["nps"] == 0.0  # one promoter (10), one detractor (3), one passive (8)
    assert s["counts"]["surveys_answered"] == 3


def test_nps_counts_nine_as_a_promoter_and_six_as_a_detractor_and_seven_as_neither(app, api, world):
    from callcenter.followups.models import Survey

    with app.app_context():
        for n, score in enumerate((9, 9, 7, 6)):
            db.session.add(Survey(ticket_id=ticket_at(world, T, kind="inquiry").id, nonce=f"{n}" * 32,
                                  answered_at=T + timedelta(hours=1 + n), csat=3, nps=score,
                                  expires_at=T + timedelta(days=7)))
        db.session.commit()
    s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
    assert s["nps"] == 25.0  # 100 x (2 promoters - 1 detractor) / 4 answers
    assert s["metrics"]["nps"]["numerator"] == 1 and s["metrics"]["nps"]["denominator"] == 4


def test_the_summary_runs_a_fixed_number_of_statements(app, api, story, world):
    api.get("/api/v1/kpi/summary", query_string=PERIOD)  # warm: the token's user is cached per request anyway
    with statements(app) as seen:
        assert api.get("/api/v1/kpi/summary", query_string={**PERIOD, "team": "Billing"}).status_code == 200
    with app.app_context():
        for _ in range(20):
            ticket_at(world, T, kind="inquiry")
    with statements(app) as more:
        assert api.get("/api/v1/kpi/summary", query_string={**PERIOD, "team": "Billing"}).status_code == 200
    assert len(more) == len(seen)
    # BEGIN, the token with its user and teams (1), the team, the tickets' figures (4 reads over
    # 25 hours: the answered, the abandoned, the resolved, the created; one for a day), SLA clocks
    # (1), the backlog (1), follow-ups (2), revisits (1), agents (2), the queue (1)
    assert len(seen) <= 15, "\n".join(seen)


def test_agents_sign_in_to_a_summary_they_may_not_read(api):
    r = api.get("/api/v1/kpi/summary", who="anna")
    assert r.status_code == 403


def test_a_period_that_ends_before_it_starts_is_refused_with_the_field(api):
    r = api.get("/api/v1/kpi/summary", query_string={"from": PERIOD["to"], "to": PERIOD["from"]})
    assert r.status_code == 422 and "from" in r.json["error"]["details"]["fields"]


def test_the_staffing_calculator_answers_erlang_c(api):
    r = api.get("/api/v1/kpi/staffing", query_string={"arrivals": 100, "interval_seconds": 1800, "aht_seconds": 180,
                                                       "target_seconds": 20, "service_level": 0.8, "shrinkage": 0.3})
    assert r.status_code == 200, r.json
    assert r.json == {"traffic_erlangs": 10.0, "agents": 14, "scheduled_agents": 20, "service_level": 0.8884,
                      "asa_seconds": 7.8, "occupancy": 0.7143, "waiting_probability": 0.1741}
    bad = api.get("/api/v1/kpi/staffing", query_string={"arrivals": -1, "aht_seconds": 0})
    assert bad.status_code == 422
    assert {"arrivals", "aht_seconds"} <= set(str(bad.json["error"]["details"]).replace("'", " ").split())
    assert api.get("/api/v1/kpi/staffing", who="anna", query_string={"arrivals": 1, "aht_seconds": 60}).status_code == 403


def test_a_ticket_answered_by_a_reply_or_a_move_without_an_assignment_is_answered_not_abandoned(app, api, world):
    with app.app_context():
        replied_to = ticket_at(world, T, kind="inquiry").id
        moved_on = ticket_at(world, T, kind="inquiry").id
        _reply(world, replied_to, "boss", 5)  # the supervisor answers it from the list, unassigned
        moved(world, moved_on, T + timedelta(seconds=12), "in_progress")
        moved(world, replied_to, T + timedelta(hours=3), "cancelled")
        rows = {t.id: t for t in db.session.query(Ticket).filter(Ticket.id.in_([replied_to, moved_on]))}
        assert (rows[replied_to].answered_at, rows[replied_to].queue_wait_seconds) == (T + timedelta(seconds=5), 5)
        assert rows[moved_on].queue_wait_seconds == 12
    s = api.get("/api/v1/kpi/summary", query_string=PERIOD).json
    assert (s["counts"]["answered"], s["counts"]["abandoned"]) == (2, 0)
    assert s["service_level"] == 1.0

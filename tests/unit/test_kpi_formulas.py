from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.kpi import formulas
from callcenter.kpi.formulas import at_risk_order, share, worst_clock


def test_share_is_none_rather_than_zero_when_there_is_nothing_to_share():
    assert share(0, 0) is None
    assert share(1, 3) == 0.3333 and share(0, 5) == 0.0


def test_the_worst_clock_is_the_worst_state_then_the_least_time_left_and_never_a_met_one():
    clocks = [{"name": "resolution", "state": "running", "remaining_seconds": 60},
              {"name": "first_response", "state": "warning", "remaining_seconds": 300},
              {"name": "final_response", "state": "warning", "remaining_seconds": 120},
              {"name": "next_response", "state": "met", "remaining_seconds": -999}]
    assert worst_clock(clocks)["name"] == "final_response"
    assert worst_clock([*clocks, {"name": "promise:1", "state": "breached", "remaining_seconds": -5}])["name"] == "promise:1"
    assert worst_clock([{"name": "x", "state": "met", "remaining_seconds": 0}]) is None
    assert worst_clock([]) is None


def test_at_risk_puts_breaches_first_and_the_most_overdue_on_top():
    entries = [{"ticket_id": 1, "state": "warning", "remaining_seconds": 50},
               {"ticket_id": 2, "state": "breached", "remaining_seconds": -10},
               {"ticket_id": 3, "state": "breached", "remaining_seconds": -900},
               {"ticket_id": 4, "state": "warning", "remaining_seconds": 5}]
    assert [e["ticket_id"] for e in at_risk_order(entries)] == [3, 2, 4, 1]


def test_a_clock_stopped_late_is_history_not_the_worst_clock():
    clocks = [{"name": "first_response", "state": "breached", "stopped": True, "remaining_seconds": -60},
              {"name": "resolution", "state": "running", "stopped": False, "remaining_seconds": 600}]
    assert worst_clock(clocks)["name"] == "resolution"


def test_today_starts_at_the_desks_midnight_not_utcs():
    from datetime import datetime, timezone

    from callcenter.kpi.formulas import start_of_local_day

    shanghai_half_past_midnight = datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)
    assert start_of_local_day(shanghai_half_past_midnight, "Asia/Shanghai") == datetime(
        2026, 11, 23, 16, 0, tzinfo=timezone.utc)
    assert start_of_local_day(datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc), "Asia/Shanghai") == datetime(
        2026, 11, 22, 16, 0, tzinfo=timezone.utc)
    assert start_of_local_day(datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc), "America/New_York") == datetime(
        2026, 3, 8, 5, 0, tzinfo=timezone.utc)  # the day daylight saving starts: midnight was still EST


def test_csat_average_is_the_mean_of_answers_and_none_without_any():
    assert formulas.csat_average(11, 3) == formulas.Ratio(3.67, 11, 3)  # 5, 4, 2: 11 / 3 = 3.667
    assert formulas.csat_average(7, 2).value == 3.5  # 5, 2
    assert formulas.csat_average(0, 0).value is None


def test_net_promoter_score_is_promoters_minus_detractors_in_points():
    assert (formulas.PROMOTER_FROM, formulas.DETRACTOR_UP_TO) == (9, 6)
    # 9, 10, 8, 6, 0: 2 promoters (9, 10), 1 passive (8), 2 detractors (6, 0): 100 x (2 - 2) / 5
    assert formulas.nps_ratio(2, 2, 5) == formulas.Ratio(0.0, 0, 5)
    assert formulas.nps_ratio(2, 0, 3).value == 66.7  # 10, 10, 7: 100 x 2 / 3 = 66.67
    assert formulas.nps_ratio(0, 1, 1).value == -100.0  # 3


def test_callback_success_rate_counts_only_callbacks_that_ended_with_a_try():
    assert formulas.callback_success_rate(3, 1) == formulas.Ratio(0.75, 3, 4)  # 3 reached of 3 + 1 tried
    assert formulas.callback_success_rate(2, 1).value == 0.6667  # 2 / 3, to four decimals
    assert formulas.callback_success_rate(0, 0).value is None


# ---------------------------------------------------------------- Erlang C

def test_erlang_c_gives_call_centre_helpers_worked_example():
    """100 calls in 30 minutes, 180 s handle time, 80 % answered in 20 s (Call Centre Helper's
    example, which pyworkforce asserts too): 10 Erlangs and 14 agents."""
    out = formulas.staffing(arrivals=100, interval_seconds=1800, aht_seconds=180, target_seconds=20,
                            service_level_goal=0.8)
    assert out["traffic_erlangs"] == 10.0
    assert out["agents"] == 14
    assert out["waiting_probability"] == 0.1741
    assert out["service_level"] == 0.8884
    assert out["occupancy"] == 0.7143
    assert out["asa_seconds"] == 7.8
    assert out["scheduled_agents"] == 14


def test_thirteen_agents_fall_short_of_the_goal_and_shrinkage_raises_the_schedule():
    assert round(formulas.erlang_service_level(13, 10.0, 20, 180), 3) == 0.796
    out = formulas.staffing(100, 1800, 180, 20, 0.8, shrinkage=0.3)
    assert out["agents"] == 14 and out["scheduled_agents"] == 20  # ceil(14 / 0.7)


def test_a_maximum_occupancy_adds_agents_the_service_level_alone_would_not():
    assert formulas.staffing(100, 1800, 180, 20, 0.8, max_occupancy=0.65)["agents"] == 16  # 10/16 = 0.625
    assert formulas.staffing(100, 1800, 180, 20, 0.8, max_occupancy=0.65)["occupancy"] <= 0.65


def test_no_traffic_needs_no_agents_and_as_many_agents_as_erlangs_never_keep_up():
    assert formulas.staffing(0, 1800, 180, 20, 0.8)["agents"] == 0
    assert formulas.waiting_probability(10, 10.0) == 1.0
    assert formulas.erlang_service_level(10, 10.0, 20, 180) == 0.0
    assert formulas.erlang_asa(9, 10.0, 180) == float("inf")


@given(st.floats(min_value=1, max_value=2000), st.floats(min_value=10, max_value=900),
       st.floats(min_value=0.5, max_value=0.99), st.floats(min_value=0, max_value=0.5))
@settings(max_examples=60, deadline=None)
def test_the_agents_found_are_the_fewest_that_reach_the_goal(arrivals, aht, goal, shrinkage):
    out = formulas.staffing(arrivals, 1800, aht, 20, goal, shrinkage=shrinkage)
    traffic = formulas.traffic_intensity(arrivals, 1800, aht)
    n = out["agents"]
    assert formulas.erlang_service_level(n, traffic, 20, aht) >= goal
    assert n - 1 <= traffic or formulas.erlang_service_level(n - 1, traffic, 20, aht) < goal
    assert out["scheduled_agents"] >= n and out["scheduled_agents"] * (1 - shrinkage) >= n - 1e-9


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0.1, max_value=150))
@settings(max_examples=60, deadline=None)
def test_one_more_agent_never_lowers_the_service_level(agents, traffic):
    assert formulas.erlang_service_level(agents + 1, traffic, 20, 180) >= formulas.erlang_service_level(
        agents, traffic, 20, 180) - 1e-12


# ---------------------------------------------------------------- service level and abandons

# A hand-built period: 10 answered (7 within 20 s, waits summing to 230 s), 4 abandoned of
# which 1 within the short-abandon seconds.
PERIOD = formulas.QueueOutcomes(answered=10, answered_within_threshold=7, answered_wait_seconds=230,
                                abandoned=4, short_abandoned=1)


def test_service_level_counts_long_abandons_against_it_by_default():
    sl = formulas.service_level(PERIOD, formulas.ServiceLevelRules())
    assert (sl.numerator, sl.denominator, sl.value) == (7, 13, 0.5385)  # 7 / (10 + 4 - 1)


def test_service_level_switches_follow_the_settings():
    rules = formulas.ServiceLevelRules
    assert formulas.service_level(PERIOD, rules(count_short_abandons=True)).value == 0.5  # 7 / 14
    assert formulas.service_level(PERIOD, rules(count_abandons=False)).value == 0.7  # 7 / 10


def test_abandonment_leaves_short_abandons_out_unless_told():
    assert formulas.abandonment_rate(PERIOD, formulas.ServiceLevelRules()).value == 0.2308  # 3 / 13
    assert formulas.abandonment_rate(PERIOD, formulas.ServiceLevelRules(count_short_abandons=True)).value == 0.2857


def test_the_average_speed_of_answer_is_the_answered_waits_over_the_answered():
    assert formulas.average_speed_of_answer(PERIOD) == formulas.Ratio(23.0, 230, 10)  # abandons do not count
    assert formulas.average_speed_of_answer(formulas.QueueOutcomes(answered=3, answered_wait_seconds=50)).value == 16.7


def test_the_average_handle_time_is_the_resolved_tickets_handle_seconds_over_the_resolved():
    assert formulas.average_handle_time(1000, 3) == formulas.Ratio(333.3, 1000, 3)  # 333.33 s, one decimal
    assert formulas.average_handle_time(0, 0).value is None


def test_revisit_satisfaction_and_solved_rate():
    assert formulas.revisit_satisfaction(13, 3) == formulas.Ratio(4.33, 13, 3)  # 5, 4, 4: 4.333, two decimals
    assert formulas.revisit_satisfaction(0, 0).value is None
    assert formulas.revisit_solved_rate(3, 4) == formulas.Ratio(0.75, 3, 4)
    assert formulas.revisit_solved_rate(2, 3).value == 0.6667 and formulas.revisit_solved_rate(0, 0).value is None


def test_first_contact_resolution_is_the_share_of_the_resolved_done_at_first_contact():
    assert formulas.first_contact_resolution(6, 8) == formulas.Ratio(0.75, 6, 8)  # 6 of 8 resolved
    assert formulas.first_contact_resolution(1, 3).value == 0.3333  # 1 / 3, to four decimals
    assert formulas.first_contact_resolution(0, 0).value is None


def test_reopen_rate_is_the_share_of_the_ever_resolved_reopened():
    assert formulas.reopen_rate(1, 8) == formulas.Ratio(0.125, 1, 8)  # 1 reopened of 8 ever resolved
    assert formulas.reopen_rate(2, 7).value == 0.2857  # 2 / 7 = 0.28571
    assert formulas.reopen_rate(0, 0).value is None


def test_sla_breach_rate_and_compliance_share_the_decided_clocks():
    # 7 clocks decided in the period, 2 of them breached, 5 met in time
    assert formulas.sla_breach_rate(2, 7) == formulas.Ratio(0.2857, 2, 7)  # 2 / 7 = 0.28571
    assert formulas.sla_compliance(2, 7) == formulas.Ratio(0.7143, 5, 7)  # 5 / 7 = 0.71429
    assert formulas.sla_compliance(0, 3).value == 1.0 and formulas.sla_breach_rate(0, 3).value == 0.0
    assert formulas.sla_breach_rate(0, 0).value is None and formulas.sla_compliance(0, 0).value is None


def test_averages_and_rates_are_none_when_nothing_counts_not_zero():
    empty = formulas.QueueOutcomes()
    assert formulas.service_level(empty, formulas.ServiceLevelRules()).value is None
    assert formulas.average(0, 0).value is None
    assert formulas.average(230, 10).value == 23.0
    assert formulas.nps_ratio(0, 0, 0).value is None
    assert formulas.nps_ratio(5, 2, 10).value == 30.0


def test_staffing_refuses_numbers_that_need_more_than_the_cap_before_working_anything_out():
    import pytest

    with pytest.raises(ValueError):
        formulas.staffing(1_000_000, 60, 604_800, 20, 0.8)  # 10 million Erlangs
    # a low occupancy cap starts the search at its floor: 2,000 Erlangs at 5 % is 40,000 agents at once
    assert formulas.staffing(2000, 1800, 1800, 20, 0.8, max_occupancy=0.05)["agents"] == 40_000


def test_a_tiles_rule_puts_the_bad_limit_beyond_the_warning_one_in_the_direction_that_is_worse():
    assert formulas.tile_rule("waiting", 5, 20) == ({"warn_above": 5, "bad_above": 20}, {})
    assert formulas.tile_rule("waiting", 20, 5)[1] == {"bad": "order"}
    assert formulas.tile_rule("csat", 4.0, 3.5) == ({"warn_below": 4.0, "bad_below": 3.5}, {})
    assert formulas.tile_rule("csat", 3.5, 4.0)[1] == {"bad": "order"}
    assert formulas.tile_rule("csat", 6, None)[1] == {"warn": "range"}  # a 1-5 score
    assert formulas.tile_rule("abandonment", 1.5, None)[1] == {"warn": "range"}  # a share is 0-1
    assert formulas.tile_rule("nps", -20, -100) == ({"warn_below": -20, "bad_below": -100}, {})
    assert formulas.tile_rule("breached", None, 0) == ({"bad_above": 0}, {})  # one colour only
    assert formulas.tile_rule("asa", float("nan"), None)[1] == {"warn": "range"}
    assert formulas.tile_rule("no-such-tile", 1, 2)[1] == {"warn": "unknown"}


def test_saved_colours_lie_over_the_configured_ones_tile_by_tile():
    rules = formulas.thresholds({"waiting": {"warn_above": 1}}, 0.8, {"asa": {"bad_above": 5}})
    assert rules["waiting"] == {"warn_above": 1} and rules["asa"] == {"bad_above": 5}
    assert rules["service-level"] == {"warn_below": 0.85, "bad_below": 0.8}
    assert set(formulas.TILE_THRESHOLDS) <= set(formulas.TILE_RULES)


def test_the_forecast_looks_at_the_same_local_hour_a_week_earlier_across_a_clock_change():
    from datetime import datetime, timezone

    _weeks_before = formulas.same_hour_weeks_before
    # 10:00 in New York on Monday 9 March 2026 (EDT, UTC-4) is 14:00 UTC; a week earlier,
    # before the clocks went forward, 10:00 EST was 15:00 UTC, not 14:00
    start, end = _weeks_before(datetime(2026, 3, 9, 14, tzinfo=timezone.utc), 1, "America/New_York")
    assert start == datetime(2026, 3, 2, 15, tzinfo=timezone.utc) and (end - start).total_seconds() == 3600
    # Shanghai has no clock change: exactly 168 hours
    start, _ = _weeks_before(datetime(2026, 3, 9, 2, tzinfo=timezone.utc), 2, "Asia/Shanghai")
    assert start == datetime(2026, 2, 23, 2, tzinfo=timezone.utc)


def test_the_forecasts_hours_start_on_the_desks_hour_in_a_zone_half_an_hour_off_utc():
    from datetime import datetime, timezone

    from callcenter.kpi.staffing import hour_start

    at = datetime(2026, 12, 4, 5, 17, tzinfo=timezone.utc)  # 10:47 in Kolkata (+5:30), 13:17 in Shanghai
    assert hour_start(at, "Asia/Kolkata") == datetime(2026, 12, 4, 4, 30, tzinfo=timezone.utc)  # 10:00 there
    assert hour_start(at, "Asia/Shanghai") == datetime(2026, 12, 4, 5, 0, tzinfo=timezone.utc)
    assert hour_start(at) == datetime(2026, 12, 4, 5, 0, tzinfo=timezone.utc)

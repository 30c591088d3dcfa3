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
    assert formulas.csat_average([5, 4, 2]) == 3.67
    assert formulas.csat_average([]) is None


def test_net_promoter_score_is_promoters_minus_detractors_in_points():
    # 2 promoters (9, 10), 1 passive (8), 2 detractors (6, 0): (2 - 2) / 5
    assert formulas.net_promoter_score([9, 10, 8, 6, 0]) == 0.0
    assert formulas.net_promoter_score([10, 10, 7]) == 66.7
    assert formulas.net_promoter_score([3]) == -100.0
    assert formulas.net_promoter_score([]) is None


def test_callback_success_rate_counts_only_callbacks_that_ended_with_a_try():
    assert formulas.callback_success_rate(3, 1) == 0.75
    assert formulas.callback_success_rate(0, 0) is None

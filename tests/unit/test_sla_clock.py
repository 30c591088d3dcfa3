"""SLA clocks from their history: pauses across nights, warnings, breach, met, target edits."""
from datetime import datetime
from zoneinfo import ZoneInfo

from callcenter.sla.calendar import BusinessCalendar, parse_hours
from callcenter.sla.clock import (
    BREACHED,
    MET,
    PAUSE,
    PAUSED,
    RESUME,
    RUNNING,
    START,
    STOP,
    WARNING,
    ClockEvent,
    clock_state,
)

SH = ZoneInfo("Asia/Shanghai")
H = 3600
CAL = BusinessCalendar(tz="Asia/Shanghai", weekly={d: parse_hours("09:00-18:00") for d in range(5)})


def at(d, hh, mm=0):
    return datetime(2026, 11, d, hh, mm, tzinfo=SH)  # 23 Nov 2026 is a Monday


def ev(*pairs):
    return [ClockEvent(a, k) for a, k in pairs]


def test_a_running_clock_knows_its_due_time_and_what_is_left():
    s = clock_state(ev((at(23, 10), START)), 4 * H, CAL, at(23, 11))
    assert s.state == RUNNING and s.due_at == at(23, 14) and s.remaining_seconds == 3 * H
    assert s.percent_used == 0.25


def test_warning_then_breach():
    events = ev((at(23, 10), START))
    assert clock_state(events, 4 * H, CAL, at(23, 13, 1)).state == WARNING
    assert clock_state(events, 4 * H, CAL, at(23, 14)).state == BREACHED
    assert clock_state(events, 4 * H, CAL, at(23, 15)).remaining_seconds == -1 * H


def test_warning_instants_follow_business_time():
    s = clock_state(ev((at(23, 16), START)), 4 * H, CAL, at(23, 16))
    assert dict(s.warnings) == {0.75: at(24, 10), 0.9: at(24, 10, 36)}
    assert s.due_at == at(24, 11)


def test_a_pause_stops_the_clock_across_the_night_and_resume_moves_the_due_time():
    events = ev((at(23, 16), START), (at(23, 17), PAUSE), (at(24, 11), RESUME))
    paused = clock_state(events, 4 * H, CAL, at(24, 10))
    assert paused.state == PAUSED and paused.due_at is None and paused.used_seconds == 1 * H
    resumed = clock_state(events, 4 * H, CAL, at(24, 12))
    assert resumed.used_seconds == 2 * H and resumed.due_at == at(24, 14)


def test_met_when_stopped_in_time_and_breached_when_stopped_late():
    assert clock_state(ev((at(23, 10), START), (at(23, 13), STOP)), 4 * H, CAL, at(25, 9)).state == MET
    late = clock_state(ev((at(23, 10), START), (at(23, 15), STOP)), 4 * H, CAL, at(25, 9))
    assert late.state == BREACHED and late.due_at is None and not late.running


def test_a_target_edit_keeps_the_time_used():
    events = ev((at(23, 10), START))
    before = clock_state(events, 8 * H, CAL, at(23, 12))
    after = clock_state(events, 4 * H, CAL, at(23, 12))  # priority raised: tighter target
    assert before.used_seconds == after.used_seconds == 2 * H
    assert after.due_at == at(23, 14) and before.due_at == at(23, 18)


def test_events_after_now_are_ignored():
    events = ev((at(23, 10), START), (at(23, 12), STOP))
    assert clock_state(events, 4 * H, CAL, at(23, 11)).state == RUNNING


def test_a_restarted_clock_counts_the_time_already_used():
    events = ev((at(23, 10), START), (at(23, 12), STOP), (at(23, 15), START))
    s = clock_state(events, 4 * H, CAL, at(23, 16))
    assert s.used_seconds == 3 * H and s.due_at == at(23, 17) and s.state == WARNING


def test_twenty_four_seven_clock_runs_through_the_night():
    s = clock_state(ev((at(23, 23), START)), 2 * H, BusinessCalendar.twenty_four_seven(), at(24, 0))
    assert s.due_at == at(24, 1) and s.state == RUNNING


def test_a_clock_is_decided_at_its_stop_when_met_and_at_its_due_time_when_breached():
    from datetime import datetime, timedelta, timezone

    from callcenter.sla.clock import decided_at

    t = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    now = t + timedelta(hours=5)
    met = [[t.isoformat(), "start"], [(t + timedelta(minutes=20)).isoformat(), "stop"]]
    assert decided_at("met", met, None, t + timedelta(hours=1), now) == t + timedelta(minutes=20)
    assert decided_at("breached", [[t.isoformat(), "start"]], t + timedelta(hours=1), None, now) == t + timedelta(hours=1)
    # answered late: its due time is no longer kept, the last one known is
    assert decided_at("breached", met, None, t + timedelta(minutes=10), now) == t + timedelta(minutes=10)
    assert decided_at("running", met, t + timedelta(hours=1), None, now) is None
    assert decided_at("warning", met, t + timedelta(hours=1), None, now) is None

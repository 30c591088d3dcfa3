"""The routing engine, with fixed clocks and no database."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.routing.engine import (
    ANY_AGENT,
    EXACT,
    LOWER_LEVEL,
    OTHER_TEAMS,
    AgentState,
    Policy,
    TicketFacts,
    best_ticket_for,
    decide,
    plan,
    score,
    why_not,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def agent(id, skills=None, load=0, capacity=5, teams=(1,), langs=("zh",), presence="available", last=None):
    return AgentState(id=id, skills=skills or {"billing": 3}, languages=frozenset(langs), team_ids=frozenset(teams),
                      capacity=capacity, load=load, presence=presence, last_assigned_at=last)


def ticket(id=1, priority="P3", tier="C", waited=timedelta(0), skills=None, lang="zh", team=1, **kw):
    return TicketFacts(id=id, priority=priority, tier=tier, waiting_since=NOW - waited,
                       required_skills={"billing": 3} if skills is None else skills, language=lang, team_id=team, **kw)


def test_highest_fit_wins():
    d = decide(ticket(), [agent(1, {"billing": 3}), agent(2, {"billing": 5})], NOW)
    assert d.agent_id == 2


def test_equal_fit_goes_to_the_lower_load_ratio():
    d = decide(ticket(), [agent(1, load=2, capacity=4), agent(2, load=2, capacity=8)], NOW)
    assert d.agent_id == 2


def test_equal_fit_and_load_goes_to_the_longest_idle():
    d = decide(ticket(), [agent(1, last=NOW - timedelta(minutes=1)), agent(2, last=NOW - timedelta(minutes=9))], NOW)
    assert d.agent_id == 2


def test_never_an_agent_who_is_away_full_unskilled_foreign_or_of_another_team():
    agents = [agent(1, presence="away"), agent(2, load=5), agent(3, {"billing": 2}), agent(4, langs=("en",)),
              agent(5, teams=(2,))]
    d = decide(ticket(), agents, NOW)
    assert d.agent_id is None
    reasons = {c.agent_id: c.reason for c in d.candidates}
    assert reasons == {1: "presence:away", 2: "at_capacity", 3: "skill:billing", 4: "language:zh", 5: "other_team"}


def test_waiting_reason_names_the_missing_skill():
    d = decide(ticket(skills={"network": 4}), [agent(1, {"billing": 5}), agent(2, {"billing": 2}, load=5)], NOW)
    assert d.waiting_reason == "no_skill_network"


def test_waiting_reason_when_nobody_is_online_or_all_are_full():
    assert decide(ticket(), [agent(1, presence="offline")], NOW).waiting_reason == "no_agent_online"
    assert decide(ticket(), [agent(1, load=5)], NOW).waiting_reason == "all_at_capacity"


def test_widening_lowers_the_level_then_opens_other_teams_then_any_agent():
    t = ticket(skills={"billing": 4})
    low, other_team, unskilled = agent(1, {"billing": 3}), agent(2, {"billing": 4}, teams=(9,)), agent(3, {"x": 1}, teams=(9,))
    assert why_not(low, t, EXACT) == "skill:billing"
    assert why_not(low, t, LOWER_LEVEL) is None
    assert why_not(other_team, t, LOWER_LEVEL) == "other_team"
    assert why_not(other_team, t, OTHER_TEAMS) is None
    assert why_not(unskilled, t, OTHER_TEAMS) == "skill:billing"
    assert why_not(unskilled, t, ANY_AGENT) is None


def test_widening_only_after_its_step():
    policy = Policy(steps=(timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=10)))
    t = lambda waited: ticket(skills={"billing": 4}, waited=waited)  # noqa: E731
    low = [agent(1, {"billing": 3})]
    assert decide(t(timedelta(minutes=1, seconds=59)), low, NOW, policy).agent_id is None
    assert decide(t(timedelta(minutes=2)), low, NOW, policy).agent_id == 1
    assert decide(t(timedelta(minutes=2)), low, NOW, policy).widening == LOWER_LEVEL


def test_recorded_widening_never_shrinks():
    t = replace(ticket(skills={"billing": 4}), widening_floor=LOWER_LEVEL)
    assert decide(t, [agent(1, {"billing": 3})], NOW).agent_id == 1


def test_score_orders_by_priority_then_tier_and_aging_lifts_the_old():
    assert score(ticket(priority="P1"), NOW) > score(ticket(priority="P2"), NOW)
    assert score(ticket(tier="VIP"), NOW) > score(ticket(tier="C"), NOW)
    assert score(ticket(priority="P4", waited=timedelta(minutes=31)), NOW) > score(ticket(priority="P1"), NOW)


def test_handed_back_tickets_go_to_the_front():
    assert score(ticket(priority="P4", handed_back=True), NOW) > score(ticket(priority="P1", tier="VIP"), NOW)


def test_excluded_agents_are_skipped():
    d = decide(ticket(excluded_agents=frozenset({1})), [agent(1, {"billing": 5}), agent(2)], NOW)
    assert d.agent_id == 2


def test_plan_counts_assignments_against_capacity():
    decisions = plan([ticket(i) for i in range(1, 6)], [agent(1, capacity=2), agent(2, capacity=1)], NOW)
    chosen = Counter(d.agent_id for d in decisions)
    assert chosen == {1: 2, 2: 1, None: 2}


def test_equal_agents_share_a_run_of_tickets_evenly():
    agents = [agent(i, capacity=100) for i in range(1, 6)]
    decisions = plan([ticket(i) for i in range(1, 101)], agents, NOW)
    assert set(Counter(d.agent_id for d in decisions).values()) == {20}


def test_a_freed_agent_takes_the_highest_scored_ticket_they_can():
    tickets = [ticket(1, priority="P4"), ticket(2, priority="P1", skills={"network": 3}), ticket(3, priority="P2")]
    assert best_ticket_for(agent(1), tickets, NOW).id == 3


def test_explain_lists_the_chosen_first():
    d = decide(ticket(), [agent(1, {"billing": 3}), agent(2, {"billing": 5}), agent(3, presence="away")], NOW)
    explained = d.explain()
    assert explained["candidates"][0]["agent_id"] == 2 and explained["considered"] == 3


# ---------------------------------------------------------------- properties

skills_st = st.dictionaries(st.sampled_from(["billing", "network", "device"]), st.integers(1, 5), max_size=3)
agents_st = st.lists(st.builds(
    AgentState, id=st.integers(1, 10_000), skills=skills_st,
    languages=st.frozensets(st.sampled_from(["zh", "en"]), max_size=2),
    team_ids=st.frozensets(st.integers(1, 3), max_size=2), capacity=st.integers(1, 6), load=st.integers(0, 6),
    presence=st.sampled_from(["available", "available", "away", "offline"]),
    last_assigned_at=st.none() | st.builds(lambda m: NOW - timedelta(minutes=m), st.integers(0, 600)),
), max_size=12, unique_by=lambda a: a.id)
tickets_st = st.lists(st.builds(
    TicketFacts, id=st.integers(1, 100_000), priority=st.sampled_from(["P1", "P2", "P3", "P4"]),
    tier=st.sampled_from(["VIP", "A", "B", "C"]),
    waiting_since=st.builds(lambda s: NOW - timedelta(seconds=s), st.integers(0, 3600)),
    required_skills=skills_st, language=st.sampled_from([None, "zh", "en"]), team_id=st.none() | st.integers(1, 3),
), max_size=25, unique_by=lambda t: t.id)


@settings(max_examples=300, deadline=None)
@given(tickets_st, agents_st)
def test_plan_never_uses_an_ineligible_or_full_agent(tickets, agents):
    by_id = {a.id: a for a in agents}
    used = Counter()
    decided = {d.ticket_id: d for d in plan(tickets, agents, NOW)}
    for t in sorted(tickets, key=lambda t: (-score(t, NOW), t.waiting_since, t.id)):
        d = decided[t.id]
        if d.agent_id is None:
            continue
        a = by_id[d.agent_id]
        state = replace(a, load=a.load + used[a.id])
        assert why_not(state, t, d.widening) is None
        used[a.id] += 1
        assert a.load + used[a.id] <= a.capacity


@settings(max_examples=300, deadline=None)
@given(tickets_st, agents_st)
def test_a_higher_score_is_never_skipped_for_a_lower_one_on_the_same_agent(tickets, agents):
    decided = {d.ticket_id: d for d in plan(tickets, agents, NOW)}
    by_id = {t.id: t for t in tickets}
    for high in tickets:
        if decided[high.id].agent_id is not None:
            continue
        for low in tickets:
            got = decided[low.id].agent_id
            if got is None or score(low, NOW) >= score(high, NOW):
                continue
            # high waited while a lower one went to `got`: high must not have fitted `got` at that moment.
            agent_then = next(a for a in agents if a.id == got)
            fits_skills = why_not(replace(agent_then, load=0), by_id[high.id], decided[high.id].widening)
            assert fits_skills is not None, (high, low, agent_then)


@settings(max_examples=200, deadline=None)
@given(tickets_st, agents_st, st.integers(0, 30))
def test_widening_never_happens_before_its_step(tickets, agents, minutes):
    policy = Policy()
    for t in tickets:
        waited = NOW - t.waiting_since
        expected = sum(1 for step in policy.steps if waited >= step)
        assert decide(t, agents, NOW, policy).widening == expected


@settings(max_examples=200, deadline=None)
@given(tickets_st, agents_st)
def test_best_ticket_for_is_the_first_eligible_in_serving_order(tickets, agents):
    for a in agents[:3]:
        ordered = sorted(tickets, key=lambda t: (-score(t, NOW), t.waiting_since, t.id))
        expected = next((t for t in ordered if why_not(a, t, Policy().widening(NOW - t.waiting_since)) is None), None)
        assert best_ticket_for(a, tickets, NOW) == expected

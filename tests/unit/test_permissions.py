from callcenter.actors import SYSTEM, Actor
from callcenter.tickets.permissions import can_assign, can_view

AGENT = Actor(kind="agent", name="a", user_id=7, role="agent", team_ids=frozenset({1}))
SUPERVISOR = Actor(kind="agent", name="s", user_id=8, role="supervisor", team_ids=frozenset())
CUSTOMER = Actor.customer("c")


def test_agent_sees_own_team_and_own_tickets_only():
    assert can_view(AGENT, 1, None)
    assert can_view(AGENT, 2, 7)
    assert not can_view(AGENT, 2, 9)
    assert not can_view(AGENT, None, None)


def test_supervisor_and_system_see_everything():
    assert can_view(SUPERVISOR, 5, None)
    assert can_view(SYSTEM, None, None)


def test_customers_never_see_through_the_staff_rule():
    assert not can_view(CUSTOMER, 1, None)


def test_agents_assign_only_themselves():
    assert can_assign(AGENT, 7)
    assert not can_assign(AGENT, 8)
    assert can_assign(SUPERVISOR, 7)

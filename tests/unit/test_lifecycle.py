import pytest

from callcenter.tickets import lifecycle as lc


def test_every_status_has_a_transition_entry():
    assert set(lc.TRANSITIONS) == set(lc.STATUSES)


def test_closed_and_cancelled_are_final():
    assert lc.allowed_transitions("closed") == ()
    assert lc.allowed_transitions("cancelled") == ()


@pytest.mark.parametrize("current,target", [
    ("new", "in_progress"), ("assigned", "pending_customer"), ("in_progress", "resolved"),
    ("pending_customer", "in_progress"), ("resolved", "closed"), ("resolved", "in_progress"),
    ("new", "cancelled"), ("pending_customer", "cancelled"),
])
def test_allowed_moves(current, target):
    assert lc.can_transition(current, target)


@pytest.mark.parametrize("current,target", [
    ("new", "closed"), ("new", "resolved"), ("closed", "in_progress"), ("cancelled", "new"),
    ("resolved", "cancelled"), ("in_progress", "assigned"), ("in_progress", "new"),
])
def test_refused_moves(current, target):
    assert not lc.can_transition(current, target)


def test_reopen_is_only_resolved_to_in_progress():
    assert lc.is_reopen("resolved", "in_progress")
    assert not lc.is_reopen("pending_customer", "in_progress")


def test_assignment_keeps_a_ticket_waiting_on_the_customer_waiting():
    assert lc.status_after_assignment("pending_customer") == "pending_customer"
    assert lc.status_after_assignment("new") == "assigned"
    assert lc.status_after_assignment("in_progress") == "assigned"


def test_agent_reply_starts_work_only_on_unstarted_tickets():
    assert lc.status_after_agent_reply("assigned") == "in_progress"
    assert lc.status_after_agent_reply("new") == "in_progress"
    assert lc.status_after_agent_reply("pending_customer") == "pending_customer"


def test_customer_reply_resumes_pending_and_reopens_resolved():
    assert lc.status_after_customer_reply("pending_customer") == ("in_progress", False)
    assert lc.status_after_customer_reply("resolved") == ("in_progress", True)
    assert lc.status_after_customer_reply("in_progress") == ("in_progress", False)


def test_complaints_need_all_three_close_fields():
    assert lc.missing_close_fields("complaint", {}) == list(lc.COMPLAINT_CLOSE_FIELDS)
    assert lc.missing_close_fields("complaint", {"resolution_summary": "refunded", "root_cause": "  ",
                                                 "responsible_department": "Billing"}) == ["root_cause"]
    assert lc.missing_close_fields("inquiry", {}) == []

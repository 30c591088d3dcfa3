import pytest

from callcenter.tickets.triage import classify_severity, default_priority


@pytest.mark.parametrize("text,severity", [
    ("如果不处理我就找律师起诉你们", "critical"),
    ("I will contact a lawyer", "critical"),
    ("我要向12315投诉", "critical"),
    ("要求赔偿损失", "serious"),
    ("I want a refund for the broken router", "serious"),
    ("网速有点慢", "ordinary"),
])
def test_complaint_severity_from_words(text, severity):
    assert classify_severity("complaint", text) == severity


def test_only_complaints_have_a_severity():
    assert classify_severity("inquiry", "lawyer") is None


def test_priority_follows_severity_and_kind():
    assert default_priority("complaint", "critical") == "P1"
    assert default_priority("complaint", "serious") == "P2"
    assert default_priority("complaint", "ordinary") == "P3"
    assert default_priority("service_request", None) == "P3"
    assert default_priority("inquiry", None) == "P4"


def test_vip_is_raised_one_step_but_never_past_p1():
    assert default_priority("inquiry", None, "VIP") == "P3"
    assert default_priority("complaint", "critical", "VIP") == "P1"
    assert default_priority("complaint", "ordinary", "A") == "P3"

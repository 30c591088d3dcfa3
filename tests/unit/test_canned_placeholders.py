"""Filling a canned response's placeholders (callcenter/replies/placeholders.py, pure)."""
from hypothesis import given
from hypothesis import strategies as st

from callcenter.replies.placeholders import KNOWN, names, render, unknown

VALUES = {"customer_name": "刘洋", "reference": "CC-2026-000123", "agent_name": "李娜 Li Na",
          "promise_due": "2026/12/9 17:00"}
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
no_braces = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="{}"), max_size=40)
value = st.one_of(st.none(), st.just(""), text)


def test_each_known_placeholder_is_replaced_by_its_value():
    out = render("{customer_name}您好，工单 {reference} 由 {agent_name} 处理，{promise_due} 前答复。", VALUES)
    assert out.text == "刘洋您好，工单 CC-2026-000123 由 李娜 Li Na 处理，2026/12/9 17:00 前答复。"
    assert out.missing == ()


def test_an_unknown_placeholder_stays_as_written_and_is_reported():
    out = render("Dear {custmer_name}, ref {reference}", VALUES)
    assert out.text == "Dear {custmer_name}, ref CC-2026-000123"
    assert out.missing == ("custmer_name",)


def test_a_placeholder_with_no_value_for_this_ticket_stays_visible():
    out = render("We will call by {promise_due}. {promise_due}!", {**VALUES, "promise_due": None})
    assert out.text == "We will call by {promise_due}. {promise_due}!"
    assert out.missing == ("promise_due",)  # once, however often it is used


def test_an_empty_value_counts_as_missing():
    assert render("{customer_name}", {**VALUES, "customer_name": ""}).text == "{customer_name}"


def test_braces_that_are_not_a_placeholder_are_left_alone():
    assert render("{ reference } {} {{reference}} {1x}", VALUES).text == "{ reference } {} {CC-2026-000123} {1x}"


def test_names_and_unknown_list_each_name_once_in_order():
    body = "{agent_name} {foo} {agent_name} {reference} {foo}"
    assert names(body) == ["agent_name", "foo", "reference"]
    assert unknown(body) == ["foo"]


@given(no_braces)
def test_a_text_without_placeholders_renders_unchanged(body):
    out = render(body, VALUES)
    assert out.text == body and out.missing == ()


@given(st.lists(st.sampled_from(KNOWN), max_size=6), st.lists(no_braces, min_size=7, max_size=7),
       st.fixed_dictionaries({name: value for name in KNOWN}))
def test_filling_is_one_pass_and_only_missing_ones_remain(used, glue, values):
    """Values are put in as they are, never expanded again, even when they look like a placeholder;
    whatever had no value is left exactly as written."""
    body = glue[0] + "".join("{%s}%s" % (name, glue[i + 1]) for i, name in enumerate(used))
    out = render(body, values)
    expected = glue[0] + "".join((values[name] or "{%s}" % name) + glue[i + 1] for i, name in enumerate(used))
    assert out.text == expected
    assert set(out.missing) == {name for name in used if not values[name]}


@given(text)
def test_rendering_with_no_values_changes_nothing(body):
    assert render(body, {}).text == body


@given(st.fixed_dictionaries({name: st.just("{%s}" % name) for name in KNOWN}))
def test_a_value_naming_a_placeholder_is_not_expanded_twice(values):
    assert render("{reference}", {**values, "reference": "{customer_name}"}).text == "{customer_name}"

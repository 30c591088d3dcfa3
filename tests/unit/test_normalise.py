import pytest

from callcenter.customers.normalise import normalise_email, normalise_phone


@pytest.mark.parametrize("raw", ["+86 138-0013-8000", "0086 13800138000", "138 0013 8000", "(138)00138000",
                                 "8613800138000"])
def test_chinese_mobile_numbers_match_however_typed(raw):
    assert normalise_phone(raw) == "13800138000"


def test_other_numbers_keep_their_digits():
    assert normalise_phone("+44 20 7946 0018") == "442079460018"
    assert normalise_phone("010-6552 9988") == "01065529988"


def test_empty_phone_is_none():
    assert normalise_phone("") is None
    assert normalise_phone(" - ") is None


def test_email_is_trimmed_and_lower_cased():
    assert normalise_email("  Liu.Yang@Example.CN ") == "liu.yang@example.cn"
    assert normalise_email(None) is None


@pytest.mark.parametrize("raw", ["１３８００１３８０００", "＋８６ １３８－００１３－８０００", "١٣٨٠٠١٣٨٠٠٠", "१३८००१३८०००"])
def test_full_width_and_other_digits_give_the_same_number(raw):
    assert normalise_phone(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["13800138000", "+86 138 0013 8000", "138-0013-8000", "(138) 0013-8000",
                                 "１３８-００１３-８０００"])
def test_a_phone_query_searches_the_stored_digits_however_it_is_typed(raw):
    from callcenter.customers.normalise import phone_query

    assert phone_query(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["刘洋", "CC-2026-000001", "liu@example.cn", "1234", "13８00½38000", "138 0013 8000 ext"])
def test_text_that_is_not_a_phone_number_is_not_searched_as_one(raw):
    from callcenter.customers.normalise import is_phone, phone_query

    assert phone_query(raw) is None and not is_phone(raw)


def test_like_patterns_take_percent_and_underscore_literally():
    from callcenter.customers.normalise import like_contains

    assert like_contains("50%_off") == "%50\\%\\_off%"
    assert like_contains("a\\b") == "%a\\\\b%"


def test_which_identifiers_a_record_shares():
    from callcenter.customers.normalise import matched_on

    assert matched_on("138", "a@b.c", "138", "a@b.c") == ("phone", "email")
    assert matched_on("138", "a@b.c", "138", "x@y.z") == ("phone",)
    assert matched_on(None, "a@b.c", "139", "a@b.c") == ("email",)
    assert matched_on(None, None, None, None) == ()


def test_a_records_tier_counts_only_for_a_trusted_link():
    from callcenter.customers.identity import effective_tier

    assert effective_tier("VIP", True) == "VIP"
    assert effective_tier("VIP", False) == "C"
    assert effective_tier(None, True) == "C"


def test_a_trusted_source_links_the_record_matching_most_then_the_oldest():
    from callcenter.customers.identity import Candidate, best_candidate

    assert best_candidate([]) is None
    both, phone_old, phone_new = Candidate(9, ("phone", "email")), Candidate(2, ("phone",)), Candidate(5, ("phone",))
    assert best_candidate([phone_new, both, phone_old]) == both
    assert best_candidate([phone_new, phone_old]) == phone_old

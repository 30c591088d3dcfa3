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


def test_identity_needs_every_identifier_on_record():
    from callcenter.customers.normalise import identity_verified

    assert identity_verified("138", "a@b.c", "138", "a@b.c")
    assert identity_verified("138", None, "138", "x@y.z")  # the record holds only the phone
    assert not identity_verified("138", "a@b.c", "138", None)  # a phone alone is not enough
    assert not identity_verified("138", "a@b.c", "139", "a@b.c")
    assert not identity_verified(None, None, None, None)

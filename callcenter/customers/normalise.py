"""How a phone number or email is matched to a person. Pure."""
from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D+")


def normalise_phone(raw: str | None) -> str | None:
    """Digits only, with China's country code dropped from mobile numbers.

    '+86 138-0013-8000', '0086 13800138000' and '138 0013 8000' all give '13800138000',
    so a caller is found whichever way the number was typed. Other numbers keep every digit
    (an international '00' prefix is dropped, as '+' is).
    """
    if not raw:
        return None
    digits = _NON_DIGITS.sub("", raw)
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    return digits or None


def normalise_email(raw: str | None) -> str | None:
    if not raw:
        return None
    email = raw.strip().lower()
    return email or None


_PHONE_CHARS = re.compile(r"^\+?[\d\s\-().]{5,40}$")
MAX_PHONE_DIGITS = 20  # E.164 allows 15; a little room for extensions


def is_phone(raw: str) -> bool:
    """Digits with the usual separators, 5 to 20 digits."""
    return bool(_PHONE_CHARS.match(raw)) and 5 <= len(_NON_DIGITS.sub("", raw)) <= MAX_PHONE_DIGITS


def identity_verified(record_phone: str | None, record_email: str | None,
                      given_phone: str | None, given_email: str | None) -> bool:
    """Did the person give every identifier the record holds? (normalised values)

    Anyone can type a phone number on the public form; only someone who also knows the
    email on record (or a record that holds nothing else) is taken to be that customer for
    privileges such as a VIP's priority.
    """
    if record_phone and record_phone != given_phone:
        return False
    if record_email and record_email != given_email:
        return False
    return bool(given_phone or given_email)

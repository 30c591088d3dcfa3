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

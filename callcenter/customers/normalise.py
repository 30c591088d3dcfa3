"""How a phone number or email is matched to a person, and how search text is made literal. Pure."""
from __future__ import annotations

import re
import unicodedata

_NON_DIGITS = re.compile(r"[^0-9]+")
# After ascii_digits(): ASCII digits and the usual separators only, so a stray symbol is
# refused rather than silently dropped (which would give another person's number).
_PHONE_CHARS = re.compile(r"^\+?[0-9\s\-().]{5,40}$")
MAX_PHONE_DIGITS = 20  # E.164 allows 15; a little room for extensions


def ascii_digits(raw: str) -> str:
    """Full-width forms to ASCII (NFKC: '１３８' -> '138', '＋' -> '+'), and every other
    decimal digit (Arabic-Indic, Devanagari ...) to its ASCII digit."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def normalise_phone(raw: str | None) -> str | None:
    """Digits only, with China's country code dropped from mobile numbers.

    '+86 138-0013-8000', '0086 13800138000', '138 0013 8000' and '１３８００１３８０００' all
    give '13800138000', so a caller is found whichever way the number was typed. Other
    numbers keep every digit (an international '00' prefix is dropped, as '+' is).
    """
    if not raw:
        return None
    digits = _NON_DIGITS.sub("", ascii_digits(raw))
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    return digits or None


def normalise_email(raw: str | None) -> str | None:
    if not raw:
        return None
    email = unicodedata.normalize("NFKC", raw).strip().lower()
    return email or None


def is_phone(raw: str) -> bool:
    """Digits (any script) with the usual separators, 5 to 20 digits."""
    text = ascii_digits(raw).strip()
    return bool(_PHONE_CHARS.match(text)) and 5 <= len(_NON_DIGITS.sub("", text)) <= MAX_PHONE_DIGITS


def phone_query(q: str) -> str | None:
    """The digits to look for when a search box holds a phone number (or part of one), else None.

    '138-0013-8000', '+86 138 0013 8000' and '13800138000' all search for '13800138000'.
    """
    return normalise_phone(q) if is_phone(q) else None


LIKE_ESCAPE = "\\"


def like_contains(text: str) -> str:
    """A LIKE pattern matching text anywhere, with '%' and '_' in it taken literally."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def matched_on(record_phone: str | None, record_email: str | None,
               given_phone: str | None, given_email: str | None) -> tuple[str, ...]:
    """Which of the given identifiers (normalised) a record holds: ('phone',), ('email',), both or none."""
    found = []
    if given_phone and record_phone == given_phone:
        found.append("phone")
    if given_email and record_email == given_email:
        found.append("email")
    return tuple(found)

"""Masking personal data in free text before it is stored.

Transcripts and survey comments are kept for quality review, not to build a
second copy of customers' contact and identity data. Masking errs on the side
of privacy for long digit runs, but leaves what support staff need to read a
transcript: order numbers (``INV-2024-00123``), prices (``Rp150.000``), dates.
"""
import re
from typing import Optional

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
NIK = "[nik]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# A number is never matched inside a word or a code: "INV-2024-00123" and
# "Rp150.000" must stay readable, so a candidate may not follow a letter,
# digit, dash, slash or dot, nor be followed by a digit, letter or decimal.
_BEFORE = r"(?<![\w+\-/.,])"
_AFTER = r"(?![\w]|[.,]\d)"

# 13-19 digits, optionally grouped by spaces or dashes; no card starts with 0,
# which keeps local phone numbers (08...) out.
_CARD = re.compile(_BEFORE + r"[1-9](?:[ -]?\d){12,18}" + _AFTER)
_NIK = re.compile(_BEFORE + r"\d{16}" + _AFTER)

# Indonesian mobiles: 08xx-xxxx-xxxx locally (10-13 digits), +62 / 62 then
# 8xx... The first four local digits are contiguous so that a date such as
# 08-12-2024 10:00 never reads as a phone number.
_PHONE_ID_LOCAL = re.compile(_BEFORE + r"08[1-9]\d(?:[ -]?\d){6,9}" + _AFTER)
_PHONE_ID_INTL = re.compile(r"(?<![\w+])(?:\+62|62)[ -]?8[1-9](?:[ -]?\d){7,10}" + _AFTER)
# Any other country in E.164 form: "+" then 8-15 digits, with optional
# spaces, dashes or an area code in parentheses.
_PHONE_INTL = re.compile(r"(?<![\w+])\+[1-9](?:[ -]?\(?\d\)?){7,14}" + _AFTER)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# Province codes that open a NIK (Sumatra 1x, Java 3x, Bali/Nusa Tenggara 5x,
# Kalimantan 6x, Sulawesi 7x, Maluku 8x, Papua 9x). Visa numbers (4...) can
# never be NIKs, which is what separates most contiguous 16-digit cards.
_NIK_PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53]
    + [61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96]
)


def _looks_like_nik(digits: str) -> bool:
    # NIK layout: province, regency, district (6 digits), birth date DDMMYY
    # with 40 added to the day for women, then a 4-digit serial number.
    day = int(digits[6:8])
    month = int(digits[8:10])
    day = day - 40 if day > 40 else day
    return int(digits[0:2]) in _NIK_PROVINCES and 1 <= day <= 31 and 1 <= month <= 12


def _mask_card(match: "re.Match[str]") -> str:
    digits = re.sub(r"\D", "", match.group(0))
    # 62 8... up to 15 digits is an Indonesian mobile without its "+"; the
    # UnionPay cards that also start with 62 are 16-19 digits long.
    if digits.startswith("628") and len(digits) <= 15:
        return match.group(0)
    if len(digits) == 16 and digits == match.group(0) and _looks_like_nik(digits):
        return NIK
    return CARD if _luhn_valid(digits) else match.group(0)


def mask_pii(text: str) -> str:
    """Return ``text`` with e-mails, phone numbers, card numbers and NIKs masked.

    Placeholders are ``[email]``, ``[phone]``, ``[card]`` and ``[nik]``. Cards
    must pass the Luhn check; any other standalone 16-digit number is taken
    for a NIK (an Indonesian identity number), since leaving a real one in
    clear costs more than hiding a harmless number.

    Args:
        text: What the customer (or an agent) typed.

    Returns:
        The same text with personal data replaced; None becomes "".
    """
    if not text:
        return text or ""
    text = _EMAIL.sub(EMAIL, text)
    # Cards before phones: a grouped 16-digit card would otherwise be cut
    # into phone-shaped pieces. NIKs that fail Luhn come next.
    text = _CARD.sub(_mask_card, text)
    text = _NIK.sub(NIK, text)
    for pattern in (_PHONE_ID_INTL, _PHONE_ID_LOCAL, _PHONE_INTL):
        text = pattern.sub(PHONE, text)
    return text


def find_contact(text: str) -> Optional[str]:
    """Return the first e-mail address or phone number in ``text``, as written, or None.

    Used when a customer leaves a message for the team: the contact is what
    the team answers to, so it is kept in clear on the ticket.
    """
    found = [
        match
        for pattern in (_EMAIL, _PHONE_ID_INTL, _PHONE_ID_LOCAL, _PHONE_INTL)
        for match in pattern.finditer(text or "")
    ]
    if not found:
        return None
    return min(found, key=lambda m: m.start()).group(0)

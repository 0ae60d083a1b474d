"""Masking personal data in free text before it is stored or logged.

Transcripts, survey comments and capture files are kept for quality review,
not to build a second copy of customers' contact and identity data. Masking
replaces each piece of personal data with a readable placeholder
(``[phone]``, ``[email]``, ``[nik]``, ``[npwp]``, ``[card]``, ``[cvv]``,
``[account]``, ``[otp]``, ``[pin]``, ``[password]``, ``[address]``,
``[name]``) and leaves what support staff need to read a transcript: order
numbers (``INV-2024-00123``), tracking numbers, prices (``Rp150.000``),
dates, times and quantities.

How: compiled regular expressions plus small context rules, written for
Indonesian and English chat. Presidio and scrubadub were considered: both
find names and addresses with English NER models that must be downloaded
(nothing is downloaded here at run time), and neither knows NIK, NPWP,
Indonesian phone layouts or "rek BCA ...". Their regex recognisers would
still need every Indonesian rule below, so a dependency would add weight and
no recall.

The text is first folded (full-width and other Unicode digits, dashes and
zero-width spaces made ASCII, one character for one) so that one set of
patterns reads every way of writing a number. Then, in one pass each:
e-mails (found from each "@" or "at"); secrets, names and address lines
(found from the word that introduces them); the business data to keep; and
finally every run of digits (joined by spaces, dots, dashes, underscores or
slashes). A run is cut into windows of whole
groups, longest first; a window is personal data if the keyword just before
it says so ("rek BCA", "OTP", "NIK", "cvv", "hp") and its length fits, or if
its shape does (an Indonesian mobile or landline, a ``+`` number, a
Luhn-valid card, a 16-digit NIK, a 15-digit NPWP). Every pattern is anchored
and bounded and each character is claimed at most once, so masking is linear
in the length of the text.
"""
import re
import unicodedata
from typing import Any, Iterator, List, Optional, Tuple

from cxm_store.pii_introduced import find_introduced
from cxm_store.pii_rules import HARD, SOFT, Span, find_business, find_emails, is_keyword, keywords_before

# --- Folding: one character in, one character out ----------------------------

# Zero-width characters hide inside numbers ("0812\u200b3456..."); they fold to
# a space so that a number split by them reads like one split by spaces.
_ZERO_WIDTH = frozenset({0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E})
_DASHES = frozenset({0x00AD, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE58, 0xFE63})


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character."""

    def __missing__(self, code: int) -> int:
        self[code] = value = _fold_char(code)
        return value


def _fold_char(code: int) -> int:
    if code < 128:
        return code
    char = chr(code)
    if code in _ZERO_WIDTH or unicodedata.category(char) == "Zs":
        return 0x20
    if code in _DASHES:
        return 0x2D
    digit = unicodedata.decimal(char, None)
    if digit is not None:  # full-width, Arabic-Indic, Devanagari... digits
        return 0x30 + digit
    folded = unicodedata.normalize("NFKC", char)  # full-width letters, "＠", "．"
    return ord(folded) if len(folded) == 1 and folded.isascii() else code


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` with look-alike digits, dashes, spaces and full-width forms made ASCII.

    The result has the same length as ``text``, so a span found in it is the
    same span of the original.
    """
    return text.translate(_FOLD)


Keywords = List[Tuple[str, int]]  # kinds named before a number, nearest first, with the words between

# Digits joined by separators: "0812-3456-7890", "(021) 555 1234",
# "+62 812.3456.7890", "3174 0512 0890 0001", "0812/3456/7890". Two numbers
# joined by "/" are told apart by the windows below; "," always separates.
_RUN = re.compile(r"(?<![0-9])(?:\(?\+)?\(?[0-9](?:[0-9)]|\((?=[0-9])|[ ._/-]{1,3}(?=[(0-9]))*")
_GROUP = re.compile(r"[0-9]+")
_SHORTEST, _LONGEST = 3, 20  # digits of the shortest kind (a CVV) and the longest (a virtual account)
# Groups of the most grouped kind (an NPWP: 01.234.567.8-901.000), unless
# every digit stands alone ("0 8 1 2 ...").
_MOST_GROUPS = 6

# A business keyword at most this many words before a number names the
# number itself, even one shaped like a phone number.
_NAMES_THE_NUMBER = 2
# Digit counts a kind may have when the keyword before the number names it.
_LENGTH_BY_KEYWORD = {
    "cvv": (3, 4), "otp": (4, 8), "pin": (4, 6), "npwp": (15, 16), "nik": (14, 17),
    "account": (6, 20), "phone": (7, 15),
}

# Province codes that open a NIK (Sumatra 1x, Java 3x, Bali/Nusa Tenggara 5x,
# Kalimantan 6x, Sulawesi 7x, Maluku 8x, Papua 9x).
_NIK_PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53]
    + [61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96]
)
_NPWP_GROUPS = [2, 3, 3, 1, 3, 3]  # 01.234.567.8-901.000


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


def _looks_like_nik(digits: str) -> bool:
    # NIK layout: province, regency, district (6 digits), birth date DDMMYY
    # with 40 added to the day for women, then a 4-digit serial number.
    day = int(digits[6:8])
    month = int(digits[8:10])
    day = day - 40 if day > 40 else day
    return int(digits[0:2]) in _NIK_PROVINCES and 1 <= day <= 31 and 1 <= month <= 12


def _national_phone(national: str) -> bool:
    """An Indonesian number without its 0 or +62: mobile 8xx, or area code then subscriber."""
    if national[:1] == "8":
        return national[1:2] != "0" and 9 <= len(national) <= 12
    return national[:1] in "234579" and 8 <= len(national) <= 11


def _is_phone(digits: str, groups: List[int], plus: bool) -> bool:
    """True if the digits, grouped as written, are a telephone number."""
    if len(groups) > 1 and any(size > 1 for size in groups):
        # Groups after the country and area codes are 2+ digits and the last
        # 3+, so a quantity after a number ("... 7890 2 pcs") is left out.
        tail = groups[2:] if plus or digits.startswith("62") else groups[1:]
        if any(size < 2 for size in tail) or groups[-1] < 3:
            return False
        # The mobile prefix "08xx" or the area code is written in one piece,
        # so that a date and time ("08-12-2024 10") is not a number.
        if digits[0] == "0" and groups[0] < 3:
            return False
    if digits.startswith("62") and (plus or groups[0] in (2, len(digits))):
        national = digits[2:]
        national = national[1:] if national.startswith("0") else national  # "+62 0812..."
        if _national_phone(national) and (plus or national[0] == "8"):
            return True
    if plus:  # any country, or an Indonesian service number ("+62 800 ...")
        return 8 <= len(digits) <= 15 and digits[0] != "0"
    return digits[0] == "0" and _national_phone(digits[1:])


def _card_grouping(groups: List[int]) -> bool:
    if len(groups) == 1 or all(size == 1 for size in groups):
        return True
    return groups in ([4, 6, 5], [4, 6, 4]) or (all(s == 4 for s in groups[:-1]) and groups[-1] <= 4)


def _classify(digits: str, groups: List[int], plus: bool, keywords: Keywords) -> Optional[Tuple[str, bool]]:
    """The kind of personal data these digits are, and whether a keyword said so; or None."""
    single = len(groups) == 1 or all(size == 1 for size in groups)
    if plus and _is_phone(digits, groups, plus):
        return "phone", False  # "+62 ...": no order or tracking number is written so
    # Only the keyword nearest the number names it: a business keyword
    # further back than one naming personal data says nothing of the number
    # ("pesanan, hp saya 3174 ...", "order email 0857 ...").
    kept = bool(keywords) and keywords[0][0] == "keep"
    for kind, words_between in keywords:
        if kind == "keep":
            if kept and words_between <= _NAMES_THE_NUMBER:
                return None  # "resi JNE 1230 0841 ...", "tracking number 0081 ..."
            break
        low, high = _LENGTH_BY_KEYWORD[kind]
        # A one-digit group after a phone number is a count ("... 7890 2 kali").
        if low <= len(digits) <= high and (kind != "phone" or single or groups[-1] > 1):
            return kind, True
    if _is_phone(digits, groups, plus):
        return "phone", False
    if kept:
        return None
    # Card numbers open with 2-6 (Mastercard, Amex/JCB, Visa, Mastercard, UnionPay/Discover).
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and _card_grouping(groups) and _luhn_valid(digits):
        return ("nik" if len(digits) == 16 and single and _looks_like_nik(digits) else "card"), False
    if len(digits) == 16 and (single or (_looks_like_nik(digits) and all(2 <= s <= 6 for s in groups))):
        # Leaving a real NIK in clear costs more than hiding a harmless number.
        return ("npwp" if digits[0] == "0" else "nik"), False
    if len(digits) == 15 and (single or groups == _NPWP_GROUPS):
        return "npwp", False
    return None


class _Claims:
    """The spans masked so far, and the business data digit windows must leave alone."""

    def __init__(self, length: int) -> None:
        self.masked = bytearray(length)
        self.business = bytearray(length)
        self.spans: List[Span] = []

    def free(self, start: int, end: int) -> bool:
        return self.masked.find(1, start, end) == -1

    def claim(self, start: int, end: int, kind: str) -> bool:
        if end <= start or not self.free(start, end):
            return False
        self.masked[start:end] = b"\x01" * (end - start)
        self.spans.append((start, end, kind))
        return True

    def protect(self, start: int, end: int, strength: int) -> None:
        # SOFT spans come first (see find_business), so a HARD one wins.
        self.business[start:end] = bytes([strength]) * (end - start)

    def allows(self, start: int, end: int, by_keyword: bool) -> bool:
        if self.business.find(HARD, start, end) != -1:
            return False
        return by_keyword or self.business.find(SOFT, start, end) == -1


def _glued_code(folded: str, start: int) -> bool:
    """True if the digits at ``start`` close a code such as ``JNE1234567890`` or ``GAR-2024-...``."""
    end = start - 1 if folded[start - 1:start] == "-" else start
    letters = end
    while letters > 0 and end - letters < 12 and folded[letters - 1].isalpha():
        letters -= 1
    word = folded[letters:end]
    return len(word) >= 2 and word.isupper() and not is_keyword(word)


def _number_windows(folded: str, claims: _Claims) -> None:
    floor = 0
    for run in _RUN.finditer(folded):
        if run.end() - run.start() < _SHORTEST:
            floor = run.end()
            continue  # "2 pcs", "5 hari": shorter than any kind
        groups = [group.span() for group in _GROUP.finditer(folded, run.start(), run.end())]
        if len(groups) > _LONGEST and all(b - a == 1 for a, b in groups[:_LONGEST + 1]):
            floor = run.end()
            continue  # "1 2 3 4 ..." on and on: a list or a pasted table, not one number
        if _glued_code(folded, run.start()):
            keywords: Keywords = [("keep", 0)]
        else:
            keywords = keywords_before(folded, run.start(), floor)
        plus = "+" in folded[run.start():groups[0][0]]
        floor = run.end()
        first = 0
        while first < len(groups):
            last, size, spaced = first, 0, True
            while last < len(groups) and size + groups[last][1] - groups[last][0] <= _LONGEST:
                size += groups[last][1] - groups[last][0]
                spaced = spaced and size == last - first + 1
                if last - first >= _MOST_GROUPS and not spaced:
                    break
                last += 1
            first = _mask_window(folded, claims, run.start(), groups, first, last, plus, keywords)
            # The "+" and the keywords naming a kind belong to the start of the
            # run; a business keyword covers all of it.
            plus = False
            keywords = [(kind, between) for kind, between in keywords if kind == "keep"]


def _mask_window(
    folded: str, claims: _Claims, run_start: int, groups: List[Tuple[int, int]],
    first: int, last: int, plus: bool, keywords: Keywords,
) -> int:
    """Mask the longest window of ``groups[first:last]`` that is personal data; return where to go on."""
    for end_group in range(last, first, -1):
        window = groups[first:end_group]
        digits = "".join(folded[a:b] for a, b in window)
        # A keyword names the whole number after it, not a piece of it
        # ("token listrik 1234 5678 9012 3456 7890" holds no 8-digit OTP).
        named = keywords if end_group == len(groups) else [k for k in keywords if k[0] == "keep"]
        found = _classify(digits, [b - a for a, b in window], plus, named)
        if not found:
            continue
        start = run_start if first == 0 else window[0][0]
        end = window[-1][1]
        if folded.rfind("(", start, end) > folded.rfind(")", start, end) and folded.startswith(")", end):
            end += 1  # "(021) 555-1234" with its closing parenthesis
        if claims.allows(start, end, found[1]) and claims.claim(start, end, found[0]):
            return end_group
    return first + 1


def find_personal_data(text: str, written_by_staff: bool = False) -> List[Span]:
    """Spans of personal data in ``text``: ``(start, end, kind)``, in order of position.

    Args:
        text: The text to read.
        written_by_staff: See :func:`mask_pii`.
    """
    folded = fold(text)
    claims = _Claims(len(folded))
    for start, end in find_emails(folded):
        claims.claim(start, end, "email")
    for start, end, kind in find_introduced(folded, own_names=not written_by_staff):
        claims.claim(start, end, kind)
    for start, end, strength in find_business(folded):
        claims.protect(start, end, strength)
    _number_windows(folded, claims)
    return sorted(claims.spans)


def _masked_pieces(text: str, spans: List[Span]) -> Iterator[str]:
    position = 0
    for start, end, kind in spans:
        yield text[position:start]
        yield f"[{kind}]"
        position = end
    yield text[position:]


def mask_pii(text: Optional[str], written_by_staff: bool = False) -> str:
    """Return ``text`` with every piece of personal data replaced by ``[kind]``.

    Args:
        text: What the customer (or an agent) typed.
        written_by_staff: True for the bot's and agents' messages: the name
            they introduce themselves with ("saya Rina dari tim CS") is
            theirs and stays; a customer's name they repeat is masked.

    Returns:
        The same text with personal data masked; None becomes "".
    """
    if not text:
        return text or ""
    return "".join(_masked_pieces(text, find_personal_data(text, written_by_staff)))


def find_contact(text: Optional[str]) -> Optional[str]:
    """Return the first e-mail address or phone number in ``text``, as written, or None.

    Used when a customer leaves a message for the team: the contact is what
    the team answers to, so it is kept in clear on the ticket.
    """
    for start, end, kind in find_personal_data(text or ""):
        if kind in ("email", "phone"):
            return text[start:end]
    return None


# Keys of a Rasa event whose values are identifiers the capture needs to
# match, not free text (a sender id is the channel's pseudonymous id).
_IDENTIFIER_KEYS = frozenset({"event", "sender_id", "name", "input_channel", "message_id", "intent_response_key"})
# Keys whose whole value is a person's profile (a channel's metadata, e.g.
# Telegram's username): no pattern tells such a handle from a word, so the
# value goes whatever it looks like.
_PROFILE_KEYS = frozenset({"username", "first_name", "last_name", "full_name", "phone_number"})


def mask_record(value: Any, key: Optional[str] = None) -> Any:
    """A copy of a JSON-like record with every free-text string masked.

    Args:
        value: A Rasa event (or any dict/list/str) about to be written to a file or a log.
        key: The key ``value`` was found under, if any.
    """
    if isinstance(value, str):
        if key in _PROFILE_KEYS:
            return "[name]"
        return value if key in _IDENTIFIER_KEYS else mask_pii(value)
    if isinstance(value, dict):
        return {k: mask_record(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_record(item) for item in value]
    return value



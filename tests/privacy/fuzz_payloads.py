"""Random and malformed webhook payloads for the fuzz run (seeded: the same run every time).

Each generator yields ``(body bytes, headers, personal data typed)``: the
personal data is what must never be found unmasked in a store afterwards.
"""
import json
import random
import string
from typing import Dict, Iterator, List, Tuple

Payload = Tuple[bytes, Dict[str, str], List[str]]
JSON = {"Content-Type": "application/json"}
WORDS = ("kak", "pesanan", "saya", "belum", "sampai", "refund", "gimana", "tolong", "cek", "ongkir",
         "my", "order", "where", "is", "please", "help", "INV-2024-00123", "😀", "<b>x</b>", "'; drop table", "\u200b")


# Indonesian mobile prefixes in use (Telkomsel, Indosat, XL, Axis, Tri,
# Smartfren); "080x" is no mobile number (0800: toll-free).
MOBILE_PREFIXES = ("0811", "0812", "0813", "0821", "0822", "0823", "0831", "0838", "0851", "0852", "0855",
                   "0856", "0857", "0858", "0877", "0878", "0881", "0882", "0887", "0895", "0896", "0899")
# Words of WORDS after which "no" reads "number of it" ("order no 3174..."
# names an order number, which masking keeps), even with an emoji between.
BUSINESS_WORDS = frozenset({"pesanan", "order", "ongkir", "INV-2024-00123"})


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _mobile(rng: random.Random) -> str:
    digits = rng.choice(MOBILE_PREFIXES) + _digits(rng, 8)
    a, b, c = digits[:4], digits[4:8], digits[8:]
    return rng.choice((digits, f"{a}-{b}-{c}", f"+62 {a[1:]} {b} {c}", f"+62{digits[1:]}", f"{a}.{b}.{c}",
                       f"{a}_{b}_{c}", f"{a}\u200b{b}\u200b{c}", digits.translate(_FULL_WIDTH)))


def _landline(rng: random.Random) -> str:
    area = rng.choice(("021", "022", "031", "0274", "0361"))
    number = _digits(rng, 10 - len(area))
    return rng.choice((f"({area}) {number}", f"{area}-{number[:3]}-{number[3:]}", f"{area} {number}"))


def _nik(rng: random.Random) -> str:
    # A NIK's layout: region (Jakarta Selatan, a district), birth date
    # DDMMYY (day + 40 for women), serial number.
    day = rng.randrange(1, 29) + rng.choice((0, 40))
    nik = f"317401{day:02d}{rng.randrange(1, 13):02d}{_digits(rng, 2)}{rng.randrange(1, 10_000):04d}"
    return rng.choice((nik, nik, f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}",
                       f"{nik[:4]}-{nik[4:8]}-{nik[8:12]}-{nik[12:]}", nik.translate(_FULL_WIDTH)))


def _npwp(rng: random.Random) -> str:
    x = _digits(rng, 15)
    return f"{x[:2]}.{x[2:5]}.{x[5:8]}.{x[8]}-{x[9:12]}.{x[12:]}"


def _email(rng: random.Random) -> str:
    name = "".join(rng.choice(string.ascii_lowercase) for _ in range(7))
    return rng.choice((f"{name}.{rng.randrange(99)}@gmail.com", f"{name}@yahoo.co.id",
                       f"{name} (at) gmail (dot) com", f"{name}[at]yahoo[dot]co[dot]id"))


def personal_data(rng: random.Random) -> str:
    """A phone number (mobile or landline), NIK, NPWP or e-mail address, written as customers write them.

    Mobile numbers with dashes, dots, underscores, zero-width spaces or
    full-width digits; NIKs whole, in groups or full-width; e-mail addresses
    plain or spelled out ("budi (at) gmail (dot) com").
    """
    return rng.choice((_mobile, _mobile, _landline, _nik, _npwp, _email, _email))(rng)


def chat_text(rng: random.Random, pii: List[str]) -> str:
    """A chat message of random words with one or two pieces of personal data (appended to ``pii``)."""
    words = [rng.choice(WORDS) for _ in range(rng.randrange(1, 12))]
    for _ in range(rng.choice((1, 1, 2))):
        value = personal_data(rng)
        pii.append(value)
        at = rng.randrange(len(words) + 1)
        label = rng.choice(("hp saya", "NIK", "email", "no", "telp", "npwp"))
        before = [word for word in words[:at] if any(char.isascii() and char.isalpha() for char in word)]
        if label == "no" and before and before[-1] in BUSINESS_WORDS:
            label = "no hp"
        words.insert(at, f"{label} {value}")
    return " ".join(words)


def junk(rng: random.Random, depth: int = 0):
    """A random JSON value of any type (nested at most three deep)."""
    makers = (
        lambda: None,
        lambda: rng.randrange(-2**63, 2**63),
        lambda: rng.random() * 1e308,
        lambda: rng.choice((True, False)),
        lambda: "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randrange(0, 40))).encode(
            "utf-8", "replace").decode("utf-8", "replace"),
        lambda: "x" * rng.choice((0, 1, 4001, 70000)),
        lambda: [junk(rng, depth + 1) for _ in range(rng.randrange(4))],
        lambda: {str(rng.randrange(9)): junk(rng, depth + 1) for _ in range(rng.randrange(4))},
        lambda: {"sender": junk(rng, depth + 1), "message": junk(rng, depth + 1)},
    )
    return makers[rng.randrange(len(makers) if depth < 3 else 6)]()


def malformed_body(rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))  # not JSON, maybe not UTF-8
    if kind == 1:
        return b'{"sender": "a", "message": ' + b"[" * 5000 + b"]" * 5000 + b"}"  # deeply nested
    if kind == 2:
        return json.dumps(junk(rng)).encode()
    if kind == 3:
        return b'{"sender": "fuzz", "message": "unterminated'
    if kind == 4:
        return json.dumps({"sender": junk(rng), "message": junk(rng), "metadata": junk(rng),
                           "input_channel": rng.choice(("telegram", "web", junk(rng)))}).encode()
    return json.dumps({"sender": rng.choice((" fuzz", "\u200bweb-x", "", "a" * 300, "web-" + "\x00")),
                       "message": "halo"}).encode()


def rest_payloads(rng: random.Random, count: int, valid_share: float) -> Iterator[Payload]:
    for n in range(count):
        pii: List[str] = []
        if rng.random() < valid_share:
            body = json.dumps({"sender": f"fuzz-rest-{n}", "message": chat_text(rng, pii)}).encode()
        else:
            body = malformed_body(rng)
        yield body, JSON, pii


def webchat_payloads(rng: random.Random, count: int, valid_share: float) -> Iterator[Payload]:
    for n in range(count):
        pii: List[str] = []
        if rng.random() < valid_share:
            body = json.dumps({"sender": f"web-fuzz{n:06d}", "message": chat_text(rng, pii),
                               "metadata": {"language": rng.choice(("id", "en"))}}).encode()
        else:
            body = malformed_body(rng)
        yield body, JSON, pii


def telegram_payloads(rng: random.Random, count: int, valid_share: float, secret: str) -> Iterator[Payload]:
    for n in range(count):
        pii: List[str] = []
        headers = {**JSON, "X-Telegram-Bot-Api-Secret-Token": secret}
        if rng.random() < valid_share:
            chat = 7_000_000 + n
            update = {"update_id": 10_000_000 + n, "message": {
                "message_id": n + 1, "date": 1_764_460_000, "text": chat_text(rng, pii),
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "Fuzz", "username": f"fuzz_user_{n}"}}}
            body = json.dumps(update).encode()
        else:
            if rng.random() < 0.2:
                headers = {**JSON, "X-Telegram-Bot-Api-Secret-Token": rng.choice(("", "wrong", secret + "x"))}
            body = malformed_body(rng) if rng.random() < 0.5 else json.dumps(
                {"update_id": junk(rng), "message": junk(rng), "callback_query": junk(rng)}).encode()
        yield body, headers, pii

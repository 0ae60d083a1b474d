"""What the words around a number say: context rules of the masking engine.

:mod:`cxm_store.pii` folds the text, finds digit runs and decides what they
are; this module finds e-mail addresses (plain and spelled out), the
business data that must stay readable (order and tracking numbers, prices,
dates, times) and the keywords that stand before a number.
:mod:`cxm_store.pii_introduced` finds what follows an introducing word.

Every pattern is anchored on a keyword or a token start and its repetitions
are bounded, so each finder is linear in the length of the text.
"""
import re
from typing import Iterator, List, Optional, Tuple

Span = Tuple[int, int, str]

# --- E-mail addresses ---------------------------------------------------------

_LOCAL = r"(?<![\w.%+-])[\w.%+-]{1,64}"
_LABEL = r"[\w-]{1,63}"
_OPEN, _CLOSE = r"[(\[{<]\s?", r"\s?[)\]}>]"
# With "@" (or a bracketed "at") the dots may be written as dots or words.
_EMAIL = re.compile(
    rf"{_LOCAL}\s{{0,2}}(?:@|{_OPEN}(?:at|@){_CLOSE})\s{{0,2}}{_LABEL}"
    rf"(?:(?:\s{{0,2}}\.\s{{0,2}}|\s?{_OPEN}(?:dot|titik|\.){_CLOSE}\s?|\s(?:dot|titik)\s){_LABEL}){{1,4}}",
    re.IGNORECASE,
)
# "budi at gmail dot com": only with spelled-out dots and a known ending, or
# an ordinary sentence ("arrive at Jakarta. Thanks") would read as an address.
_EMAIL_SPELLED = re.compile(
    rf"{_LOCAL}\s(?:at|et)\s{_LABEL}(?:(?:\s?{_OPEN}(?:dot|titik){_CLOSE}\s?|\s(?:dot|titik)\s){_LABEL}){{1,3}}",
    re.IGNORECASE,
)
_TLD = re.compile(r"[a-z]{2,24}\Z", re.IGNORECASE)
_KNOWN_TLD = frozenset("com id net org co ac go sch io me info biz edu gov us uk sg my au".split())


# Where an address may be: an "@" or an "at"; the address is then matched
# from the start of the word before it (a scan from every position would
# try the local part at each character).
_AT = re.compile(r"@|[(\[{<]\s?(?:at|@)\s?[)\]}>]|\s(?:at|et)\s", re.IGNORECASE)
_LOCAL_CHARS = frozenset("._%+-")  # with letters and digits: what an address may hold before "@"


def find_emails(text: str) -> Iterator[Tuple[int, int]]:
    """Spans of e-mail addresses in folded ``text``, plain or spelled out."""
    done = 0
    for at in _AT.finditer(text):
        local_end = at.start()
        while local_end > done and at.start() - local_end < 2 and text[local_end - 1] == " ":
            local_end -= 1
        start = local_end
        while start > done and local_end - start < 64 and (
            text[start - 1].isalnum() or text[start - 1] in _LOCAL_CHARS
        ):
            start -= 1
        if start == local_end:
            continue
        plain = _EMAIL.match(text, start)
        if plain and _TLD.search(plain.group()):
            done = plain.end()
            yield plain.span()
            continue
        spelled = _EMAIL_SPELLED.match(text, start)
        if spelled and re.split(r"\W", spelled.group())[-1].lower() in _KNOWN_TLD:
            done = spelled.end()
            yield spelled.span()


# --- Business data that must stay readable ------------------------------------

WORD = re.compile(r"[A-Za-z]+")  # the words keywords are looked up by
HARD, SOFT = 2, 1  # a keyword that says "this is a PII" may override SOFT only
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
# Digit-led patterns; the character before a match is checked in Python, as
# a look-behind in front would cost a full match attempt at every position.
_NOT_AFTER = "0123456789.,:"
_BARE = [
    re.compile(  # prices without currency: 1.250.000, 150.000,00
        r"[1-9][0-9]{0,2}(?:\.[0-9]{3}){1,4}(?:,[0-9]{1,2})?(?![0-9]|[.,][0-9])"
    ),
    re.compile(  # dates: 08-12-2024, 15/01/2024, 2024-01-15
        rf"(?:{_DAY}[-/.]{_MONTH}[-/.](?:19|20)?[0-9]{{2}}|(?:19|20)[0-9]{{2}}[-/.]{_MONTH}[-/.]{_DAY})(?![0-9])"
    ),
    re.compile(  # times: 10:00, 10.30, 09.15.20
        r"(?:[01]?[0-9]|2[0-3])[:.][0-5][0-9](?:[:.][0-5][0-9])?(?![0-9])"
    ),
]
# Patterns tried where their first word is seen.
_PRICE = re.compile(  # Rp 150.000, Rp1.500.000,00, IDR 150000
    r"(?:rp|idr|usd|sgd)\.?\s?(?:[0-9]{1,3}(?:[.,][0-9]{3})+(?:[.,][0-9]{1,2})?|[0-9]{1,12})(?![0-9])",
    re.IGNORECASE,
)
_ORDER = re.compile(  # order numbers: INV-2024-00123, inv 2024 123, INV/2024/00123
    r"(?:inv|ord|order|trx|so|po)[\s#:/-]{0,3}[0-9]{2,4}(?:[\s/-]{1,3}[0-9]{1,8}){1,2}(?![0-9])", re.IGNORECASE
)
_TRACKING = re.compile(  # a courier's tracking number after its keyword: resi JP1234567890
    r"(?:resi|awb|airway\s?bill|tracking|lacak|pengiriman)(?:nya)?(?:\s(?:saya|number|no\.?|id|code|kode))?"
    r"\s{0,3}[:#=]?\s{0,3}[a-z]{0,6}[0-9][a-z0-9-]{5,30}",
    re.IGNORECASE,
)
_BUSINESS_AFTER_WORD = {
    **dict.fromkeys("rp idr usd sgd".split(), (_PRICE, SOFT)),
    **dict.fromkeys("inv ord order trx so po".split(), (_ORDER, HARD)),
    **dict.fromkeys("resi resinya awb airway tracking lacak pengiriman".split(), (_TRACKING, HARD)),
}


def find_business(text: str) -> Iterator[Tuple[int, int, int]]:
    """Spans of prices, dates and times (SOFT), then order and tracking numbers (HARD)."""
    hard = []
    for word in WORD.finditer(text):
        found = _BUSINESS_AFTER_WORD.get(word.group().lower())
        match = found and found[0].match(text, word.start())
        if match and found[1] == SOFT:
            yield match.start(), match.end(), SOFT
        elif match:
            hard.append((match.start(), match.end(), HARD))
    for pattern in _BARE:
        for match in pattern.finditer(text):
            if match.start() == 0 or text[match.start() - 1] not in _NOT_AFTER:
                yield match.start(), match.end(), SOFT
    yield from hard


# --- The keyword before a number ------------------------------------------------

_BANKS = (
    "bca bni bri mandiri bsi cimb niaga permata danamon btn btpn jenius jago seabank ocbc maybank panin "
    "mega bjb muamalat sinarmas uob hsbc citibank dbs bank"
)
# "keep" marks a number that is business data; one word or two. A contact
# word ("email") takes the number after it for a phone number.
_NUMBER_WORDS = {
    "keep": "resi awb tracking track lacak order pesanan invoice inv sku voucher promo kupon coupon rp idr "
            "harga total ongkir biaya qty jumlah booking serial ref referensi klaim garansi transaksi tiket ticket "
            "antrian antrean tagihan bill komplain complaint laporan case kasus retur",
    "cvv": "cvv cvc cvn",
    "otp": "otp token code kode",
    "pin": "pin",
    "npwp": "npwp",
    "nik": "nik ktp ektp kependudukan",
    "account": "rek rekening norek account acct acc va briva " + _BANKS,
    "phone": "hp handphone ponsel telp telpon telepon tlp tel wa whatsapp whatsap phone mobile cell call sms "
             "fax kontak contact cp nomor nomer nmr no number ovo gopay shopeepay linkaja email mail surel",
}
_NUMBER_PAIRS = {
    "keep": "kode-produk kode-booking kode-promo kode-voucher kode-pos postal-code zip-code",
    "cvv": "kode-keamanan security-code card-verification kode-belakang angka-belakang digit-belakang",
    "account": "virtual-account kode-bayar kode-pembayaran payment-code",
    "nik": "nomor-induk no-induk identity-number identity-card id-card",
}
# "tracking number", "acc no", "PIN number": the noun takes the kind of the word before it.
_NUMBER_NOUNS = frozenset("number no nomor nomer nmr code kode id".split())
_KEYWORD = {word: kind for kind, words in _NUMBER_WORDS.items() for word in words.split()}
_KEYWORD_PAIR = {
    tuple(pair.split("-")): kind for kind, pairs in _NUMBER_PAIRS.items() for pair in pairs.split()
}
LOOKBACK = 48  # characters before a number searched for its keywords
SUFFIXES = ("nya", "ku", "mu")  # possessive endings: "nomorku", "passwordnya"


def _keyword(word: str) -> Optional[str]:
    word = word.lower()
    kind = _KEYWORD.get(word)
    if kind is None:  # "nomorku", "rekeningnya"
        for suffix in SUFFIXES:
            if word.endswith(suffix):
                return _KEYWORD.get(word[: -len(suffix)])
    return kind


def keywords_before(text: str, start: int, floor: int) -> List[Tuple[str, int]]:
    """The kinds named by keywords before ``start`` (not before ``floor``), nearest first.

    Each comes with the number of words between the keyword and ``start``.
    """
    begin = max(floor, start - LOOKBACK)
    words = [word.lower() for word in WORD.findall(text, begin, start)]
    if words and begin > 0 and text[begin - 1].isalpha():
        words = words[1:]  # the tail of a word cut by the window
    kinds = []
    index = len(words) - 1
    while index >= 0:
        kind, used = _keyword(words[index]), 1
        if index:
            before = words[index - 1]
            pair = _KEYWORD_PAIR.get((before, words[index]))
            if pair is None and words[index] in _NUMBER_NOUNS:
                pair = _keyword(before)
            if pair:
                kind, used = pair, 2
        if kind:
            kinds.append((kind, len(words) - 1 - index))
        index -= used
    return kinds


def is_keyword(word: str) -> bool:
    """True if ``word`` is one of the keywords that introduce a number."""
    return _keyword(word) is not None

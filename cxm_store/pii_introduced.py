"""Personal data found from the word that introduces it: passwords, names, address lines.

Part of the masking engine (:mod:`cxm_store.pii`). One pass over the words of
the text; at a word that may introduce a secret ("password", "sandi"), a name
("nama saya", "atas nama", "my name is") or an address ("Jl.", "alamat",
"221B Baker Street"), an anchored pattern is tried there and the words after
it are walked forward while they read like the thing introduced. Each walk
is bounded, so the pass is linear in the length of the text.
"""
import re
from typing import Iterator

from cxm_store.pii_rules import SUFFIXES, WORD, Span, is_keyword

STOPWORDS = frozenset(
    "ya yah yg yang dan dari di ke mau ingin mo mw pengen min kak ka gan sis bro tolong mohon please pls "
    "and from with i im saya aku sy untuk buat dengan no nomor hp wa email nik alamat order pesanan kok "
    "sudah udah belum tapi but is am the here ok oke terima thanks thank hi halo hello juga lagi mas mbak "
    "bapak ibu pak bu kakak sama atau or to for at in on lupa salah benar sih dong deh nih ini itu tadi "
    "kemarin mana apa gimana bagaimana kenapa bisa tidak nggak gak ga enggak siapa tersebut customer "
    "pelanggan penerima pemesan akun account kartu a an not orang lain beda berbeda sendiri someone else "
    "other different saja aja doang juga memang emang sebelumnya sebelum setelah sesudah jadi".split()
)

_SECRET = re.compile(
    r"(?:password|passwd|pwd|pw|pass|sandi|kata\s?sandi|kata\s?kunci)(?:nya|ku)?(?![a-z])"
    r"(?:\s(?:saya|aku|ku|akun|my|baru|lama|lamanya|nya)){0,2}\s{0,3}"
    r"(?:(?P<said>[:=]|is|was|adalah|itu|yaitu|yakni)\s{0,3})?(?P<secret>[^\s,;]{4,64})",
    re.IGNORECASE,
)


def _secret_at(text: str, position: int) -> Iterator[Span]:
    match = _SECRET.match(text, position)
    if not match:
        return
    secret = match.group("secret").rstrip(".?)")  # "!" is a favourite last character of a password
    if len(secret) < 4 or secret.lower() in STOPWORDS:
        return
    # Without "password: ..." only a token with a digit, a symbol or an inner
    # capital is taken: "password saya salah terus", "my password doesn't
    # work" and "my password was changed" hold no secret.
    if match.group("said") in (":", "=") or not secret.replace("'", "").isalpha() or not secret[1:].islower():
        start = match.start("secret")
        yield start, start + len(secret), "password"


# A firm introduction may be followed by a name in lower case ("nama saya
# budi"); after a weak one ("saya", "penerima", "dengan") only capitalised
# words are taken, which keeps "penerima paket belum terima" readable.
_BRANDS = frozenset(
    "dana kredivo akulaku cod qris paylater indomaret alfamart jne sicepat anteraja grab gojek shopee "
    "tokopedia lazada".split()
)
_NAME_INTRO = re.compile(
    r"(?:(?P<firm>nama\s?(?:saya|aku|ku|sy|gue|gw|lengkap(?:\s(?:saya|aku))?)|namaku|"
    r"atas\s(?:nama|nm)|a\s?[./]\s?n\.?|an\.|my\sname\sis|my\sname's|name\s?:|nama\s?:)"
    r"|(?P<weak>namanya|(?:nama|name)(?:\s(?:penerima|pemilik(?:\srekening)?|di\skartu|on\s(?:it|the\scard)(?:\sis)?))?|"
    r"penerima|pemilik\srekening|recipient|account\s(?:name|holder)|card\s?holder(?:\sname)?|billing\sname|"
    r"my\sname|saya|sy|aku|dengan|i\sam|i'm|this\sis|panggil\ssaya|call\sme))(?![a-z])\s{0,3}[:\-]?\s{0,2}",
    re.IGNORECASE,
)
# Introductions of the writer's own name (as opposed to "atas nama",
# "penerima", "account name": someone the writer names).
_SELF_INTRO = re.compile(
    r"nama\s?(?:saya|aku|ku|sy|gue|gw|lengkap)|namaku|my\sname|saya|sy|aku|dengan|i\sam|i'm|this\sis|"
    r"panggil\ssaya|call\sme",
    re.IGNORECASE,
)
_TITLE = re.compile(
    r"(?:bapak|bpk|ibu|bu|pak|sdr|sdri|saudara|saudari|mr|mrs|ms|miss|mas|mbak|kak|dr|drs|ir|hj|h)\.?\s",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*\.?(?![\w-])")
_MAX_NAME_WORDS = 4


def _name_at(text: str, position: int, own_names: bool) -> Iterator[Span]:
    intro = _NAME_INTRO.match(text, position)
    if not intro or (not own_names and _SELF_INTRO.match(intro.group())):
        return
    position = intro.end()
    title = _TITLE.match(text, position)
    if title:
        position = title.end()
    start, end, count = position, position, 0
    while count < _MAX_NAME_WORDS:
        word = _NAME_WORD.match(text, position)
        if not word:
            break
        token = word.group().rstrip(".")
        weak_miss = intro.group("weak") and (not token[:1].isupper() or (len(token) > 1 and token.isupper()))
        # After a weak introduction, a bank or a shop is no name ("dengan
        # Gopay", "saya BNI"); inside a name it may be one ("Dian Permata Sari").
        brand = count == 0 and intro.group("weak") and (is_keyword(token) or token.lower() in _BRANDS)
        if token.lower() in STOPWORDS or weak_miss or brand:
            break
        end, count = position + len(token), count + 1
        if word.group().endswith(".") and len(token) > 1:
            break  # the end of the sentence, not an initial
        position = word.end()
        if not text.startswith(" ", position):
            break
        position += 1
    if count:
        yield start, end, "name"


# Indonesian street keywords. "jalan", "kompleks", "perumahan"... are also
# ordinary words ("paketnya masih jalan", "di kompleks perumahan"): after
# them the line must go on with a name and hold a number.
_STREET = re.compile(
    r"(?:(?P<firm>jl|jln|gg|komp)\.?|(?P<loose>jalan|gang|blok|desa|dsn|dusun|kp|kampung|kompleks|komplek|"
    r"perum|perumahan|apartemen|apartment|apt|ruko|cluster|griya))(?![a-z])"
    r"|(?P<intro>alamat(?:\s(?:saya|aku|lengkap|pengiriman|rumah|kantor|kirim|baru))?(?:\s(?:di|ke|adalah))?"
    r"|my\saddress\sis|address\s?:|ship\sto|deliver\sto|send\sit\sto)(?![a-z])\s?:?",
    re.IGNORECASE,
)
# After "jalan": a capitalised name, or lower-case words then a house number.
# After "blok", "apt" or "gang" a number will do ("Blok C2", "Apt 12").
_LOOSE_STREET = re.compile(
    r"(?:(?<=(?i:blok))|(?<=(?i:apt))|(?<=(?i:gang)))\.?\s[0-9]|"
    r"\.?\s(?:[A-Z]|(?P<lower>[a-z]+(?:\s[a-z]+){0,2})\s(?:no\.?|nomor|blok)\s?[0-9])"
)
# "221B Baker Street": found from its last word, looking back.
_ENGLISH_STREET = re.compile(
    r"(?<![\w-])(?:(?i:block|blk)\s)?[0-9]{1,5}[A-Za-z]?\s(?:[A-Z][a-z]+\s){1,3}"
    r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|close|crescent)\Z"
)
_ADDRESS_WORDS = frozenset(
    "no no. nomor rt rw rt. rw. blok kel kel. kelurahan kec kec. kecamatan kab kab. kabupaten kota kodya "
    "provinsi prov prov. desa ds ds. dusun gg gg. gang jl jl. jalan jln lantai lt lt. unit tower gedung kav "
    "kav. km raya timur barat utara selatan tengah dalam street st st. road rd rd. apt apt. suite floor "
    "city perum blk komp komp. kp kp. dki".split()
)
_ADDRESS_TOKEN = re.compile(r"[\w#][\w./#-]{0,39}")
_BEFORE_POSTCODE = re.compile(r"[a-z]{2,20}[ ,]{1,2}[0-9]{5,6}(?!\w)")
# The next line goes on with the address if it opens with an address word or
# is a city and its postal code ("Jakarta Selatan 12980").
_NEXT_ADDRESS_LINE = re.compile(
    r"\n[ \t]*(?=(?i:kel|kec|kab|kota|kelurahan|kecamatan|kabupaten|rt|rw|desa|provinsi|prov)\b|"
    r"[A-Z][\w .]{0,40}?\s[0-9]{5,6}[ \t]*(?:\n|\Z))"
)
_MAX_ADDRESS_TOKENS = 30


def _address_at(text: str, word: "re.Match[str]") -> Iterator[Span]:
    if word.group().lower() in _STREET_ENDINGS:
        match = _ENGLISH_STREET.search(text, max(0, word.start() - 60), word.end())
        if match:
            yield match.start(), _walk_address(text, match.end(), 0), "address"
        return
    match = _STREET.match(text, word.start())
    if not match:
        return
    grace = 2 if match.group("firm") else 0
    if match.group("loose"):
        street = _LOOSE_STREET.match(text, match.end())
        if not street:
            return
        grace = len(street.group("lower").split()) if street.group("lower") else 0  # "jalan merdeka no 5"
    end = _walk_address(text, match.end(), grace)
    start = match.start()
    if match.group("loose") and not any(char.isdigit() for char in text[start:end]):
        return  # "Dusun Bambu is a good place": a place, not an address line
    if match.group("intro"):
        line = text[match.end():end].lstrip(" ,:")
        # "alamat saya di Bandung" is a city only, "alamat INV-2024-00124
        # salah" an order number: an address has a number and more than one word.
        if not any(char.isdigit() for char in line) or len(line.split()) < 2:
            return
        start = end - len(line)
    if end > start:
        yield start, end, "address"


def _walk_address(text: str, position: int, grace: int) -> int:
    """End of the address that goes on at ``position``: words while they read like one."""
    end = position
    for count in range(_MAX_ADDRESS_TOKENS):
        gap = position
        while gap < len(text) and text[gap] in " ,":
            gap += 1
        if gap - position > 2:
            break
        if text.startswith("\n", gap):  # an address written over several lines
            line = _NEXT_ADDRESS_LINE.match(text, gap)
            if not line:
                break
            gap = line.end()
        token = _ADDRESS_TOKEN.match(text, gap)
        if not token:
            break
        word = token.group()
        bare, known = word.rstrip("."), word.lower() in _ADDRESS_WORDS
        readable = (
            count < grace or known or bare[:1].isupper() or word[0] == "#" or any(c.isdigit() for c in bare)
            or _BEFORE_POSTCODE.match(text, gap)  # "jakpus 10640"
        )
        shouted = len(bare) > 1 and bare.isupper()  # "DI Yogyakarta"
        if not readable or (bare.lower() in STOPWORDS and not known and not shouted):
            break
        # "Dr." or "Kel." go on; "Jakarta." closes the sentence.
        if word.endswith(".") and not known and len(bare) > 3:
            return gap + len(bare)
        end = position = token.end()
    return end


_SECRET_STARTS = frozenset(
    word + suffix for word in "password passwd pwd pw pass sandi kata".split() for suffix in ("",) + SUFFIXES
)
_NAME_STARTS = frozenset(
    "nama namaku namanya atas a an my name i this panggil call penerima pemilik recipient account card "
    "cardholder billing saya sy aku dengan".split()
)
_STREET_STARTS = frozenset(
    "jl jln gg komp kompleks komplek perum perumahan apartemen apartment apt ruko dsn dusun kp kampung "
    "cluster griya jalan gang blok desa alamat my address ship deliver send".split()
)
_STREET_ENDINGS = frozenset(
    "street st road rd avenue ave lane ln drive dr boulevard blvd way court ct place pl terrace close "
    "crescent".split()
)


def find_introduced(text: str, own_names: bool = True) -> Iterator[Span]:
    """Passwords, person names and address lines, each found from the word that introduces it.

    Args:
        text: Folded text.
        own_names: False to leave the name the writer introduces themself
            with ("saya Rina dari tim CS"), for staff: theirs is no customer's.
    """
    address_end = 0
    for word in WORD.finditer(text):
        lower = word.group().lower()
        if lower in _SECRET_STARTS:
            yield from _secret_at(text, word.start())
        if lower in _NAME_STARTS:
            yield from _name_at(text, word.start(), own_names)
        if word.start() >= address_end and (lower in _STREET_STARTS or lower in _STREET_ENDINGS):
            for start, end, kind in _address_at(text, word):
                address_end = end
                yield start, end, kind

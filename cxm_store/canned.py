"""Canned responses: ready answers per language that leads keep and agents insert with ``/``.

A response has a ``shortcut`` (``refund``, typed ``/ref`` in the reply box),
a ``language`` (``id`` or ``en``), a title and a text that may hold
variables, filled for the conversation at hand by :func:`fill`:
``{customer_name}``, ``{order_number}``, ``{agent_name}``. What the store does
not know (customers give no name on most channels) is replaced by a stand-in
in the response's language, never left as a raw ``{...}``. A stand-in takes
in the words just before the variable that it says itself ("pesanan
{order_number}" reads "pesanan Kakak", not "pesanan pesanan Kakak"; "Thanks,
{customer_name}!" reads "Thanks!"), and starts a sentence with a capital.

:data:`DEFAULT_CANNED` is the set a new store starts with (``demo-data`` adds
it when there is none), for leads to adapt.
"""
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from cxm_store.console_models import CannedResponse
from cxm_store.db import session_factory, utc_naive

LANGUAGES = ("id", "en")
MAX_TEXT = 2000
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
VARIABLES = ("customer_name", "order_number", "agent_name")
_VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")
# What stands in for a value the store does not have, per language and
# variable: (the words just before the variable, as a case-insensitive
# pattern; what replaces them and the variable) - the first whose pattern
# matches. Each list ends with a catch-all.
StandIns = List[Tuple[str, str]]
STAND_INS: Dict[str, Dict[str, StandIns]] = {
    "id": {
        "customer_name": [(r"\b(kak|kakak)\s+$", r"\1"), (r"$", "Kak")],
        "order_number": [(r"\b((nomor|no\.?)\s+)?pesanan(\s+(nomor|no\.?))?\s*#?$", "pesanan Kakak"),
                         (r"\s*#$", " pesanan Kakak"), (r"$", "pesanan Kakak")],
        "agent_name": [(r"\b(saya|aku)\s+$", r"\1 dari tim CS Serambi"), (r"\btim\s+(cs\s+)?$", "tim CS Serambi"),
                       (r"$", "tim CS Serambi")],
    },
    "en": {
        "customer_name": [(r"\b(hi|hello|hey|good morning|good afternoon|good evening)\s+$", r"\1 there"),
                          (r"\b(dear)\s+$", r"\1 customer"), (r",?\s*$", "")],
        "order_number": [(r"\b((your|the)\s+)?order(\s+(number|no\.?))?\s*#?$", "your order"),
                         (r"\s*#$", " your order"), (r"$", "your order")],
        "agent_name": [(r"\b(i'm|i am)\s+$", r"\1 from the Serambi team"), (r"$", "the Serambi team")],
    },
}
# Where a sentence starts: a stand-in there gets a capital, a comma left there goes.
_SENTENCE_START = re.compile(r"(^|[.!?]\s+|\n\s*)$")

# The set a new store starts with: (shortcut, language, title, text).
DEFAULT_CANNED = (
    ("salam", "id", "Salam pembuka", "Halo {customer_name}, saya {agent_name}. Ada yang bisa saya bantu?"),
    ("salam", "en", "Greeting", "Hi {customer_name}, I'm {agent_name}. How can I help you today?"),
    ("cek-pesanan", "id", "Cek pesanan",
     "Baik {customer_name}, saya cek dulu pesanan {order_number} ya. Mohon ditunggu sebentar."),
    ("cek-pesanan", "en", "Checking an order",
     "Thanks, {customer_name}. I'm checking your order {order_number} now, one moment please."),
    ("refund", "id", "Lama refund",
     "Refund untuk pesanan {order_number} diproses 3-5 hari kerja ya {customer_name}."),
    ("refund", "en", "Refund time",
     "The refund for order {order_number} takes 3-5 working days, {customer_name}."),
    ("foto-rusak", "id", "Minta foto barang rusak",
     "Mohon maaf atas barangnya, {customer_name}. Boleh kirim foto barang dan paketnya "
     "untuk klaim {order_number}? Bisa lewat tombol kamera di chat."),
    ("foto-rusak", "en", "Ask for a photo of a damaged item",
     "Sorry about the item, {customer_name}. Could you send a photo of it and its parcel "
     "for the claim on {order_number}? The camera button in the chat works."),
    ("resi", "id", "Nomor resi",
     "Nomor resi {order_number} sudah kami kirim lewat email ya {customer_name}."),
    ("resi", "en", "Tracking number",
     "The tracking number of order #{order_number} is in your email, {customer_name}."),
    ("penutup", "id", "Penutup",
     "Terima kasih sudah menghubungi Serambi, {customer_name}. Salam, {agent_name}"),
    ("penutup", "en", "Closing", "Thank you for contacting Serambi, {customer_name}. Regards, {agent_name}"),
)


class CannedError(ValueError):
    """A canned response a lead wrote that cannot be kept as it is (the message says why)."""


@dataclass(frozen=True)
class Canned:
    """One canned response as the console shows it."""

    id: int
    shortcut: str
    language: str
    title: str
    text: str
    updated_by: str
    updated_at: datetime


def _view(row: CannedResponse) -> Canned:
    return Canned(row.id, row.shortcut, row.language, row.title, row.text, row.updated_by, row.updated_at)


def list_canned(language: Optional[str] = None, engine: Engine = None) -> List[Canned]:
    """Every canned response (of ``language`` if given), by shortcut then language."""
    query = select(CannedResponse).order_by(CannedResponse.shortcut, CannedResponse.language)
    if language:
        query = query.where(CannedResponse.language == language)
    with session_factory(engine)() as session:
        return [_view(row) for row in session.scalars(query)]


def save_canned(
    shortcut: str,
    language: str,
    title: str,
    text: str,
    author: str,
    at: datetime,
    canned_id: Optional[int] = None,
    engine: Engine = None,
) -> int:
    """Create (no ``canned_id``) or change a canned response; return its id.

    Raises:
        CannedError: Bad shortcut, language, empty or too long text, or the
            shortcut already taken in that language.
        LookupError: ``canned_id`` does not exist.
    """
    shortcut = (shortcut or "").strip().lstrip("/").lower()
    title, text = (title or "").strip(), (text or "").strip()
    if not SHORTCUT.match(shortcut):
        raise CannedError("The shortcut must be 1-40 letters, digits, - or _ (e.g. refund-status)")
    if language not in LANGUAGES:
        raise CannedError("The language must be id (Indonesian) or en (English)")
    if not text:
        raise CannedError("Write the response text")
    if len(text) > MAX_TEXT:
        raise CannedError(f"Responses are limited to {MAX_TEXT} characters")
    unknown = set(re.findall(r"\{([a-z_]+)\}", text)) - set(VARIABLES)
    if unknown:
        raise CannedError(
            f"Unknown variable {{{sorted(unknown)[0]}}}; use " + ", ".join(f"{{{v}}}" for v in VARIABLES)
        )
    try:
        with session_factory(engine)() as session, session.begin():
            row = CannedResponse() if canned_id is None else session.get(CannedResponse, canned_id)
            if row is None:
                raise LookupError(f"no canned response {canned_id}")
            row.shortcut, row.language, row.title, row.text = shortcut, language, title or shortcut, text
            row.updated_by, row.updated_at = author, utc_naive(at)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        raise CannedError(f"/{shortcut} already exists in {language}; edit that one") from None


def delete_canned(canned_id: int, engine: Engine = None) -> bool:
    """Remove a canned response; True if it existed."""
    with session_factory(engine)() as session, session.begin():
        return session.execute(delete(CannedResponse).where(CannedResponse.id == canned_id)).rowcount == 1


def seed_default_canned(at: datetime, engine: Engine = None) -> int:
    """Add :data:`DEFAULT_CANNED` to a store that has no canned response; return how many were added."""
    if list_canned(engine=engine):
        return 0
    for shortcut, language, title, text in DEFAULT_CANNED:
        save_canned(shortcut, language, title, text, "serambi", at, engine=engine)
    return len(DEFAULT_CANNED)


def _stand_in(before: str, variable: str, language: str) -> Tuple[str, str]:
    """``before`` without the words the stand-in takes in, and the stand-in for ``variable``."""
    for pattern, replacement in STAND_INS.get(language, STAND_INS["en"])[variable]:
        found = re.search(pattern, before, re.IGNORECASE)
        if found:
            kept, said = before[: found.start()], found.expand(replacement)
            if _SENTENCE_START.search(kept):
                said = said[:1].upper() + said[1:]
            return kept, said
    raise AssertionError("every stand-in list ends with a catch-all")


def fill(text: str, language: str, values: Dict[str, Optional[str]]) -> str:
    """``text`` with its variables replaced by ``values`` (or the stand-ins of ``language``)."""
    filled, end = "", 0
    for match in _VARIABLE.finditer(text):
        filled += text[end: match.start()]
        end = match.end()
        value = values.get(match.group(1))
        if value:
            filled += value
            continue
        filled, said = _stand_in(filled, match.group(1), language)
        if not said and _SENTENCE_START.search(filled):  # "{customer_name}, your ..." with no name: "Your ..."
            end += len(text[end:]) - len(text[end:].lstrip(",; \t"))
            text = text[:end] + text[end: end + 1].upper() + text[end + 1:]
        filled += said
    return filled + text[end:]

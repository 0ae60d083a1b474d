"""Canned responses: ready answers per language that leads keep and agents insert with ``/``.

A response has a ``shortcut`` (``refund``, typed ``/ref`` in the reply box),
a ``language`` (``id`` or ``en``), a title and a text that may hold
variables, filled for the conversation at hand by :func:`fill`:
``{customer_name}``, ``{order_number}``, ``{agent_name}``. What the store does
not know (customers give no name on most channels) is replaced by a polite
form of address in the response's language, never left as a raw ``{...}``.
"""
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional

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
# What stands in for a value the store does not have, per language.
UNKNOWN = {
    "id": {"customer_name": "Kak", "order_number": "pesanan Kakak", "agent_name": "tim CS Serambi"},
    "en": {"customer_name": "there", "order_number": "your order", "agent_name": "the Serambi team"},
}


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


def fill(text: str, language: str, values: Dict[str, Optional[str]]) -> str:
    """``text`` with its variables replaced by ``values`` (or the polite stand-in of ``language``)."""
    stand_in = UNKNOWN.get(language, UNKNOWN["en"])
    return _VARIABLE.sub(lambda match: values.get(match.group(1)) or stand_in[match.group(1)], text)

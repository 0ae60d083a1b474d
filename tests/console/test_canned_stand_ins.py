"""Canned responses read naturally when the store does not know a variable's value.

Every response of the shipped set (:data:`cxm_store.canned.DEFAULT_CANNED`) is
rendered as the agent would insert it with each variable missing, and with
all missing: no ``{...}`` left, no word said twice ("pesanan pesanan Kakak"),
no stray comma, and every sentence starts with a capital.
"""
import re
from itertools import chain, combinations
from typing import Dict, Optional

import pytest

from cxm_store import canned

KNOWN = {"customer_name": "Dewi", "order_number": "INV-2024-00123", "agent_name": "Budi"}
MISSING = list(chain.from_iterable(combinations(canned.VARIABLES, n) for n in (1, 2, 3)))
DOUBLED = re.compile(r"\b(\w+)\W+\1\b", re.IGNORECASE | re.UNICODE)


def _values(missing: tuple) -> Dict[str, Optional[str]]:
    return {name: (None if name in missing else value) for name, value in KNOWN.items()}


def _read_problems(text: str) -> list:
    problems = []
    if "{" in text or "}" in text:
        problems.append("placeholder left")
    doubled = DOUBLED.search(text)
    if doubled:
        problems.append(f"said twice: {doubled.group(0)!r}")
    if re.search(r"\s[,.!?]|,[.!?]|^[,.]|,,", text):
        problems.append("stray punctuation")
    if any(s[:1].islower() for s in re.split(r"(?<=[.!?])\s+", text)):
        problems.append("sentence without a capital")
    return problems


@pytest.mark.parametrize("shortcut,language,title,text", canned.DEFAULT_CANNED, ids=lambda v: str(v)[:20])
def test_every_shipped_response_reads_naturally_with_any_variable_missing(
    shortcut: str, language: str, title: str, text: str
) -> None:
    assert _read_problems(canned.fill(text, language, KNOWN)) == []
    for missing in MISSING:
        shown = canned.fill(text, language, _values(missing))
        assert _read_problems(shown) == [], f"/{shortcut} ({language}) without {missing}: {shown!r}"


@pytest.mark.parametrize("language,text,expected", [
    ("id", "Saya cek dulu pesanan {order_number} ya.", "Saya cek dulu pesanan Kakak ya."),
    ("id", "Saya cek {order_number} dulu.", "Saya cek pesanan Kakak dulu."),
    ("id", "Nomor pesanan {order_number} sudah kami catat.", "Pesanan Kakak sudah kami catat."),
    ("id", "Halo Kak {customer_name}, saya {agent_name}.", "Halo Kak, saya dari tim CS Serambi."),
    ("id", "{order_number} sudah dikirim.", "Pesanan Kakak sudah dikirim."),
    ("en", "Your order {order_number} has shipped.", "Your order has shipped."),
    ("en", "Refund for order #{order_number} is on its way.", "Refund for your order is on its way."),
    ("en", "Thanks, {customer_name}!", "Thanks!"),
    ("en", "{customer_name}, your parcel is here.", "Your parcel is here."),
    ("en", "Hello {customer_name}, {agent_name} here.", "Hello there, the Serambi team here."),
])
def test_a_stand_in_takes_in_the_words_before_it(language: str, text: str, expected: str) -> None:
    assert canned.fill(text, language, {}) == expected


def test_known_values_are_filled_as_given() -> None:
    assert canned.fill("Halo {customer_name}, pesanan {order_number}. Salam, {agent_name}", "id", KNOWN) == (
        "Halo Dewi, pesanan INV-2024-00123. Salam, Budi"
    )


def test_a_new_store_gets_the_default_set_once(tmp_path) -> None:
    from datetime import datetime

    from cxm_store import schema
    from cxm_store.db import engine_for

    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    engine = engine_for(url)
    assert canned.seed_default_canned(datetime(2026, 11, 30), engine=engine) == len(canned.DEFAULT_CANNED)
    assert canned.seed_default_canned(datetime(2026, 11, 30), engine=engine) == 0
    shipped = {(r.shortcut, r.language) for r in canned.list_canned(engine=engine)}
    assert shipped == {(shortcut, language) for shortcut, language, _, _ in canned.DEFAULT_CANNED}
    engine.dispose()

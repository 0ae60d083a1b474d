"""Fixtures of the privacy tests: a seeded store on SQLite or PostgreSQL with one known customer.

The customer (Telegram 987654321, order INV-2024-00123 proved with its
contact, a ticket with an e-mail, a survey comment) is written through the
store's own write path, next to a synthetic history of other customers, and
has copies outside the store: tracker events, a spool line and log lines.
"""
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import List

import pytest
from sqlalchemy import MetaData, select, text

from cxm_store import synthetic
from cxm_store.db import engine_for
from cxm_store.handoffs import leave_message
from cxm_store.identity import prove_order
from cxm_store.orders import seed_demo_orders
from cxm_store.privacy_settings import PrivacySettings
from cxm_store.surveys import record_survey_response
from cxm_store.touchpoints import close_conversation, record_bot_message, record_customer_message
from tests.capture.conftest import store_url  # noqa: F401  (fixture: a fresh store on each engine)

TELEGRAM_ID = "987654321"
ORDER = "INV-2024-00123"
ORDER_PHONE = "081234567890"  # the demo order's contact
EMAIL = "budi.santoso@gmail.com"
# Words only this customer wrote: they must not survive an erasure.
OWN_WORDS = "kulkas biru saya penyok"


@dataclass
class SeededStore:
    url: str
    privacy: PrivacySettings
    start: datetime
    end: datetime
    conversation_id: int


@pytest.fixture
def seeded(store_url, tmp_path) -> SeededStore:
    """A fresh store (SQLite, then PostgreSQL) seeded as the module says."""
    return seed_store(store_url, tmp_path)


def seed_store(url: str, tmp_path: Path) -> SeededStore:
    """Seed the store at ``url`` as the module says; copies outside it go under ``tmp_path``."""
    engine = engine_for(url)
    end = datetime.utcnow().replace(microsecond=0)
    start = end - timedelta(days=60)
    synthetic.generate(engine, 300, start, end, seed=11)
    seed_demo_orders(engine)
    at = end - timedelta(days=10)
    conversation = record_customer_message(
        "telegram", TELEGRAM_ID, f"{OWN_WORDS}, pesanan {ORDER}, hp {ORDER_PHONE}", at, "id",
        intent="complain", engine=engine)
    record_bot_message(conversation, "Maaf kak, boleh tinggalkan kontak?", at + timedelta(seconds=2), engine=engine)
    prove_order("telegram", TELEGRAM_ID, ORDER, ORDER_PHONE, at, engine=engine)
    leave_message(conversation, EMAIL, f"{OWN_WORDS}, tolong hubungi {EMAIL}", at + timedelta(minutes=1), engine=engine)
    record_survey_response(conversation, "comment", at + timedelta(minutes=2), comment=f"{OWN_WORDS} kecewa", engine=engine)
    close_conversation(conversation, "escalated", at + timedelta(minutes=3), engine=engine)
    privacy = _outside_copies(tmp_path, at)
    return SeededStore(url, privacy, start, end + timedelta(days=1), conversation)


def _outside_copies(tmp_path: Path, at: datetime) -> PrivacySettings:
    """The tracker store, a spool and a log holding this customer and another one."""
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = engine_for(tracker_url)
    stamp = (at - datetime(1970, 1, 1)).total_seconds()
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255),"
            " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"))
        for sender, words, when in ((TELEGRAM_ID, OWN_WORDS, stamp), ("someone-else", "halo", stamp),
                                    ("old-timer", "halo lama", stamp - 200 * 86400)):
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
                               {"s": sender, "t": when, "d": json.dumps({"event": "user", "text": words})})
    spool, logs = tmp_path / "spool", tmp_path / "logs"
    spool.mkdir()
    logs.mkdir()
    (spool / "rejected-abc.jsonl").write_text(
        json.dumps({"event": {"sender_id": TELEGRAM_ID, "text": OWN_WORDS}}) + "\n"
        + json.dumps({"event": {"sender_id": "someone-else", "text": "halo"}}) + "\n")
    (logs / "rasa.log").write_text(
        f"capture: bot message for {TELEGRAM_ID}, who has no open conversation\nstarted\n")
    return PrivacySettings(tracker_store_url=tracker_url, spool_dirs=(str(spool),), log_dirs=(str(logs),))


def every_stored_string(url: str) -> List[str]:
    """Every text value of every row of every table of the store."""
    engine = engine_for(url)
    meta = MetaData()
    meta.reflect(engine)
    values = []
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            for row in connection.execute(select(table)):
                values.extend(str(value) for value in row if isinstance(value, str))
    return values

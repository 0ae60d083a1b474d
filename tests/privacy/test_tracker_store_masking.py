"""Rasa's tracker store keeps no raw personal data, and the dialogue still works.

Against the real stack (REST, the SQLite tracker store that `make run` uses)
and the store class itself on PostgreSQL; capture's spool and the broker's
rejected queue are masked the same way.
"""
import json
import time
import uuid
from datetime import datetime

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.capture import Spool
from bot.capture_consumer import _masked_body
from bot.tracker_store import MaskingSQLTrackerStore
from tests.capture import events as ev

PHONE = "0812-3456-7890"
NIK = "3174051207900003"
EMAIL = "budi.santoso@gmail.com"
RAW = (PHONE, "081234567890", NIK, EMAIL, "budi_santoso")


def tracker_rows(url: str, sender: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(
                text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            )]
    finally:
        engine.dispose()


def assert_no_raw_pii(rows: list) -> None:
    for row in rows:
        for raw in RAW:
            assert raw not in row, f"{raw!r} stored raw in {row[:200]}"


def test_rest_chat_leaves_no_raw_pii_in_the_tracker_store_and_orders_still_answer(stack, chat):
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    chat(sender, f"halo kak, nomor hp saya {PHONE} dan NIK {NIK}, email {EMAIL}")
    first = " ".join(r.get("text", "") for r in chat(sender, "pesanan INV-2024-00123 udah sampai mana?"))
    # The next turn reads the masked rows back and still knows the order.
    follow_up = " ".join(r.get("text", "") for r in chat(sender, "jadi kapan nyampe?"))
    rows = tracker_rows(stack.settings.tracker_store_url, sender)
    assert rows, "nothing in the tracker store"
    assert_no_raw_pii(rows)
    assert any("[phone]" in row and "[nik]" in row for row in rows)
    assert "INV-2024-00123" in first and "dikirim" in first.lower()
    assert any("INV-2024-00123" in row for row in rows), "the order number must stay readable"
    assert follow_up.strip(), "no answer to the follow-up"


def _saved_rows(url: str) -> list:
    domain = Domain.from_dict({"slots": {"handoff_ticket": {"type": "any", "mappings": []}}})
    store = MaskingSQLTrackerStore(domain=domain, host=url, dialect=url.split(":")[0])
    sender = f"t-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"),
        UserUttered(f"hubungi {PHONE} ya, NIK {NIK}", {"name": "leave_message", "confidence": 0.9},
                    [{"entity": "order_id", "value": "INV-2024-00123", "start": 0, "end": 14}],
                    metadata={"telegram": {"chat_id": 42, "username": "budi_santoso"}}),
        SlotSet("handoff_ticket", {"contact": PHONE, "message": f"refund, hubungi {PHONE}"}),
        BotUttered(f"Baik, tim kami akan menghubungi {EMAIL}."),
    ])
    import asyncio

    asyncio.run(store.save(tracker))
    reread = asyncio.run(store.retrieve(sender))
    store.engine.dispose()
    assert reread is not None and reread.latest_message.intent["name"] == "leave_message"
    assert reread.latest_message.entities[0]["value"] == "INV-2024-00123"
    # What the turn itself worked with is untouched.
    assert tracker.latest_message.text.startswith(f"hubungi {PHONE}")
    return tracker_rows(url, sender)


def test_masking_store_on_sqlite_and_postgresql(tmp_path, new_pg_database):
    for url in (f"sqlite:///{tmp_path / 'tracker.db'}", new_pg_database()):
        rows = _saved_rows(url)
        assert len(rows) == 4
        assert_no_raw_pii(rows)
        assert '"contact": "[phone]"' in rows[2]
        assert '"username": "[name]"' in rows[1] and '"chat_id": 42' in rows[1]


def test_spool_file_is_masked_but_keeps_a_tickets_contact(tmp_path):
    spool = Spool(tmp_path, "sqlite:///x.db")
    at = datetime(2026, 5, 6, 9, 0)
    spool.append([
        ev.user("s-1", f"nomor saya {PHONE}, NIK {NIK}", at, "inform"),
        ev.slot("s-1", "handoff_ticket", {"contact": EMAIL, "message": f"NIK {NIK}"}, at),
    ])
    spool.close()
    lines = [json.loads(line) for line in next(tmp_path.glob("events-*.jsonl")).read_text().splitlines()]
    assert PHONE not in json.dumps(lines) and NIK not in json.dumps(lines)
    assert "[phone]" in lines[0]["event"]["text"]
    # Replayed after a crash, the ticket still says how to reach the customer.
    assert lines[1]["event"]["value"] == {"contact": EMAIL, "message": "NIK [nik]"}


def test_rejected_queue_copy_is_masked():
    body = json.dumps(ev.user("s-2", f"telp {PHONE}", datetime(2026, 5, 6), "inform")).encode()
    kept = _masked_body(body)
    assert PHONE.encode() not in kept and b"[phone]" in kept
    assert PHONE.encode() not in _masked_body(f"not json {PHONE}".encode())

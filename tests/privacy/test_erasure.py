"""Erasure of one customer and retention purges, on SQLite and PostgreSQL.

After an erasure no row of the store, no tracker event, no spool line and no
log line holds the customer's words or identifiers, and `report` prints the
same figures for the period as before.
"""
import contextlib
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cxm_store import audit, retention
from cxm_store.__main__ import main
from cxm_store.db import engine_for
from cxm_store.models import Conversation, HandoffTicket, Message
from cxm_store.privacy_settings import PrivacySettings
from cxm_store.touchpoints import record_customer_message
from tests.privacy.conftest import EMAIL, ORDER, ORDER_PHONE, OWN_WORDS, TELEGRAM_ID, every_stored_string


def report(seeded) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--database-url", seeded.url, "report", "--since", seeded.start.isoformat(),
                     "--until", seeded.end.isoformat(), "--by", "channel", "--format", "json"]) == 0
    return out.getvalue()


def erase(seeded, monkeypatch, *selector: str) -> str:
    monkeypatch.setenv("TRACKER_STORE_URL", seeded.privacy.tracker_store_url)
    monkeypatch.setenv("CAPTURE_SPOOL_DIR", seeded.privacy.spool_dirs[0])
    monkeypatch.setenv("CXM_LOG_DIRS", seeded.privacy.log_dirs[0])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--database-url", seeded.url, "erase", *selector]) == 0
    return out.getvalue()


def outside_text(seeded) -> str:
    engine = engine_for(seeded.privacy.tracker_store_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sender_id, data FROM events")).all()
    files = [p.read_text() for d in (*seeded.privacy.spool_dirs, *seeded.privacy.log_dirs)
             for p in Path(d).iterdir()]
    return repr(rows) + "".join(files)


IDENTIFIERS = (TELEGRAM_ID, EMAIL, ORDER_PHONE, OWN_WORDS, "budi@example.com")


@pytest.mark.parametrize("selector", (
    ("--channel-identity", f"telegram:{TELEGRAM_ID}"),
    ("--order", ORDER),
    ("--contact", EMAIL),
))
def test_erasure_leaves_no_trace_and_the_same_report(seeded, monkeypatch, selector):
    before = report(seeded)
    stored = " ".join(every_stored_string(seeded.url))
    assert OWN_WORDS in stored and TELEGRAM_ID in stored and EMAIL in stored  # there to be erased
    assert TELEGRAM_ID in outside_text(seeded)

    printed = erase(seeded, monkeypatch, *selector)

    stored = " ".join(every_stored_string(seeded.url))
    for identifier in IDENTIFIERS:
        assert identifier not in stored, f"{identifier!r} still in the store"
        assert identifier not in outside_text(seeded), f"{identifier!r} still outside the store"
    # Other customers keep theirs.
    assert "someone-else" in outside_text(seeded)
    assert report(seeded) == before
    [entry] = audit.recent(action="erase", engine=engine_for(seeded.url))
    assert entry["actor"] == audit.COMMAND_LINE and entry["detail"]["identities"] == 1
    assert TELEGRAM_ID not in str(entry) and TELEGRAM_ID not in printed
    with engine_for(seeded.url).connect() as connection:
        texts = connection.scalars(select(Message.text).where(Message.conversation_id == seeded.conversation_id)).all()
    assert texts and set(texts) == {"[erased]"}


def test_an_unknown_customer_erases_nothing(seeded, monkeypatch):
    before = " ".join(every_stored_string(seeded.url)).count("[erased]")
    assert '"customers": []' in erase(seeded, monkeypatch, "--contact", "nobody@example.com")
    assert " ".join(every_stored_string(seeded.url)).count("[erased]") == before


def test_purge_removes_what_is_past_retention_and_keeps_the_report(seeded):
    before = report(seeded)
    engine = engine_for(seeded.url)
    cutoff = datetime.utcnow() - timedelta(days=30)

    def old_lines():
        with engine.connect() as connection:
            return connection.scalar(select(Message.id).join(Conversation).where(
                Conversation.ended_at < cutoff).limit(1))

    with engine.connect() as connection:
        recent_before = connection.scalar(select(Message.id).join(Conversation).where(
            Conversation.ended_at >= cutoff + timedelta(days=1)).limit(1))
        old_tickets = connection.scalar(select(func.count()).select_from(HandoffTicket).where(
            HandoffTicket.created_at < datetime.utcnow() - timedelta(days=5)))
    assert old_lines() is not None and recent_before is not None and old_tickets >= 1
    privacy = PrivacySettings(transcripts_days=30, tickets_days=5, tracker_days=90, audit_days=365,
                              tracker_store_url=seeded.privacy.tracker_store_url,
                              spool_dirs=seeded.privacy.spool_dirs, log_dirs=seeded.privacy.log_dirs)
    counts = retention.purge(engine=engine, privacy=privacy)

    assert old_lines() is None
    with engine.connect() as connection:
        assert connection.scalar(select(Message.id).where(Message.id == recent_before)) == recent_before
    assert counts["messages"] > 0 and counts["tickets"] == old_tickets and counts["tracker_events"] == 1
    assert EMAIL not in " ".join(every_stored_string(seeded.url))  # the 10-day-old ticket is past 5 days
    assert "halo lama" not in outside_text(seeded) and "someone-else" in outside_text(seeded)
    assert report(seeded) == before
    [entry] = audit.recent(action="purge", engine=engine)
    assert entry["detail"]["messages"] == counts["messages"]


OTHER_SENDER = "web-ibunya01"
OTHER_WORDS = f"cek pesanan {ORDER} punya anak saya ya"


def _tracker_like_the_store(seeded, request) -> str:
    """The seeded tracker events moved to a database of the store's own kind (PostgreSQL too)."""
    if seeded.url.startswith("sqlite"):
        return seeded.privacy.tracker_store_url
    url = request.getfixturevalue("new_pg_database")()
    with engine_for(seeded.privacy.tracker_store_url).connect() as source:
        rows = [dict(row._mapping)
                for row in source.execute(text("SELECT sender_id, type_name, timestamp, data FROM events"))]
    with engine_for(url).begin() as connection:
        connection.execute(text("CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
                                " type_name VARCHAR(255), timestamp FLOAT, data TEXT)"))
        connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data)"
                                " VALUES (:sender_id, :type_name, :timestamp, :data)"), rows)
    return url


def test_erasure_by_order_keeps_what_other_customers_wrote_about_it(seeded, monkeypatch, request):
    """Someone else asked about the same order: their touchpoints are theirs, not the erased customer's."""
    at = seeded.end - timedelta(days=3)
    engine = engine_for(seeded.url)
    record_customer_message("web", OTHER_SENDER, OTHER_WORDS, at, "id", engine=engine)
    tracker_url = _tracker_like_the_store(seeded, request)
    with engine_for(tracker_url).begin() as connection:
        connection.execute(
            text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
            {"s": OTHER_SENDER, "t": at.timestamp(), "d": json.dumps({"event": "user", "text": OTHER_WORDS})})
    spool = Path(seeded.privacy.spool_dirs[0]) / "events-pending.jsonl"
    spool.write_text(json.dumps({"event": {"sender_id": OTHER_SENDER, "text": OTHER_WORDS}}) + "\n")
    seeded.privacy = seeded.privacy.copy(update={"tracker_store_url": tracker_url})

    erase(seeded, monkeypatch, "--order", ORDER)

    with engine.connect() as connection:
        assert OTHER_WORDS in connection.scalars(select(Message.text)).all()
    with engine_for(tracker_url).connect() as connection:
        senders = connection.scalars(text("SELECT sender_id FROM events")).all()
    assert OTHER_SENDER in senders and TELEGRAM_ID not in senders
    assert OTHER_SENDER in spool.read_text()
    assert OWN_WORDS not in " ".join(every_stored_string(seeded.url)) + outside_text(seeded)

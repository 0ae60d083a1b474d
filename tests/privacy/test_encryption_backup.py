"""Encryption at rest, key rotation, and backup/restore, on SQLite and PostgreSQL.

Transcript lines, survey comments and ticket contacts are stored encrypted
with the key in CXM_DATA_KEYS; metrics (counters) and the voice of the
customer still work; a backup restored into an empty database gives the
same report; with a wrong key the encrypted columns do not read.
"""
import contextlib
import gzip
import io
import uuid

import pytest
from sqlalchemy import select, text

from cx_reports import voice
from cx_reports.metrics import MetricFilter
from cxm_store import encryption
from cxm_store.__main__ import main
from cxm_store.db import engine_for
from cxm_store.models import HandoffTicket, Message
from tests.capture.conftest import store_url  # noqa: F401  (fixture: a fresh store on each engine)
from tests.privacy.conftest import EMAIL, OWN_WORDS, every_stored_string, seed_store

OLD_KEY, NEW_KEY = encryption.new_key("k1"), encryption.new_key("k2")


def cli(url, *args) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--database-url", url, *args]) == 0
    return out.getvalue()


def report(url, seeded) -> str:
    return cli(url, "report", "--since", seeded.start.isoformat(), "--until", seeded.end.isoformat(),
               "--by", "channel", "--format", "json")


@pytest.fixture
def encrypted(monkeypatch, store_url, tmp_path):
    """The seeded store written with CXM_DATA_KEYS = k1."""
    monkeypatch.setenv(encryption.KEYS_VARIABLE, OLD_KEY)
    return seed_store(store_url, tmp_path)


def raw_texts(url, conversation_id=None):
    """The messages' text column as stored (no decryption)."""
    query = "SELECT text FROM messages" + (" WHERE conversation_id = :c" if conversation_id else "")
    with engine_for(url).connect() as connection:
        return connection.execute(text(query), {"c": conversation_id}).scalars().all()


def test_stored_encrypted_and_read_back_by_the_store(encrypted):
    # Written through the store: encrypted. (The synthetic history is bulk
    # loaded in clear, like a store from before keys were set; rotation
    # encrypts it, see below.)
    raw = raw_texts(encrypted.url, encrypted.conversation_id)
    assert raw and all(value.startswith("enc1:k1:") for value in raw)
    stored = " ".join(every_stored_string(encrypted.url))
    assert OWN_WORDS not in stored and EMAIL not in stored  # transcript, comment, ticket contact
    engine = engine_for(encrypted.url)
    with engine.connect() as connection:
        lines = connection.scalars(select(Message.text).where(Message.conversation_id == encrypted.conversation_id)).all()
        contacts = connection.scalars(select(HandoffTicket.contact)).all()
    assert any(OWN_WORDS in line for line in lines) and EMAIL in contacts
    # The voice of the customer groups the (encrypted) unrecognised questions.
    questions = voice.unrecognised_questions(MetricFilter(start=encrypted.start, end=encrypted.end), engine=engine)
    assert questions and all(not q["text"].startswith("enc1:") for q in questions)


def test_backup_restores_into_an_empty_database_with_the_same_report(encrypted, tmp_path, request):
    before = report(encrypted.url, encrypted)
    dump = tmp_path / "cxm-backup.jsonl.gz"
    cli(encrypted.url, "backup", "--to", str(dump))
    assert OWN_WORDS.encode() not in gzip.open(dump).read()  # encrypted in the file too
    if encrypted.url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:6]}.db'}"
    else:
        target = request.getfixturevalue("empty_pg_url")
    cli(target, "restore", "--from", str(dump))
    assert report(target, encrypted) == before
    assert sorted(raw_texts(target)) == sorted(raw_texts(encrypted.url))
    # Restoring over data is refused.
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["--database-url", target, "restore", "--from", str(dump)]) == 2


@pytest.fixture
def empty_pg_url():
    """A PostgreSQL database with nothing in it (not even the schema), dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_ADMIN_URL

    name = f"cxm_test_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine_for(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_wrong_key_does_not_read_and_metrics_still_do(encrypted, monkeypatch):
    before = report(encrypted.url, encrypted)
    monkeypatch.setenv(encryption.KEYS_VARIABLE, NEW_KEY)
    with pytest.raises(encryption.UnreadableData):
        with engine_for(encrypted.url).connect() as connection:
            connection.scalars(select(Message.text)).all()
    monkeypatch.setenv(encryption.KEYS_VARIABLE, "")
    with pytest.raises(encryption.UnreadableData):
        with engine_for(encrypted.url).connect() as connection:
            connection.scalars(select(Message.text)).all()
    assert report(encrypted.url, encrypted) == before  # counters, no text


def test_rotation_keeps_old_rows_readable_then_moves_them_to_the_new_key(encrypted, monkeypatch):
    # The new key first, the old one kept after it: old rows still read.
    monkeypatch.setenv(encryption.KEYS_VARIABLE, f"{NEW_KEY} {OLD_KEY}")
    with engine_for(encrypted.url).connect() as connection:
        assert any(OWN_WORDS in t for t in connection.scalars(select(Message.text)).all())
    cli(encrypted.url, "rotate-data-key")
    assert all(value.startswith("enc1:k2:") for value in raw_texts(encrypted.url))
    monkeypatch.setenv(encryption.KEYS_VARIABLE, NEW_KEY)  # the old key dropped
    with engine_for(encrypted.url).connect() as connection:
        assert any(OWN_WORDS in t for t in connection.scalars(select(Message.text)).all())
        assert EMAIL in connection.scalars(select(HandoffTicket.contact)).all()

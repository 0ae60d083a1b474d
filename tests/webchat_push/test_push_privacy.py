"""Issue 12: replies waiting in Redis for web-chat customers are encrypted, expire, and go with an erasure.

Over the local Redis, as the scaled topology keeps them (``WEBCHAT_PUSH_URL``):
an agent's reply holding a customer's phone number is read from Redis as
Redis holds it, while the customer's stream still gets it in clear.
"""
import asyncio
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, List

import pytest
from redis import Redis

from bot.channels import push
from bot.channels.push import RedisPushHub
from cxm_store import encryption, schema
from cxm_store.db import engine_for
from cxm_store.erasure import ErasureRequest, erase_customer
from cxm_store.privacy_settings import PrivacySettings
from cxm_store.touchpoints import record_customer_message

REPLY = "Kak Budi, paketnya kami kirim ulang ke 0812-3456-7890 ya"
WAIT = 5.0


def new_sender() -> str:
    return f"web-private-{uuid.uuid4().hex[:10]}"


def backlog_key(sender: str) -> str:
    return f"{push.REDIS_PREFIX}:backlog:{sender}"


@pytest.fixture
def data_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A data key configured, as a deployment with ``CXM_DATA_KEYS`` has."""
    monkeypatch.setenv(encryption.KEYS_VARIABLE, encryption.new_key("push1"))


@pytest.fixture
def raw(redis_url: str) -> Any:
    """A plain Redis client: what anyone with access to Redis (or its dump files) reads."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


async def reply_seen_by_customer(redis_url: str, sender: str, on_the_wire: List[bytes]) -> str:
    """Publish :data:`REPLY` from one process to a stream held by another; the text the stream got.

    ``on_the_wire`` gets what Redis's pub/sub carried, as any subscriber would read it.
    """
    holder, publisher = RedisPushHub(redis_url), RedisPushHub(redis_url)
    spy = Redis.from_url(redis_url).pubsub()
    spy.subscribe(f"{push.REDIS_PREFIX}:push:{sender}")
    try:
        stream = await holder.subscribe(sender)
        await publisher.publish(sender, {"text": REPLY})
        delivered = await stream.next(WAIT)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not on_the_wire:
            message = spy.get_message(timeout=0.2)
            if message and message["type"] == "message":
                on_the_wire.append(message["data"])
        return delivered.message["text"] if delivered else ""
    finally:
        spy.close()
        for hub in (holder, publisher):
            await hub.close()


def test_with_a_data_key_redis_holds_only_ciphertext_and_the_customer_reads_the_reply(redis_url, raw, data_key):
    sender, wire = new_sender(), []
    assert asyncio.run(reply_seen_by_customer(redis_url, sender, wire)) == REPLY
    kept = b"".join(raw.lrange(backlog_key(sender), 0, -1))
    assert kept and b"enc1:push1:" in kept
    for held in (kept, *wire):
        assert b"0812" not in held and b"Budi" not in held and b"paketnya" not in held
    # A page back after a drop still gets it, decrypted.
    missed = asyncio.run(RedisPushHub(redis_url).backlog(sender, after=0))
    assert [p.message["text"] for p in missed] == [REPLY]


def test_without_the_key_a_kept_reply_is_skipped_not_shown_garbled(redis_url, data_key, monkeypatch):
    sender = new_sender()
    asyncio.run(reply_seen_by_customer(redis_url, sender, []))
    monkeypatch.setenv(encryption.KEYS_VARIABLE, encryption.new_key("other"))
    assert asyncio.run(RedisPushHub(redis_url).backlog(sender, after=0)) == []


def test_every_key_expires_and_after_its_time_nothing_is_left(redis_url, raw, data_key, monkeypatch):
    monkeypatch.setattr(push, "BACKLOG_SECONDS", 1)
    sender = new_sender()
    assert asyncio.run(reply_seen_by_customer(redis_url, sender, [])) == REPLY
    for key in (backlog_key(sender), f"{push.REDIS_PREFIX}:push-id"):
        assert 0 < raw.pttl(key) <= 1000, key
    time.sleep(1.5)
    assert not raw.exists(backlog_key(sender))


def test_the_push_ids_keep_rising_after_the_counter_expired(redis_url, monkeypatch):
    monkeypatch.setattr(push, "BACKLOG_SECONDS", 1)

    async def two_pushes_with_the_counter_expired_between() -> List[int]:
        hub = RedisPushHub(redis_url)
        first = await hub.publish(new_sender(), {"text": "one"})
        await asyncio.sleep(1.2)  # no push for BACKLOG_SECONDS: the counter expires
        second = await hub.publish(new_sender(), {"text": "two"})
        await hub.close()
        return [first, second]

    first, second = asyncio.run(two_pushes_with_the_counter_expired_between())
    assert second > first, "a page that saw the first id would skip the second"


def test_erasing_the_customer_deletes_their_waiting_replies(redis_url, raw, data_key, tmp_path: Path):
    sender, other = new_sender(), new_sender()
    for someone in (sender, other):
        assert asyncio.run(reply_seen_by_customer(redis_url, someone, [])) == REPLY
    store = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(store)
    engine = engine_for(store)
    record_customer_message("web", sender, "halo, paket saya belum sampai", datetime.utcnow(), "id", engine=engine)
    privacy = PrivacySettings(tracker_store_url=f"sqlite:///{tmp_path / 'no-tracker.db'}", spool_dirs=(),
                              log_dirs=(), webchat_push_url=redis_url)
    result = erase_customer(ErasureRequest(channel_identity=f"web:{sender}"), engine=engine, privacy=privacy)
    assert result.counts["redis_keys"] >= 1
    assert not raw.exists(backlog_key(sender))
    assert raw.exists(backlog_key(other)), "another customer's replies stay"

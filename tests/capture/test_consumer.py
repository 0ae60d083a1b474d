"""The capture consumer of the scaled topology, against the local RabbitMQ.

Events go through a fanout exchange into a durable queue, as Rasa's pika
broker sends them; the consumer must store each once (a redelivered event
changes nothing), keep an event the store refuses for good in
``<queue>.rejected``, acknowledge nothing while the store is down, and come
back by itself from a cut connection to RabbitMQ.
"""
import asyncio
import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List

import aio_pika
import pytest
from sqlalchemy import text

import bot.capture_consumer as capture_consumer
from bot.capture_consumer import CaptureConsumer, ConsumerSettings
from cxm_store import schema
from cxm_store.db import engine_for
from tests.capture import events as ev
from tests.tcp_proxy import TcpProxy
from tests.conftest import delete_capture_queues, rabbitmq_channel_do

AT = datetime(2024, 5, 6, 9, 0)


@pytest.fixture
def names() -> Dict[str, str]:
    run = uuid.uuid4().hex[:8]
    return {"exchange": f"test.events.{run}", "queue": f"test.capture.{run}"}


@pytest.fixture
def queues(names: Dict[str, str], rabbitmq: None) -> Iterator[Dict[str, str]]:
    """This test's exchange and capture queue, deleted afterwards."""
    yield names
    delete_capture_queues(names["exchange"], names["queue"])


def _channel_do(names: Dict[str, str], action: Any) -> Any:
    """``await action(channel)`` with the exchange and queue declared as Rasa declares them."""

    async def declared(channel: Any) -> Any:
        exchange = await channel.declare_exchange(names["exchange"], type=aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(names["queue"], durable=True)
        await queue.bind(exchange, "")
        return await action(channel)

    return asyncio.run(rabbitmq_channel_do(declared))


def publish(names: Dict[str, str], events: List[Dict[str, Any]]) -> None:
    async def send(channel: Any) -> None:
        exchange = await channel.get_exchange(names["exchange"])
        for event in events:
            await exchange.publish(aio_pika.Message(json.dumps(event).encode()), "")

    _channel_do(names, send)


def waiting_in_queue(names: Dict[str, str], queue: str) -> int:
    async def count(channel: Any) -> int:
        return (await channel.declare_queue(queue, passive=True)).declaration_result.message_count

    return _channel_do(names, count)


async def until(done: Any, timeout: float = 15.0) -> None:
    """Wait until ``done()`` holds, at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


async def consume_until(consumer: CaptureConsumer, done: Any, timeout: float = 15.0) -> None:
    """Run the consumer until ``done()`` holds (or the timeout), then stop it."""
    running = asyncio.ensure_future(consumer.run())
    await until(lambda: done() or running.done(), timeout)
    consumer.stop()
    await running


def settings(names: Dict[str, str], database_url: str) -> ConsumerSettings:
    return ConsumerSettings(
        database_url=database_url, exchange=names["exchange"], queue=names["queue"], health_port=0,
    )


def test_each_event_is_stored_once_and_a_refused_one_is_kept_aside(queues: Dict[str, str], tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    question = ev.user("web-ana", "barang saya belum sampai", AT, "faq/late_delivery")
    refused = ev.slot("web-ana", "survey_csat", "lima bintang", AT)  # not a score: refused for good
    publish(queues, [question, question, ev.bot("web-ana", "Mohon maaf, Kak", AT), refused])

    consumer = CaptureConsumer(settings(queues, url))
    asyncio.run(consume_until(consumer, lambda: consumer.stored + consumer.rejected >= 4))

    with engine_for(url).connect() as connection:
        rows = connection.execute(text("SELECT sender, text FROM messages ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("customer", "barang saya belum sampai"), ("bot", "Mohon maaf, Kak")]
    assert (consumer.stored, consumer.rejected) == (3, 1)
    assert waiting_in_queue(queues, queues["queue"]) == 0
    assert waiting_in_queue(queues, f"{queues['queue']}.rejected") == 1


def test_nothing_is_acknowledged_while_the_store_is_down(
    queues: Dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_consumer, "STOP_TIMEOUT_S", 1.0)
    publish(queues, [ev.user("web-budi", "halo kak", AT, "greet")])
    consumer = CaptureConsumer(settings(queues, "postgresql://postgres@127.0.0.1:1/cxm"))  # nothing listens

    asyncio.run(consume_until(consumer, lambda: False, timeout=3.0))

    assert (consumer.stored, consumer.rejected, consumer.store_available) == (0, 0, False)
    assert waiting_in_queue(queues, queues["queue"]) == 1, "back in the queue for the next consumer"


def test_a_cut_from_rabbitmq_is_survived_and_what_came_meanwhile_stored_once(
    queues: Dict[str, str], tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    # The consumer's way to RabbitMQ, cut for 3 s: back before aio_pika's
    # first attempt to reconnect (after 5 s). A longer cut makes the process
    # exit for a fresh start by its supervisor (RECONNECT_GIVE_UP_S; the
    # scaled fault test cuts RabbitMQ for 10 s).
    proxy = TcpProxy("127.0.0.1", 5672)
    proxy.start()
    consumer = CaptureConsumer(ConsumerSettings(
        database_url=url, exchange=queues["exchange"], queue=queues["queue"], health_port=0,
        rabbitmq_port=proxy.port,
    ))
    said = [ev.user("web-citra", f"pesan {n}", AT + timedelta(seconds=n), "greet") for n in range(6)]

    async def scenario() -> None:
        running = asyncio.ensure_future(consumer.run())
        await asyncio.to_thread(publish, queues, said[:3])
        await until(lambda: consumer.stored >= 3)
        proxy.cut()
        await asyncio.to_thread(publish, queues, said[3:])  # Rasa still reaches RabbitMQ
        await asyncio.sleep(3)
        proxy.start()
        await until(lambda: consumer.stored >= 6, timeout=30)
        consumer.stop()
        await running

    try:
        asyncio.run(scenario())
    finally:
        proxy.close()
    with engine_for(url).connect() as connection:
        texts = connection.execute(text("SELECT text FROM messages ORDER BY id")).scalars().all()
    assert texts == [f"pesan {n}" for n in range(6)]

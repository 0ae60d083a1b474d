"""The capture queue of the scaled topology carries no personal data in clear (local RabbitMQ).

Rasa's broker (``bot.event_broker.ConfirmedPikaEventBroker``, as
deploy/endpoints.yml configures it) publishes a customer's message, an
agent's reply and a ticket to the fanout exchange. A second queue bound to
it shows the bytes as RabbitMQ holds them: no phone number, NIK or e-mail
address. The capture consumer still stores the conversation masked, the
agent's own name readable, and the ticket's contact readable for the team
(it crossed RabbitMQ encrypted with the data key).
"""
import asyncio
import json
import uuid
from datetime import datetime
from typing import Any, Dict, Iterator, List

import aio_pika
import pytest
from sqlalchemy import text

from bot.capture_consumer import CaptureConsumer, ConsumerSettings
from bot.event_broker import ConfirmedPikaEventBroker
from contract.dialogue import HANDOFF_TICKET_SLOT
from cxm_store import encryption, schema
from cxm_store.db import engine_for
from cxm_store.handoffs import open_tickets
from tests.capture import events as ev
from tests.capture.test_consumer import consume_until
from tests.conftest import RABBITMQ_HOST, delete_capture_queues, rabbitmq_channel_do

AT = datetime(2024, 5, 6, 9, 0)
SENDER = "web-queue01"
PHONE, NIK, EMAIL = "0812 3456 7890", "3174051208900001", "budi.santoso@gmail.com"
ORDER = "INV-2024-00123"
EVENTS = [
    ev.user(SENDER, f"pesanan {ORDER} belum sampai, hp saya {PHONE}, NIK {NIK}", AT, "order_status"),
    ev.bot(SENDER, f"Halo, saya Rina dari tim CS. Kami hubungi {PHONE} ya", AT, agent="rina"),
    ev.slot(SENDER, HANDOFF_TICKET_SLOT, {"contact": EMAIL, "message": f"tolong kabari ke {EMAIL}"}, AT),
]
# What Rasa hands its broker for such a turn: EVENTS, after an action that the
# CX store does not record, so it must not cost a publish (first, so that it
# would reach the tap before the rest).
TURN = [ev.action(SENDER, "action_answer_faq", AT), *EVENTS]


@pytest.fixture
def names(rabbitmq: None) -> Iterator[Dict[str, str]]:
    """This test's exchange, capture queue and tap queue, deleted afterwards."""
    run = uuid.uuid4().hex[:8]
    names = {"exchange": f"test.events.{run}", "queue": f"test.capture.{run}", "tap": f"test.tap.{run}"}
    yield names

    async def delete_tap(channel: Any) -> None:
        await channel.queue_delete(names["tap"])

    asyncio.run(rabbitmq_channel_do(delete_tap))
    delete_capture_queues(names["exchange"], names["queue"])


async def _publish_and_tap(names: Dict[str, str], count: int) -> List[bytes]:
    """Publish ``TURN`` with Rasa's broker; return the bodies that reach the tap queue."""
    broker = ConfirmedPikaEventBroker(
        RABBITMQ_HOST, "guest", "guest", queues=[names["queue"], names["tap"]],
        exchange_name=names["exchange"], event_loop=asyncio.get_running_loop(),
    )
    await broker.connect()
    try:
        for event in TURN:
            broker.publish(event)
        connection = await aio_pika.connect(host=RABBITMQ_HOST, login="guest", password="guest")
        async with connection:
            tap = await (await connection.channel()).declare_queue(names["tap"], durable=True)
            bodies: List[bytes] = []
            for _ in range(100):
                message = await tap.get(no_ack=True, fail=False)
                if message is not None:
                    bodies.append(message.body)
                elif len(bodies) >= count:
                    break
                else:
                    await asyncio.sleep(0.1)
            return bodies
    finally:
        await broker.close()


def test_capture_events_cross_rabbitmq_masked_and_the_ticket_contact_encrypted(names, monkeypatch, tmp_path):
    monkeypatch.setenv(encryption.KEYS_VARIABLE, encryption.new_key("q1"))
    bodies = asyncio.run(_publish_and_tap(names, len(EVENTS)))

    assert [json.loads(body)["event"] for body in bodies] == ["user", "bot", "slot"]
    queued = b"\n".join(bodies)
    for value in (PHONE, NIK, EMAIL, PHONE.replace(" ", "")):
        assert value.encode() not in queued, f"{value!r} crossed RabbitMQ in clear"
    assert ORDER.encode() in queued and b"Rina" in queued  # what support needs stays readable

    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    consumer = CaptureConsumer(ConsumerSettings(database_url=url, exchange=names["exchange"],
                                                queue=names["queue"], health_port=0))
    asyncio.run(consume_until(consumer, lambda: consumer.stored + consumer.rejected >= len(EVENTS)))

    assert (consumer.stored, consumer.rejected) == (len(EVENTS), 0)
    with engine_for(url).connect() as connection:
        lines = [row.text for row in connection.execute(text("SELECT text FROM messages ORDER BY id"))]
    lines = [encryption.decrypt(line) for line in lines]
    assert lines == [f"pesanan {ORDER} belum sampai, hp saya [phone], NIK [nik]",
                     "Halo, saya Rina dari tim CS. Kami hubungi [phone] ya"]
    [ticket] = open_tickets(engine=engine_for(url))
    assert ticket["contact"] == EMAIL and EMAIL not in ticket["message"]


def test_without_a_data_key_the_ticket_contact_crosses_masked(names, monkeypatch, caplog):
    monkeypatch.delenv(encryption.KEYS_VARIABLE, raising=False)
    bodies = asyncio.run(_publish_and_tap(names, len(EVENTS)))

    assert len(bodies) == len(EVENTS)
    assert EMAIL.encode() not in b"\n".join(bodies) and b'"contact": "[email]"' in bodies[-1]
    assert "tickets' contacts cross RabbitMQ masked" in caplog.text

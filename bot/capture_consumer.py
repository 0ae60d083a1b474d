"""CX capture as a process of its own: Rasa's events from RabbitMQ into the CX store.

In the scaled topology (docs/deploy.md) every Rasa process publishes its
tracker events with Rasa's own ``pika`` event broker to a fanout exchange
bound to a durable queue; this consumer reads that queue and applies each
event with the same translation as the embedded capture
(:mod:`bot.capture`), so there is one piece of code that turns Rasa events
into touchpoints either way.

Delivery is at least once: a message is acknowledged only after its write
committed, and every write is de-duplicated (a redelivered message, after a
crash between commit and ack, changes nothing). While the store is
unreachable the message in hand is retried with backoff and nothing is
acknowledged, so RabbitMQ keeps the rest. A message the store refuses for
good (e.g. a score off its scale) goes to the durable ``<queue>.rejected``
queue and is acknowledged; the log names the error, not the customer's text.
Events arrive masked, a ticket's contact encrypted with the data key
(:func:`bot.stored_events.queued_event`); the contact is decrypted here.
Messages are applied one at a time in queue order, so a customer's message
is stored before the reply to it. Run one consumer per queue: the translation
remembers each customer's open conversation.

A cut connection to RabbitMQ is re-established by aio_pika; after
``RECONNECT_GIVE_UP_S`` without it the process exits, and its supervisor
starts a fresh one (unacknowledged messages are delivered again).

HTTP on ``CAPTURE_HEALTH_PORT``: ``GET /health`` (alive) and ``GET /ready``
(connected to RabbitMQ and the store answering). SIGTERM finishes the message
in hand, then stops; unacknowledged messages go back to the queue.

Settings (environment): ``CXM_DATABASE_URL``, ``RABBITMQ_HOST``,
``RABBITMQ_PORT``, ``RABBITMQ_USERNAME``, ``RABBITMQ_PASSWORD``,
``CAPTURE_EXCHANGE`` (Rasa's ``exchange_name``), ``CAPTURE_QUEUE``, ``CAPTURE_HEALTH_PORT``.

    python -m bot.capture_consumer
"""
import asyncio
import json
import logging
import signal
from datetime import datetime, timezone
from typing import Any, Dict, Optional

import aio_pika
from aiohttp import web
from pydantic import Field

# The translation and the "store is down" test are the embedded capture's own.
from bot.capture import SWEEP_INTERVAL_S, EventTranslator, store_unavailable
from bot.stored_events import received_event, spooled_event
from cxm_store.pii import mask_pii
from cxm_store.settings import EnvSettings
from cxm_store.touchpoints import INACTIVITY_WINDOW, close_idle_conversations

logger = logging.getLogger(__name__)

PREFETCH = 100
RETRY_INITIAL_S = 0.5
RETRY_MAX_S = 10.0
STOP_TIMEOUT_S = 10.0
# After this long without RabbitMQ the process exits and the supervisor starts
# a fresh one. aio_pika tries again after 5 s; once such an attempt had
# failed, the connection it restored later was seen not to consume again (a
# 10 s cut in the fault test), so one failed attempt is enough.
RECONNECT_GIVE_UP_S = 8.0


def _masked_body(body: bytes) -> bytes:
    """A refused message as kept in ``<queue>.rejected``: masked like capture's spool."""
    try:
        return json.dumps(spooled_event(json.loads(body)), default=str).encode()
    except (ValueError, AttributeError):
        return mask_pii(body.decode("utf-8", "replace")).encode()


class ConsumerSettings(EnvSettings):
    """Where the consumer reads from and writes to (environment, else defaults)."""

    database_url: str = Field(default="sqlite:///var/cxm.db", env="CXM_DATABASE_URL")
    rabbitmq_host: str = Field(default="127.0.0.1", env="RABBITMQ_HOST")
    rabbitmq_port: int = Field(default=5672, env="RABBITMQ_PORT")
    rabbitmq_username: str = Field(default="guest", env="RABBITMQ_USERNAME")
    rabbitmq_password: str = Field(default="guest", env="RABBITMQ_PASSWORD", repr=False)
    exchange: str = Field(default="serambi.events", env="CAPTURE_EXCHANGE")
    queue: str = Field(default="serambi.capture", env="CAPTURE_QUEUE")
    health_host: str = Field(default="127.0.0.1", env="BIND_HOST")
    health_port: int = Field(default=5070, env="CAPTURE_HEALTH_PORT")


class CaptureConsumer:
    """Consumes the capture queue and writes each event to the CX store before acknowledging it."""

    def __init__(self, settings: Optional[ConsumerSettings] = None) -> None:
        from cxm_store.db import engine_for

        self.settings = settings or ConsumerSettings()
        self.engine = engine_for(self.settings.database_url)
        self._translator = EventTranslator(self.engine)
        self._connection: Optional[aio_pika.abc.AbstractRobustConnection] = None
        self._channel: Optional[aio_pika.abc.AbstractChannel] = None
        self._stopping = asyncio.Event()
        self._in_hand: Optional[asyncio.Future] = None
        self.store_available = True
        self.stored = 0
        self.rejected = 0

    @property
    def connected(self) -> bool:
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    async def _give_up_when_disconnected(self) -> None:
        """Return once RabbitMQ has been unreachable for :data:`RECONNECT_GIVE_UP_S`.

        aio_pika's own reconnect, after a failed attempt, restored a
        connection that consumed nothing (a 10 s cut in the fault test); a
        fresh process started by the supervisor connects when RabbitMQ is back.
        """
        down_since: Optional[float] = None
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(1)
            if self.connected:
                down_since = None
            elif down_since is None:
                down_since = loop.time()
            elif loop.time() - down_since > RECONNECT_GIVE_UP_S:
                return

    async def run(self) -> None:
        """Consume until :meth:`stop`; the health endpoints answer meanwhile."""
        health = await self._serve_health()
        sweeper = asyncio.get_running_loop().create_task(self._sweep_idle())
        try:
            s = self.settings
            self._connection = await aio_pika.connect_robust(
                host=s.rabbitmq_host, port=s.rabbitmq_port,
                login=s.rabbitmq_username, password=s.rabbitmq_password,
            )
            self._channel = await self._connection.channel()
            await self._channel.set_qos(prefetch_count=PREFETCH)
            queue = await self._declare(self._channel)
            logger.info("capture consumer: reading %s", s.queue)
            consuming = asyncio.ensure_future(self._consume(queue))
            stopping = asyncio.ensure_future(self._stopping.wait())
            unreachable = asyncio.ensure_future(self._give_up_when_disconnected())
            await asyncio.wait({consuming, stopping, unreachable}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            unreachable.cancel()
            if unreachable.done() and not unreachable.cancelled():
                consuming.cancel()
                raise ConnectionError(f"RabbitMQ unreachable for {RECONNECT_GIVE_UP_S:.0f} s: exiting for a restart")
            if consuming.done():
                consuming.result()  # a crash: exit, and the supervisor starts a fresh consumer
            if self._in_hand is not None:
                # Finish the message in hand; one still waiting for the store
                # after that is simply delivered again.
                await asyncio.wait({self._in_hand}, timeout=STOP_TIMEOUT_S)
            consuming.cancel()
        finally:
            sweeper.cancel()
            if self._connection is not None:
                # Unacknowledged messages go back to the queue; a connection
                # stuck reconnecting is not waited for.
                await asyncio.wait({asyncio.ensure_future(self._connection.close())}, timeout=STOP_TIMEOUT_S)
            await health.cleanup()
            logger.info("capture consumer: stopped (%d stored, %d rejected)", self.stored, self.rejected)

    async def _consume(self, queue: aio_pika.abc.AbstractQueue) -> None:
        async with queue.iterator() as messages:
            async for message in messages:
                # Shielded: stopping lets the message in hand finish.
                self._in_hand = asyncio.ensure_future(self._handle(message))
                await asyncio.shield(self._in_hand)
                self._in_hand = None

    def stop(self) -> None:
        """Stop after the message in hand (SIGTERM)."""
        self._stopping.set()

    async def _declare(self, channel: aio_pika.abc.AbstractChannel) -> aio_pika.abc.AbstractQueue:
        # Declared as Rasa declares them, so whichever starts first, no event
        # published after that is lost.
        exchange = await channel.declare_exchange(self.settings.exchange, type=aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(self.settings.queue, durable=True)
        await queue.bind(exchange, "")
        await channel.declare_queue(self.rejected_queue, durable=True)
        return queue

    @property
    def rejected_queue(self) -> str:
        return f"{self.settings.queue}.rejected"

    async def _handle(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
        except ValueError as error:
            await self._reject(message, error)
            return
        if not self._translator.concerns(event):
            # Nothing to write (an action, a slot the store does not keep):
            # acknowledged here, without a trip to the writing thread.
            await message.ack()
            return
        delay = RETRY_INITIAL_S
        while True:
            try:
                await asyncio.get_running_loop().run_in_executor(None, self._apply, event)
                break
            except Exception as error:  # noqa: BLE001 - sorted below
                if not store_unavailable(error):
                    await self._reject(message, error)
                    return
                if self.store_available:
                    logger.warning("capture consumer: store unavailable, retrying: %s", type(error).__name__)
                self.store_available = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        if not self.store_available:
            logger.warning("capture consumer: store available again")
        self.store_available = True
        await message.ack()  # only now: the write has committed
        self.stored += 1

    def _apply(self, event: Dict[str, Any]) -> None:
        # Every write de-duplicated: a redelivered message may already be stored.
        self._translator.apply(received_event(event), dedupe=True)

    async def _reject(self, message: aio_pika.abc.AbstractIncomingMessage, error: BaseException) -> None:
        # The error's type only: its message may quote what the customer typed.
        logger.error(
            "capture consumer: event refused by the store (%s); kept in %s", type(error).__name__, self.rejected_queue
        )
        await self._channel.default_exchange.publish(
            aio_pika.Message(_masked_body(message.body), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=self.rejected_queue,
        )
        await message.ack()
        self.rejected += 1

    async def _sweep_idle(self) -> None:
        """Close conversations idle past the inactivity window, as the embedded capture does."""
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            try:
                closed = await asyncio.get_running_loop().run_in_executor(
                    None, lambda: close_idle_conversations(
                        datetime.now(timezone.utc), idle=INACTIVITY_WINDOW, engine=self.engine
                    ),
                )
                if closed:
                    logger.info("capture consumer: closed %d idle conversations", closed)
            except Exception as error:  # noqa: BLE001 - retried at the next sweep
                logger.warning("capture consumer: idle sweep failed: %s", error)

    async def _serve_health(self) -> web.AppRunner:
        async def health(_: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        async def ready(_: web.Request) -> web.Response:
            if self.connected and self.store_available:
                return web.json_response({"status": "ok"})
            return web.json_response(
                {"rabbitmq": self.connected, "store": self.store_available}, status=503
            )

        app = web.Application()
        app.add_routes([web.get("/health", health), web.get("/ready", ready)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.settings.health_host, self.settings.health_port).start()
        return runner


async def _main() -> None:
    consumer = CaptureConsumer()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, consumer.stop)
    await consumer.run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_main())

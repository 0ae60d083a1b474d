"""Rasa's RabbitMQ event broker, with a reply sent only once RabbitMQ has its turn's events.

Rasa's ``PikaEventBroker`` publishes every tracker event in a background task
while the reply goes out to the customer. A Rasa process killed right after
replying loses the events still in those tasks (seen: with a Rasa server
killed by SIGKILL under load, messages answered in the second before were
missing from the CX store), and while RabbitMQ is unreachable Rasa keeps
them in its memory only, lost if the process dies before it reconnects.

:func:`hold_replies_until_events_published` makes every Rasa HTTP reply wait
until RabbitMQ has confirmed the events published while handling that
request (p50 1.5 ms, p99 4.4 ms for 8 events on this machine's loopback,
measured; more than the 5-6 of a turn). When they are not all confirmed
within :data:`FLUSH_TIMEOUT_S` (RabbitMQ cut, or too slow), the reply is
replaced by ``503`` with ``Retry-After`` (:mod:`bot.channels.retryable`): a
customer is told "answered" only for a message that the CX store will get.
The events are still sent when RabbitMQ is back, so a refused message may be
stored (docs/deploy.md). Events that failed are sent again at the next
request's reply, not only when Rasa's connection reconnects.

Rasa offers no public hook for this, so this module, and only this one,
builds on ``PikaEventBroker``'s internals as they are in the pinned Rasa
3.6.21: ``_loop``, ``_exchange``, ``_message``, ``_unpublished_events`` and
the ``_publish`` coroutine it overrides. The publish tasks are kept in this
class's own set rather than Rasa's ``_background_tasks``.
The scaled topology's tests (tests/scaled/) run it against RabbitMQ, so a Rasa upgrade
that moves them fails there.

deploy/endpoints.yml: ``event_broker: {type: bot.event_broker.ConfirmedPikaEventBroker, ...}``
with Rasa's ``pika`` settings.
"""
import asyncio
import logging
from contextvars import ContextVar
from typing import Any, Dict, List, Optional, Set, Text

from rasa.core.brokers.pika import PikaEventBroker

from bot.capture_translation import EventTranslator
from bot.stored_events import queued_event
from cxm_store.encryption import KEYS_VARIABLE, keyring

logger = logging.getLogger(__name__)

FLUSH_TIMEOUT_S = 10.0
# After a publish failed, how long the events kept are not sent again at each
# reply: with RabbitMQ cut, every reply re-sent the whole backlog, and each
# Rasa server spent its two cores failing about 2,000 publishes a second
# (seen in the fault test's logs). Rasa's reconnect callback still sends
# them as soon as the connection is back.
RESEND_PAUSE_S = 1.0
# How long the channel may stay closed before a fresh connection is opened.
# aio_pika's robust connection tries again every 5 s, but once an attempt had
# failed, the channel it restored was seen to stay closed for good (the fault
# test, RabbitMQ cut for 10 s: a Rasa server withheld every reply until it was
# restarted minutes later; the capture consumer had the same, see
# bot/capture_consumer.py).
REOPEN_AFTER_S = 8.0
REOPEN_TIMEOUT_S = 5.0
CHANNEL_CHECK_S = 1.0  # how often the channel is looked at, and a reopen tried

# The publish tasks of the request being handled (one context per Sanic request task).
_REQUEST_PUBLISHES: ContextVar[Optional[List["asyncio.Task[bool]"]]] = ContextVar("request_publishes", default=None)


class ConfirmedPikaEventBroker(PikaEventBroker):
    """Rasa's pika broker that knows which of a request's events RabbitMQ confirmed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # References to running publishes, so none is garbage-collected midway.
        self._publishing: Set["asyncio.Task[bool]"] = set()
        self._resend_after = 0.0  # the event loop's time before which nothing is sent again
        self._watchdog: Optional["asyncio.Task[None]"] = None
        if keyring()[0] is None:
            logger.warning("%s is unset: tickets' contacts cross RabbitMQ masked, so the team cannot answer"
                           " tickets left in this topology; set a data key (docs/privacy.md)", KEYS_VARIABLE)

    def publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        """Publish ``event`` in the background, as Rasa does; remembered by the request being handled.

        What is published, and kept in memory to be sent again, is the masked
        copy (:func:`bot.stored_events.queued_event`): no personal data leaves
        the process in clear. Only the events the CX store records are
        published (:meth:`EventTranslator.concerns`): the exchange feeds the
        capture consumer, and a turn's other events (actions, featurization,
        session starts), about two in three, would cost this process, RabbitMQ
        and the consumer a publish, a confirm and an acknowledgement each for
        nothing.
        """
        if not EventTranslator.concerns(event):
            return
        task = self._loop.create_task(self._publish(queued_event(event), headers))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)
        publishes = _REQUEST_PUBLISHES.get()
        if publishes is not None:
            publishes.append(task)

    async def _publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> bool:
        """True once RabbitMQ confirmed ``event``; else it is kept to be sent again."""
        if self._exchange is None:  # never connected: Rasa would drop the event
            self._unpublished_events.append(event)
            return False
        try:
            await self._exchange.publish(self._message(event, headers), "")
            return True
        except Exception as error:  # noqa: BLE001 - any failure: keep it, send it again
            if self._loop.time() >= self._resend_after:  # one line per pause, not per event
                logger.warning("event not published, kept to be sent again: %s", type(error).__name__)
            self._resend_after = self._loop.time() + RESEND_PAUSE_S
            self._unpublished_events.append(event)
            return False

    async def connect(self) -> None:
        """Rasa's connect, then watch the channel: reopened when it stays closed :data:`REOPEN_AFTER_S`."""
        await super().connect()
        if self._watchdog is None:
            self._watchdog = self._loop.create_task(self._keep_channel_open())

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        await super().close()

    async def _keep_channel_open(self) -> None:
        closed_since: Optional[float] = None
        while True:
            await asyncio.sleep(CHANNEL_CHECK_S)
            if self.is_ready():
                closed_since = None
                continue
            now = self._loop.time()
            closed_since = closed_since or now
            # Once it is time, tried at every check until it works.
            if now - closed_since >= REOPEN_AFTER_S and await self._reopen():
                closed_since = None

    async def _reopen(self) -> bool:
        """A new connection, channel and exchange in place of the stuck ones; the events kept are sent."""
        stale = self._connection
        try:
            await asyncio.wait_for(super().connect(), timeout=REOPEN_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - RabbitMQ still away: tried again
            logger.warning("RabbitMQ connection not reopened yet: %s", type(error).__name__)
            return False
        logger.warning("RabbitMQ channel stayed closed: a new connection was opened")
        if stale is not None and stale is not self._connection:
            self._loop.create_task(self._close_quietly(stale))
        self._publish_unpublished_messages()
        return True

    @staticmethod
    async def _close_quietly(connection: Any) -> None:
        try:
            await asyncio.wait_for(connection.close(), timeout=REOPEN_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - a stuck connection being dropped anyway
            logger.debug("stale RabbitMQ connection not closed cleanly: %s", type(error).__name__)

    def is_ready(self) -> bool:
        """True when events can be published now: connected, and the channel of the exchange open.

        Rasa's check looks at the connection only. A robust connection that
        was cut reports itself open while its channel is still closed, and
        every publish fails until aio_pika restores it: seen in the fault
        test, a Rasa server that finished loading its model during a RabbitMQ
        cut reported ready and withheld every reply (503) for 7 s after.
        The readiness check (:mod:`bot.channels.webchat`) asks this, so the
        load balancer sends messages elsewhere meanwhile.
        """
        return super().is_ready() and self._exchange is not None and not self._exchange.channel.is_closed

    def resend_unpublished(self) -> None:
        """Send again the events that failed, if they can be published and none failed in the last second."""
        if self._unpublished_events and self.is_ready() and self._loop.time() >= self._resend_after:
            self._publish_unpublished_messages()

    async def confirmed(self, publishes: List["asyncio.Task[bool]"], timeout: float = FLUSH_TIMEOUT_S) -> bool:
        """True when every task of ``publishes`` was confirmed by RabbitMQ within ``timeout`` s."""
        if not publishes:
            return True
        done, pending = await asyncio.wait(publishes, timeout=timeout)
        return not pending and all(not t.cancelled() and t.exception() is None and t.result() for t in done)


def hold_replies_until_events_published(app: Any) -> None:
    """Make every reply of the Rasa server ``app`` wait until its events are with RabbitMQ (else 503)."""
    from bot.channels.retryable import refusal

    def broker_of(request: Any) -> Optional[ConfirmedPikaEventBroker]:
        agent = getattr(request.app.ctx, "agent", None)
        broker = getattr(getattr(agent, "tracker_store", None), "event_broker", None)
        return broker if isinstance(broker, ConfirmedPikaEventBroker) else None

    async def remember_publishes(request: Any) -> None:
        broker = broker_of(request)
        if broker is not None:
            broker.resend_unpublished()
            _REQUEST_PUBLISHES.set([])

    async def events_published(request: Any, response: Any) -> Any:
        broker, publishes = broker_of(request), _REQUEST_PUBLISHES.get()
        if broker is None or publishes is None or (response is not None and response.status >= 400):
            return None
        if await broker.confirmed(publishes):
            return None
        logger.warning("reply withheld: its events were not confirmed by RabbitMQ")
        return refusal("the conversation could not be recorded right now, send the message again")

    app.register_middleware(remember_publishes, "request")
    app.register_middleware(events_published, "response")

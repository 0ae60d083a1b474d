"""Pushes to web-chat customers: messages the customer did not ask for in that request.

An agent's reply from the console, a follow-up survey or a proactive message
arrives at a Rasa process through its HTTP API; the customer's page listens
on a Server-Sent Events stream that may be held by another process (or
another Sanic worker). A :class:`PushHub` connects the two:

* :class:`MemoryPushHub` (the embedded default, one Rasa process, one worker)
  hands messages to the streams of this process;
* :class:`RedisPushHub` (``WEBCHAT_PUSH_URL=redis://host:6379/0``) publishes
  through Redis pub/sub, so the stream may be held by any process.

Both number every push (``id``, increasing) and keep a short per-sender
backlog, the last :data:`BACKLOG_MAX` pushes for :data:`BACKLOG_SECONDS`, so a
page whose stream dropped for a moment gets what it missed when it comes back
with the last id it saw (the browser's ``Last-Event-ID``). A page that opens
a stream without an id gets only what is pushed from then on: it has shown
nothing yet that a replay could continue.

An agent's reply may hold the customer's personal data, so what Redis holds
is guarded (issue 12): with data keys configured (``CXM_DATA_KEYS``,
:mod:`cxm_store.encryption`) each pushed message is kept and published
encrypted, and only the processes holding the key read it; every key the hub
writes expires after :data:`BACKLOG_SECONDS` without a push (the id counter
too: ids come from Redis's clock, so a counter that expired never restarts
below an id a page has seen); and erasing a customer deletes their backlog
(``python -m cxm_store erase`` deletes the keys named after their sender id
in ``WEBCHAT_PUSH_URL``, :mod:`cxm_store.outside_copies`).

Publishing to Redis raises when Redis is down, so the console tells the agent
the reply was not delivered instead of losing it silently.
"""
import asyncio
import json
import logging
import time
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, DefaultDict, Deque, Dict, List, Optional, Set, Text

from bot import settings
from cxm_store import encryption

logger = logging.getLogger(__name__)

BACKLOG_MAX = 50
BACKLOG_SECONDS = 120
REDIS_PREFIX = "webchat"
RECONNECT_SECONDS = 1.0

# One round trip, atomic: number the push, keep it in the sender's backlog,
# publish it. The entry is built by concatenation because cjson would turn
# an empty JSON list into an object. Ids are Redis's clock in milliseconds,
# or one above the last when pushes come faster, so the counter may expire
# with the backlogs it numbers.
_PUBLISH_SCRIPT = """
local clock = redis.call('TIME')
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local id = string.format('%d', math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, now_ms))
redis.call('SET', KEYS[1], id, 'EX', tonumber(ARGV[4]))
local entry = '{"id":' .. id .. ',"message":' .. ARGV[1] .. '}'
redis.call('RPUSH', KEYS[2], entry)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[2], entry)
return tonumber(id)
"""


@dataclass(frozen=True)
class Push:
    """One message pushed to one customer; ``id`` orders the pushes of a hub."""

    id: int
    message: Dict[Text, Any]


@dataclass(eq=False)
class Subscription:
    """One open stream: what it missed, then what is pushed from now on, each push once."""

    sender: Text
    last_id: int = 0
    queue: "asyncio.Queue[Push]" = field(default_factory=asyncio.Queue)

    def offer(self, push: Push) -> None:
        if push.id > self.last_id:
            self.queue.put_nowait(push)

    def replay(self, missed: List[Push]) -> None:
        """Queue ``missed`` ahead of, and in id order with, pushes that arrived meanwhile."""
        arrived = []
        while not self.queue.empty():
            arrived.append(self.queue.get_nowait())
        for push in sorted({p.id: p for p in missed + arrived}.values(), key=lambda p: p.id):
            self.offer(push)

    async def next(self, timeout: float) -> Optional[Push]:
        """The next push not yet delivered, or None after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                push = await asyncio.wait_for(self.queue.get(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return None
            if push.id > self.last_id:  # a replayed push may also arrive live
                self.last_id = push.id
                return push


class PushHub(ABC):
    """Delivers pushed messages to the streams customers hold open, in any process."""

    def __init__(self) -> None:
        self._subscriptions: DefaultDict[Text, Set[Subscription]] = defaultdict(set)

    @abstractmethod
    async def publish(self, sender: Text, message: Dict[Text, Any]) -> int:
        """Send ``message`` to every stream of ``sender``; return its push id.

        Raises:
            ConnectionError: the shared channel is unreachable; nothing was sent.
        """

    @abstractmethod
    async def backlog(self, sender: Text, after: int) -> List[Push]:
        """The recent pushes to ``sender`` with an id above ``after``, oldest first.

        Raises:
            ConnectionError: the shared channel is unreachable.
        """

    async def ready(self) -> bool:
        """Whether pushes published anywhere reach this process's streams now."""
        return True

    async def close(self) -> None:  # noqa: B027 (an optional hook: nothing to release in memory)
        """Release connections (at server stop)."""

    async def subscribe(self, sender: Text, after: Optional[int] = None) -> Subscription:
        """Open a stream for ``sender``; with ``after``, first replay what it missed since."""
        await self._connect()
        subscription = Subscription(sender, last_id=after or 0)
        # Registered before the backlog is read, so nothing falls in between.
        self._subscriptions[sender].add(subscription)
        if after is not None:
            subscription.replay(await self.backlog(sender, after))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        streams = self._subscriptions.get(subscription.sender)
        if streams is not None:
            streams.discard(subscription)
            if not streams:
                del self._subscriptions[subscription.sender]

    async def _connect(self) -> None:  # noqa: B027 (an optional hook, as above)
        """Make sure pushes from other processes reach this one (nothing to do in memory)."""

    def _deliver(self, sender: Text, push: Push) -> None:
        for subscription in self._subscriptions.get(sender, ()):
            subscription.offer(push)


class MemoryPushHub(PushHub):
    """Pushes within one process: the embedded default."""

    def __init__(self) -> None:
        super().__init__()
        # Ids start from the clock so a restarted process never reuses one a page has seen.
        self._last_id = int(time.time() * 1000)
        self._backlogs: Dict[Text, Deque[tuple]] = {}

    async def publish(self, sender: Text, message: Dict[Text, Any]) -> int:
        self._last_id += 1
        push = Push(self._last_id, message)
        now = time.monotonic()
        for stale in [s for s, kept in self._backlogs.items() if kept[-1][0] < now - BACKLOG_SECONDS]:
            del self._backlogs[stale]
        self._backlogs.setdefault(sender, deque(maxlen=BACKLOG_MAX)).append((now, push))
        self._deliver(sender, push)
        return push.id

    async def backlog(self, sender: Text, after: int) -> List[Push]:
        oldest = time.monotonic() - BACKLOG_SECONDS
        return [p for at, p in self._backlogs.get(sender, ()) if at >= oldest and p.id > after]


class RedisPushHub(PushHub):
    """Pushes through Redis pub/sub, so any Rasa process reaches any customer's stream.

    Each process holds one pattern subscription to every sender's channel and
    hands a message to its own streams of that sender, if any: pushes are
    rare next to customer messages, so one subscription per process is
    simpler than one per stream and costs little.
    """

    def __init__(self, url: Text, password: Optional[Text] = None) -> None:
        super().__init__()
        self.url = url
        self.password = password
        self._client: Any = None
        self._script: Any = None
        self._listener: Optional[asyncio.Task] = None
        self._subscribed = asyncio.Event()

    def _redis(self) -> Any:
        # Made on first use, in the worker's own event loop (Sanic forks workers).
        if self._client is None:
            from redis import asyncio as aioredis

            self._client = aioredis.from_url(self.url, password=self.password, decode_responses=True)
            self._script = self._client.register_script(_PUBLISH_SCRIPT)
        return self._client

    @staticmethod
    def _backlog_key(sender: Text) -> Text:
        return f"{REDIS_PREFIX}:backlog:{sender}"

    async def publish(self, sender: Text, message: Dict[Text, Any]) -> int:
        self._redis()
        async with self._unreachable_as_connection_error():
            return int(
                await self._script(
                    keys=[f"{REDIS_PREFIX}:push-id", self._backlog_key(sender)],
                    args=[_sealed(message), f"{REDIS_PREFIX}:push:{sender}", BACKLOG_MAX, BACKLOG_SECONDS],
                )
            )

    async def backlog(self, sender: Text, after: int) -> List[Push]:
        async with self._unreachable_as_connection_error():
            entries = await self._redis().lrange(self._backlog_key(sender), 0, -1)
        pushes = [_push_from_entry(entry) for entry in entries]
        return [push for push in pushes if push is not None and push.id > after]

    @asynccontextmanager
    async def _unreachable_as_connection_error(self) -> AsyncIterator[None]:
        """Callers handle one error type for "try again later", whichever hub they use."""
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout

        try:
            yield
        except (RedisConnectionError, RedisTimeout) as error:
            raise ConnectionError(f"web-chat pushes: Redis at {self.url} not reachable: {error}") from error

    async def ready(self) -> bool:
        try:
            await self._connect(timeout=2.0)
        except ConnectionError:
            return False
        return True

    async def _connect(self, timeout: float = 5.0) -> None:
        if self._listener is None or self._listener.done():
            self._redis()
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        except asyncio.TimeoutError:
            raise ConnectionError(f"web-chat pushes: Redis at {self.url} not reachable") from None

    async def _listen(self) -> None:
        """Hand every published push to this process's streams; reconnect when Redis drops."""
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout

        prefix = f"{REDIS_PREFIX}:push:"
        while True:
            pubsub = self._redis().pubsub()
            try:
                await pubsub.psubscribe(prefix + "*")
                async for message in pubsub.listen():
                    if message["type"] == "psubscribe":
                        # Redis confirmed: from now on every push reaches this process.
                        self._subscribed.set()
                        await self._catch_up()  # pushes published while this process was cut off
                    elif message["type"] == "pmessage":
                        push = _push_from_entry(message["data"])
                        if push is not None:
                            self._deliver(message["channel"][len(prefix):], push)
            except (RedisConnectionError, RedisTimeout, OSError) as error:
                if self._subscribed.is_set():
                    logger.warning("web-chat pushes: Redis connection lost, reconnecting: %s", error)
                self._subscribed.clear()
                await asyncio.sleep(RECONNECT_SECONDS)
            finally:
                await pubsub.reset()

    async def _catch_up(self) -> None:
        for sender, streams in list(self._subscriptions.items()):
            for push in await self.backlog(sender, min(s.last_id for s in streams)):
                self._deliver(sender, push)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        if self._client is not None:
            await self._client.close()


def _sealed(message: Dict[Text, Any]) -> Text:
    """``message`` as Redis keeps it: its JSON, or with a data key that JSON encrypted, as a JSON string."""
    plain = json.dumps(message)
    sealed = encryption.encrypt(plain)
    return plain if sealed == plain else json.dumps(sealed)


def _push_from_entry(entry: Text) -> Optional[Push]:
    """The push an entry holds; None (logged) when this process's keys cannot read it."""
    decoded = json.loads(entry)
    message = decoded["message"]
    if isinstance(message, str):
        try:
            message = json.loads(encryption.decrypt(message) or "{}")
        except encryption.UnreadableData as error:
            logger.warning("web-chat push %s skipped: %s", decoded["id"], error)
            return None
    return Push(int(decoded["id"]), message)


def hub_from_environment() -> PushHub:
    """The hub chosen by ``WEBCHAT_PUSH_URL`` (Redis) and ``WEBCHAT_PUSH_PASSWORD``; memory when unset."""
    config = settings.load()
    url = config.webchat_push_url.strip()
    if not url:
        return MemoryPushHub()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"WEBCHAT_PUSH_URL must be a redis:// URL, not {url.split(':', 1)[0]}")
    return RedisPushHub(url, password=config.webchat_push_password or None)

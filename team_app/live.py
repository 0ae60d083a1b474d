"""The live console: what changed, pushed to every agent's page as server-sent events.

Agents' pages never poll. Each holds one ``GET /api/live`` stream
(``text/event-stream``) and fetches what an event names: ``queue`` (the
queue, someone's claim, a transfer, a resolution), ``message`` (a new
transcript line of a conversation, with its sender, no text), ``note`` (an
agents-only note or transfer), ``presence`` (who is online). Events carry ids
and no customer content, so a fan-out never leaks a conversation; the page
reads it through the API, whose access rules apply.

Where events come from:

* the console's own actions (claim, reply, note, transfer, resolve,
  availability) publish at once;
* lines and handoffs written by other processes (Rasa's capture writes
  customer messages and handoff requests into the store) are noticed by one
  :class:`StoreWatcher` per console process: a single cheap query of the
  newest ids every :data:`WATCH_SECONDS`, whatever the number of agents.

Where they go: :class:`MemoryLiveHub` (default) fans out to the streams of
this process; :class:`RedisLiveHub` (``CXM_LIVE_REDIS_URL``) publishes through
Redis pub/sub so an agent on any console process gets every event (the same
pattern as :mod:`bot.channels.push`). Every event is numbered; a short backlog
lets a stream that dropped come back with ``Last-Event-ID`` and miss nothing.
A change noticed by the watchers of several processes is published once
(:meth:`LiveHub.publish_once`).

While a stream is open its agent counts as online (``last_seen_at`` is
refreshed with every keepalive), so presence needs no timer on the page.
"""
import asyncio
import hashlib
import json
import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, List, Optional, Set, Tuple

from sanic import Sanic
from sanic.request import Request
from sqlalchemy import func, select

from contract.vocabulary import CLAIMED, REQUESTED
from cxm_store import auth, handoffs
from cxm_store.db import session_factory
from cxm_store.models import Handoff, Message
from team_app.security import now, require_role, run_db, signed_in

logger = logging.getLogger(__name__)

WATCH_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000
BACKLOG_MAX = 500
ONCE_SECONDS = 30
REDIS_PREFIX = "cxm-live"
# Console POSTs that change the queue (or, under /api/me/, presence).
CHANGES = re.compile(r"^/api/(?:handoffs/\d+/(?:claim|resolve|transfer)|(?P<me>me/availability))$")


@dataclass(frozen=True)
class LiveEvent:
    """One change: ``kind`` (queue, message, note, presence) and what it concerns."""

    id: int
    kind: str
    data: Dict[str, Any]

    def sse(self) -> str:
        """The event as a server-sent-events frame."""
        return f"id: {self.id}\nevent: {self.kind}\ndata: {json.dumps(self.data)}\n\n"


@dataclass(eq=False)
class LiveStream:
    """One agent's open stream: the events it missed, then each new one once."""

    last_id: int = 0
    queue: "asyncio.Queue[LiveEvent]" = field(default_factory=asyncio.Queue)

    def offer(self, event: LiveEvent) -> None:
        if event.id > self.last_id:
            self.last_id = event.id
            self.queue.put_nowait(event)


class LiveHub:
    """In-process fan-out with a numbered backlog; the base of the Redis hub."""

    def __init__(self) -> None:
        self.streams: Set[LiveStream] = set()
        self.backlog: Deque[LiveEvent] = deque(maxlen=BACKLOG_MAX)
        self._next_id = 0
        self._once: Dict[str, float] = {}

    async def start(self) -> None:
        """Connect (nothing to do in memory)."""

    async def close(self) -> None:
        """Disconnect (nothing to do in memory)."""

    async def publish(self, kind: str, **data: Any) -> None:
        """Number the event and hand it to every open stream."""
        self._next_id += 1
        self._deliver(LiveEvent(self._next_id, kind, data))

    async def publish_once(self, key: str, kind: str, **data: Any) -> None:
        """Publish unless an event with ``key`` was published in the last :data:`ONCE_SECONDS`."""
        moment = time.monotonic()
        self._once = {k: t for k, t in self._once.items() if moment - t < ONCE_SECONDS}
        if key not in self._once:
            self._once[key] = moment
            await self.publish(kind, **data)

    def _deliver(self, event: LiveEvent) -> None:
        self.backlog.append(event)
        for stream in list(self.streams):
            stream.offer(event)

    async def missed(self, after: int) -> List[LiveEvent]:
        """Events after id ``after`` still in the backlog, oldest first."""
        return [event for event in self.backlog if event.id > after]

    async def open(self, after: Optional[int]) -> LiveStream:
        """A new stream; with ``after`` (Last-Event-ID) it first gets what it missed."""
        stream = LiveStream()
        self.streams.add(stream)
        if after is not None:
            for event in await self.missed(after):
                stream.offer(event)
        return stream

    def close_stream(self, stream: LiveStream) -> None:
        self.streams.discard(stream)


# Number, keep in the backlog, publish: one atomic round trip (see bot.channels.push).
_PUBLISH_SCRIPT = """
if ARGV[3] ~= '' then
  if not redis.call('SET', ARGV[3], '1', 'NX', 'EX', tonumber(ARGV[4])) then return 0 end
end
local id = redis.call('INCR', KEYS[1])
local entry = '{"id":' .. id .. ',"kind":"' .. ARGV[1] .. '","data":' .. ARGV[2] .. '}'
redis.call('RPUSH', KEYS[2], entry)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
redis.call('PUBLISH', KEYS[3], entry)
return id
"""


class RedisLiveHub(LiveHub):
    """Events through Redis pub/sub, so every console process's agents get all of them."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._client: Any = None
        self._reader: Optional[asyncio.Task] = None

    async def start(self) -> None:
        from redis import asyncio as aioredis

        self._client = aioredis.from_url(self.url, decode_responses=True)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self._client:
            await self._client.close()

    async def _send(self, kind: str, data: Dict[str, Any], once: str = "") -> None:
        keys = [f"{REDIS_PREFIX}:id", f"{REDIS_PREFIX}:backlog", f"{REDIS_PREFIX}:events"]
        args = [kind, json.dumps(data), f"{REDIS_PREFIX}:once:{once}" if once else "", ONCE_SECONDS, BACKLOG_MAX]
        await self._client.eval(_PUBLISH_SCRIPT, len(keys), *keys, *args)

    async def publish(self, kind: str, **data: Any) -> None:
        await self._send(kind, data)

    async def publish_once(self, key: str, kind: str, **data: Any) -> None:
        await self._send(kind, data, once=key)

    async def missed(self, after: int) -> List[LiveEvent]:
        entries = await self._client.lrange(f"{REDIS_PREFIX}:backlog", 0, -1)
        events = [self._event(entry) for entry in entries]
        return [event for event in events if event.id > after]

    @staticmethod
    def _event(entry: str) -> LiveEvent:
        raw = json.loads(entry)
        return LiveEvent(raw["id"], raw["kind"], raw["data"])

    async def _read(self) -> None:
        # Resubscribes after a Redis cut; pages then catch up with Last-Event-ID.
        while True:
            try:
                pubsub = self._client.pubsub()
                await pubsub.subscribe(f"{REDIS_PREFIX}:events")
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        event = self._event(message["data"])
                        for stream in list(self.streams):
                            stream.offer(event)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - keep the console up, retry
                logger.warning("live events: Redis subscription lost (%s), retrying", error)
                await asyncio.sleep(1.0)


# --- Noticing what other processes wrote ---------------------------------------------


def store_marks(engine: Any, after_message: int) -> Tuple[List[Tuple[int, int, str]], Tuple, List[str]]:
    """New transcript lines after ``after_message``, a signature of the handoffs, who is online.

    Returns:
        ``([(message id, conversation id, sender)], handoff signature, [online usernames])``.
    """
    with session_factory(engine)() as session:
        lines = session.execute(
            select(Message.id, Message.conversation_id, Message.sender)
            .where(Message.id > after_message)
            .order_by(Message.id)
            .limit(500)
        ).all()
        signature = tuple(
            session.execute(
                select(
                    Handoff.status,
                    func.count(Handoff.id),
                    func.max(Handoff.id),
                    func.max(Handoff.claimed_at),
                    func.sum(Handoff.transfers_count),
                )
                .where(Handoff.status.in_((REQUESTED, CLAIMED)))
                .group_by(Handoff.status)
                .order_by(Handoff.status)
            ).all()
        )
    online = handoffs.agents_online(now(), engine=engine)
    return [tuple(line) for line in lines], signature, online


def stable_key(value: Any) -> str:
    """The same digest of ``value`` in every process (``hash`` is salted per process)."""
    return hashlib.sha1(json.dumps(value, default=str).encode()).hexdigest()


def newest_message_id(engine: Any) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.max(Message.id))) or 0


class StoreWatcher:
    """Publishes what other processes wrote into the store, one query per tick for all agents."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.last_message = 0
        self.signature: Any = None
        self.online: Optional[List[str]] = None

    async def run(self) -> None:
        hub: LiveHub = self.app.ctx.live
        engine = self.app.ctx.engine
        loop = asyncio.get_running_loop()
        self.last_message = await loop.run_in_executor(None, newest_message_id, engine)
        while True:
            try:
                lines, signature, online = await loop.run_in_executor(
                    None, store_marks, engine, self.last_message
                )
                for message_id, conversation_id, sender in lines:
                    await hub.publish_once(
                        f"message:{message_id}", "message",
                        conversation_id=conversation_id, message_id=message_id, sender=sender,
                    )
                    self.last_message = message_id
                if signature != self.signature:
                    if self.signature is not None:
                        await hub.publish_once(f"queue:{stable_key(signature)}", "queue")
                    self.signature = signature
                if online != self.online:
                    if self.online is not None:
                        key = f"presence:{','.join(online)}:{int(time.time())}"
                        await hub.publish_once(key, "presence", online=online)
                    self.online = online
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a store hiccup must not end the feed
                logger.warning("live events: store watch failed (%s), retrying", error)
            await asyncio.sleep(WATCH_SECONDS)


# --- The stream --------------------------------------------------------------------


def last_event_id(request: Request) -> Optional[int]:
    """The last event the page saw (``Last-Event-ID`` header, or ``?last_event_id=``)."""
    value = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or ""
    return int(value) if value.isdigit() else None


async def publish(request: Request, kind: str, **data: Any) -> None:
    """Tell every agent about a change made through this request; never fails the request."""
    try:
        await request.app.ctx.live.publish(kind, **data)
    except Exception as error:  # noqa: BLE001 - the watcher will still notice stored changes
        logger.warning("live event %s not published: %s", kind, error)


def register(app: Sanic, redis_url: str = "") -> None:
    """Add ``GET /api/live`` and start the hub and the store watcher with the server."""
    app.ctx.live = RedisLiveHub(redis_url) if redis_url else LiveHub()

    @app.listener("before_server_start")
    async def start_live(app: Sanic, _loop: Any) -> None:
        await app.ctx.live.start()
        app.ctx.live_watcher = asyncio.create_task(StoreWatcher(app).run())

    @app.listener("before_server_stop")
    async def stop_live(app: Sanic, _loop: Any) -> None:
        app.ctx.live_watcher.cancel()
        await app.ctx.live.close()

    @app.middleware("response")
    async def announce_console_changes(request: Request, reply: Any) -> None:
        # Claims, resolutions, transfers, availability: every agent learns at once,
        # without each API route having to remember it.
        if request.method != "POST" or reply.status >= 400:
            return
        match = CHANGES.match(request.path)
        if match:
            await publish(request, "presence" if match.group("me") else "queue")

    @app.get("/api/live", name="api_live")
    @require_role()
    async def live(request: Request) -> None:
        """``text/event-stream`` of console events; reconnect with ``Last-Event-ID``.

        Starts with ``retry: 2000`` and an ``hello`` event naming the newest id,
        then ``queue`` / ``message`` / ``note`` / ``presence`` events and a
        keepalive comment every 15 s (which also keeps the agent online).
        """
        hub: LiveHub = request.app.ctx.live
        user = signed_in(request).user
        stream = await hub.open(last_event_id(request))
        try:
            reply = await request.respond(
                content_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
            # Online before ``hello``: the page reads the queue and who is online on it.
            await run_db(request, auth.heartbeat, user.id, now())
            await reply.send(f"retry: {RETRY_MS}\nevent: hello\ndata: {{}}\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(stream.queue.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    await reply.send(": keepalive\n\n")
                    await run_db(request, auth.heartbeat, user.id, now())
                    continue
                await reply.send(event.sse())
        finally:
            hub.close_stream(stream)

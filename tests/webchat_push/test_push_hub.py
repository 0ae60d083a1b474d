"""Pushes to web-chat streams: across processes through Redis, and replayed after a drop.

Two :class:`RedisPushHub` objects stand for two Rasa processes: each has its
own Redis connections and its own streams, as separate processes would.
"""
import asyncio
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, List, Tuple

import pytest

from bot.channels.push import BACKLOG_MAX, BACKLOG_SECONDS, MemoryPushHub, PushHub, RedisPushHub

WAIT = 5.0


def run(test: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(test())


def new_sender() -> str:
    return f"web-push-{uuid.uuid4().hex[:10]}"


async def received(subscription: Any, count: int) -> List[str]:
    """The texts of the next ``count`` pushes (fewer if none comes), and of any extra one."""
    texts = []
    for wait in [WAIT] * count + [0.5]:
        push = await subscription.next(wait)
        if push is None:
            break
        texts.append(push.message["text"])
    return texts


@asynccontextmanager
async def hubs(kind: str, redis_url: str) -> AsyncIterator[Tuple[PushHub, PushHub]]:
    """(holder of the streams, publisher): two processes with Redis, one process in memory."""
    if kind == "redis":
        pair = (RedisPushHub(redis_url), RedisPushHub(redis_url))
    else:
        hub = MemoryPushHub()
        pair = (hub, hub)
    try:
        yield pair
    finally:
        for hub in pair:
            await hub.close()


@pytest.fixture(params=("memory", "redis"))
def hub_kind(request: Any) -> str:
    if request.param == "redis":
        request.getfixturevalue("redis_url")
    return request.param


def test_push_published_by_one_process_reaches_the_stream_held_by_another(redis_url: str) -> None:
    async def scenario() -> None:
        async with hubs("redis", redis_url) as (holder, publisher):
            ana, budi = new_sender(), new_sender()
            ana_stream = await holder.subscribe(ana)
            budi_stream = await holder.subscribe(budi)
            await publisher.publish(ana, {"text": "Halo Ana, saya Rina dari Serambi"})
            assert await received(ana_stream, 1) == ["Halo Ana, saya Rina dari Serambi"]
            assert await budi_stream.next(0.5) is None, "a push reaches only its own customer"

    run(scenario)


def test_stream_back_after_a_drop_gets_what_it_missed_once_and_in_order(hub_kind: str, redis_url: str) -> None:
    async def scenario() -> None:
        async with hubs(hub_kind, redis_url) as (holder, publisher):
            sender = new_sender()
            stream = await holder.subscribe(sender)
            await publisher.publish(sender, {"text": "one"})
            first = await stream.next(WAIT)
            holder.unsubscribe(stream)  # the page's connection drops
            await publisher.publish(sender, {"text": "two"})
            await publisher.publish(sender, {"text": "three"})
            back = await holder.subscribe(sender, after=first.id)  # Last-Event-ID
            await publisher.publish(sender, {"text": "four"})
            assert await received(back, 3) == ["two", "three", "four"]

    run(scenario)


def test_new_stream_without_an_id_gets_only_new_pushes(hub_kind: str, redis_url: str) -> None:
    async def scenario() -> None:
        async with hubs(hub_kind, redis_url) as (holder, publisher):
            sender = new_sender()
            await publisher.publish(sender, {"text": "before the page opened"})
            stream = await holder.subscribe(sender)
            await publisher.publish(sender, {"text": "after"})
            assert await received(stream, 1) == ["after"]

    run(scenario)


def test_backlog_keeps_the_last_pushes_for_a_while(hub_kind: str, redis_url: str) -> None:
    async def scenario() -> None:
        async with hubs(hub_kind, redis_url) as (holder, publisher):
            sender = new_sender()
            ids = [await publisher.publish(sender, {"text": f"m{n}"}) for n in range(BACKLOG_MAX + 5)]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            missed = await holder.backlog(sender, after=ids[0])
            assert [p.message["text"] for p in missed] == [f"m{n}" for n in range(5, BACKLOG_MAX + 5)]
            if hub_kind == "redis":
                ttl = await holder._redis().ttl(f"webchat:backlog:{sender}")
                assert 0 < ttl <= BACKLOG_SECONDS

    run(scenario)


def test_unreachable_redis_refuses_the_push_instead_of_dropping_it() -> None:
    async def scenario() -> None:
        hub = RedisPushHub("redis://127.0.0.1:1/0")  # nothing listens on port 1
        with pytest.raises(ConnectionError):
            await hub.publish(new_sender(), {"text": "lost?"})
        assert await hub.ready() is False
        with pytest.raises(ConnectionError):
            await hub.subscribe(new_sender())
        await hub.close()

    run(scenario)

"""Issue 12, floods from one address: inventing a new sender id per message no longer walks past the limits.

The attack against the real channels: the REST webhook and the web chat,
served by Sanic in this process (as tests/security/test_channels.py does)
with a bot that records what reaches it. Clients connect from different
loopback addresses (127.0.0.x), so the server sees each as its own address;
a trusted proxy's ``X-Forwarded-For`` names further ones. Then two
channels, two processes' worth, over a real Redis sharing one count.
"""
import asyncio
import secrets
import time
import uuid
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Tuple

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from redis import Redis
from sanic import Sanic

from bot.channels.client_address import client_address, trusted_networks
from bot.channels.message_rate import NETWORK_BUSY, NO_NEW_CONVERSATIONS, AddressRate
from bot.channels.push import MemoryPushHub
from bot.channels.rest import ApiInput
from bot.channels.webchat import WebchatInput
from cxm_store.rate_limits import KEY_PREFIX, REDIS_URL_VARIABLE, Counters, MemoryCounters, counters_for
from tests.security.test_channels import free_port

ATTACKER, NEIGHBOUR, PROXY, STRANGER = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
# This run's addresses (documentation IPv6; groups without leading zeros, so written as Redis keys hold them).
RUN = f"{secrets.randbelow(0xefff) + 0x1000:x}:{secrets.randbelow(0xefff) + 0x1000:x}"


def invented() -> str:
    return f"api-{uuid.uuid4().hex[:12]}"


# ------------------------------------------------------------ the counting itself


def test_messages_per_minute_and_new_conversations_per_hour_of_one_address():
    rate = AddressRate(per_minute=5, new_per_hour=3, trusted_proxies="", counters=MemoryCounters())
    senders = [f"api-{n}" for n in range(4)]
    assert [rate.refusal("10.0.0.1", "rest", s, now=100 + n) for n, s in enumerate(senders)] == [
        None, None, None, NO_NEW_CONVERSATIONS]
    assert rate.refusal("10.0.0.1", "rest", "api-0", now=104) is None, "an open conversation goes on"
    assert rate.refusal("10.0.0.1", "rest", "api-1", now=105) is NETWORK_BUSY, "the sixth message in a minute"
    assert rate.refusal("10.0.0.2", "rest", "api-9", now=105) is None, "another address has its own allowance"
    assert rate.refusal("10.0.0.1", "rest", "api-new", now=100 + 3601) is None, "an hour later"


def test_a_limit_of_zero_is_off():
    rate = AddressRate(per_minute=0, new_per_hour=0, trusted_proxies="", counters=MemoryCounters())
    assert all(rate.refusal("10.0.0.1", "rest", f"api-{n}", now=1) is None for n in range(500))


@pytest.mark.parametrize("peer, forwarded, client", [
    ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not a proxy of ours: the header is the client's
    ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),  # our proxy says who it saw
    ("10.0.0.5", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),  # what the client wrote before it is ignored
    ("10.0.0.5", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),  # the proxy's own header line
    ("10.0.0.5", ["198.51.100.1, 10.0.0.6"], "198.51.100.1"),  # two proxies of ours in a row
    ("10.0.0.5", [], "10.0.0.5"),
    ("10.0.0.5", ["unknown"], "10.0.0.5"),
    ("::ffff:10.0.0.5", ["2001:db8::7"], "2001:db8::7"),
])
def test_the_client_address_is_taken_from_trusted_proxies_only(peer, forwarded, client):
    assert client_address(peer, forwarded, trusted_networks("10.0.0.5 10.0.0.6/32")) == client


# ------------------------------------------------------- the attack, over HTTP


class Recorder:
    """The bot behind the channels: what reached it (Rasa, and so the stores, would get only that)."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")


class KnownConversations:
    """A tracker store that knows one English-speaking customer (what the web chat reads the language from)."""

    def __init__(self, english: str) -> None:
        self.english = english

    async def retrieve(self, sender: str) -> Any:
        if sender != self.english:
            return None
        return SimpleNamespace(get_slot=lambda name: "en")


@asynccontextmanager
async def served(rest: ApiInput, webchat: WebchatInput, bot: Recorder, english: str = "") -> AsyncIterator[str]:
    """Both channels on one Sanic server on 0.0.0.0 (reachable from every 127.0.0.x); yields its base URL."""
    app = Sanic(f"address_rate_{time.monotonic_ns()}")
    app.ctx.agent = SimpleNamespace(is_ready=lambda: True, tracker_store=KnownConversations(english))
    app.blueprint(rest.blueprint(bot), url_prefix="/webhooks/rest")
    app.blueprint(webchat.blueprint(bot), url_prefix="/webhooks/webchat")
    port = free_port()
    server = await app.create_server(host="0.0.0.0", port=port, return_asyncio_server=True)
    await server.startup()
    try:
        yield f"http://127.0.0.1:{port}/webhooks"
    finally:
        server.close()
        await server.wait_closed()


async def send(url: str, sender: str, source: str, forwarded: Optional[str] = None) -> Tuple[int, Dict, Any]:
    """POST a message from the local address ``source``; (status, headers, JSON body)."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.post(url, json={"sender": sender, "message": "halo"}, headers=headers) as reply:
            return reply.status, dict(reply.headers), await reply.json()


def channels(
    per_minute: int, new_per_hour: int, trusted: str = "", counters: Callable[[], Counters] = MemoryCounters
) -> Tuple[ApiInput, WebchatInput]:
    """The REST webhook and the web chat of one Rasa process, with these limits counted in ``counters()``."""
    def rate() -> AddressRate:
        return AddressRate(per_minute, new_per_hour, trusted, counters=counters())

    return ApiInput(token="", max_chars=100, address_rate=rate()), WebchatInput(MemoryPushHub(), address_rate=rate())


@pytest.fixture(autouse=True)
def second_sanic_start_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # As sanic-testing does: a second start in one process fails on Sanic's rewritten methods otherwise.
    monkeypatch.setattr(Sanic, "test_mode", True)


def test_invented_senders_from_one_address_are_refused_and_other_addresses_still_served():
    bot = Recorder()

    async def attack() -> None:
        async with served(*channels(per_minute=100, new_per_hour=5), bot) as base:
            rest = f"{base}/rest/webhook"
            answers = [await send(rest, invented(), ATTACKER) for _ in range(8)]
            assert [status for status, _, _ in answers] == [200] * 5 + [429] * 3
            status, headers, body = answers[-1]
            assert headers["Retry-After"] == str(NO_NEW_CONVERSATIONS.retry_after_s) == str(body["retry_after"])
            assert "new chats" in body["error"] and "chat baru" in body["error"]
            first_sender = bot.received[0].sender_id
            assert (await send(rest, first_sender, ATTACKER))[0] == 200, "a conversation already open goes on"
            assert (await send(rest, invented(), NEIGHBOUR))[0] == 200, "another address is served"

    asyncio.run(attack())
    assert len(bot.received) == 7, "nothing refused reached the bot, so nothing of it was stored"


def test_the_web_chat_answers_a_flooding_address_in_the_conversations_language():
    bot = Recorder()
    english = f"web-{uuid.uuid4().hex[:10]}"

    async def flood() -> None:
        async with served(*channels(per_minute=4, new_per_hour=100), bot, english=english) as base:
            webchat = f"{base}/webchat/webhook"
            answers = [await send(webchat, f"web-{uuid.uuid4().hex[:10]}", ATTACKER) for _ in range(4)]
            assert all(status == 200 and body[0]["text"] == "ok" for status, _, body in answers)
            status, _, body = await send(webchat, english, ATTACKER)
            assert status == 200 and [m["text"] for m in body] == [NETWORK_BUSY.texts["en"]]
            status, _, body = await send(webchat, f"web-{uuid.uuid4().hex[:10]}", ATTACKER)
            assert [m["text"] for m in body] == [NETWORK_BUSY.text(None)], "both languages for a stranger"
            assert "jaringan" in body[0]["text"] and "network" in body[0]["text"]
            assert (await send(webchat, english, NEIGHBOUR))[2][0]["text"] == "ok"

    asyncio.run(flood())
    assert len(bot.received) == 5


def test_a_spoofed_forwarded_for_is_ignored_and_a_trusted_proxys_honoured():
    bot = Recorder()

    async def through_the_proxy_and_around_it() -> None:
        async with served(*channels(per_minute=100, new_per_hour=3, trusted=PROXY), bot) as base:
            rest = f"{base}/rest/webhook"
            # A client that is no proxy of ours claims a new address with every message: one address still.
            spoofed = [await send(rest, invented(), STRANGER, forwarded=f"198.51.100.{n}") for n in range(5)]
            assert [status for status, _, _ in spoofed] == [200] * 3 + [429] * 2
            # Through the proxy: the customer it names is counted, not the proxy.
            first = [await send(rest, invented(), PROXY, forwarded="1.2.3.4, 203.0.113.7") for _ in range(4)]
            assert [status for status, _, _ in first] == [200] * 3 + [429]
            assert (await send(rest, invented(), PROXY, forwarded="203.0.113.8"))[0] == 200

    asyncio.run(through_the_proxy_and_around_it())


# ------------------------------------------------- one count across processes


def run_address(n: int) -> str:
    """Address ``n`` of this run (documentation IPv6 with the run's id), as a trusted proxy names it."""
    return f"2001:db8::{RUN}:{n}"


@pytest.fixture
def shared_counts(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Redis]:
    """``RATE_LIMIT_REDIS_URL`` set to the local Redis; a client on it; this run's counters deleted afterwards."""
    monkeypatch.setenv(REDIS_URL_VARIABLE, redis_url)
    client = Redis.from_url(redis_url)
    yield client
    client.delete(*[f"{KEY_PREFIX}addresses:{kind}:{run_address(n)}"
                    for kind in ("messages", "conversations") for n in (1, 2)])
    client.close()


def test_two_rasa_processes_share_one_count_per_address_through_redis(shared_counts: Redis):
    bot = Recorder()
    attacker, neighbour = run_address(1), run_address(2)

    def rasa_process() -> Tuple[ApiInput, WebchatInput]:
        return channels(per_minute=100, new_per_hour=4, trusted=PROXY, counters=lambda: counters_for("addresses"))

    async def attack_both() -> None:
        async with served(*rasa_process(), bot) as one, served(*rasa_process(), bot) as two:
            statuses = [(await send(f"{base}/rest/webhook", invented(), PROXY, forwarded=attacker))[0]
                        for base in (one, two, one, two, one, two)]
            assert statuses == [200] * 4 + [429] * 2
            assert (await send(f"{two}/rest/webhook", invented(), PROXY, forwarded=neighbour))[0] == 200

    asyncio.run(attack_both())
    assert len(bot.received) == 5
    counted = f"{KEY_PREFIX}addresses:conversations:{attacker}"
    assert shared_counts.zcard(counted) == 4, "counted in Redis"
    assert 0 < shared_counts.ttl(counted) <= 3600, "and forgotten within the hour"


def test_this_machine_is_not_limited_per_address_unless_told():
    # Load tests and a local operator come from 127.0.0.1: only the per-sender limit applies to them.
    bot = Recorder()

    async def from_this_machine(rate: AddressRate) -> List[int]:
        rest = ApiInput(token="", max_chars=100, address_rate=rate)
        async with served(rest, WebchatInput(MemoryPushHub()), bot) as base:
            return [(await send(f"{base}/rest/webhook", invented(), "127.0.0.1"))[0] for _ in range(4)]

    assert asyncio.run(from_this_machine(AddressRate(100, 2, "", counters=MemoryCounters()))) == [200] * 4
    limited = AddressRate(100, 2, "", counters=MemoryCounters(), exempt="")
    assert asyncio.run(from_this_machine(limited)) == [200, 200, 429, 429]

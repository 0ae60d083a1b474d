"""Agent replies reach web-chat customers whichever Rasa process holds their stream.

Two Rasa processes (each with its action server and console, as two machines
would run them) share the PostgreSQL tracker store, the Redis lock store and
the Redis push channel. Customer ``i`` holds its stream on process ``i % 2``
and its agent reply is appended through the *other* process, the way the
console does it (``RasaClient.append_events`` with ``output_channel=webchat``),
so every reply has to cross processes.
"""
import asyncio
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import aiohttp
import pytest

from bot.settings import BotSettings
from bot.stack import Stack, prepare_store
from cxm_store.web.rasa import RasaClient
from tests.conftest import ARTIFACTS, MODEL, _answers as answers

CUSTOMERS = 50
ARRIVAL_TIMEOUT_S = 30
PORTS = ((5305, 5355, 8355), (5306, 5356, 8356))


@pytest.fixture(scope="module")
def rasa_processes(
    new_pg_database: Any, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[List[Stack]]:
    """Two stacks on one PostgreSQL tracker store, Redis lock store and Redis push channel."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make test` (it trains first)")
    tracker_url, store_url = new_pg_database(), new_pg_database()
    prepare_store(store_url)  # once, before two processes race to seed the demo orders
    stacks = []
    for n, (rasa_port, action_port, web_port) in enumerate(PORTS):
        stacks.append(Stack(BotSettings(
            rasa_port=rasa_port, action_port=action_port, web_port=web_port,
            model_path=str(MODEL), tracker_store_url=tracker_url, cxm_database_url=store_url,
            lock_store_type="redis", lock_store_host="127.0.0.1", rasa_auth_token="test-token",
            extra_env={
                "WEBCHAT_PUSH_URL": redis_url,
                "CAPTURE_SPOOL_DIR": str(tmp_path_factory.mktemp(f"spool{n}")),
                "CXM_BUSINESS_HOURS": "00:00-23:59:59",
            },
        ), log_dir=ARTIFACTS / "logs" / f"push-process-{n}"))
    failures: List[BaseException] = []

    def start(stack: Stack) -> None:
        try:
            stack.start()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    # Overlapped, as each Rasa start is most of a minute; the second starts once
    # the first's action server answers, i.e. its store migration (Alembic keeps
    # global state: one at a time per process) is over.
    starters = [threading.Thread(target=start, args=(stack,)) for stack in stacks]
    starters[0].start()
    first_actions = f"http://127.0.0.1:{PORTS[0][1]}/health"
    deadline = time.monotonic() + 120
    while starters[0].is_alive() and not answers(first_actions) and time.monotonic() < deadline:
        time.sleep(0.2)
    starters[1].start()
    for starter in starters:
        starter.join()
    try:
        if failures:
            pytest.fail(f"a Rasa process did not start: {failures[0]}")
        yield stacks
    finally:
        for stack in stacks:
            stack.stop()


class Stream:
    """One customer's open event stream, read line by line."""

    def __init__(self, reply: aiohttp.ClientResponse) -> None:
        self.reply = reply
        self.last_id: Optional[str] = None

    @classmethod
    async def open(
        cls, session: aiohttp.ClientSession, rasa_url: str, sender: str, last_id: Optional[str] = None
    ) -> "Stream":
        headers = {"Last-Event-ID": last_id} if last_id else {}
        reply = await session.get(f"{rasa_url}/webhooks/webchat/events/{sender}", headers=headers)
        assert reply.status == 200, await reply.text()
        stream = cls(reply)
        assert (await reply.content.readline()).startswith(b": connected")
        return stream

    async def next_message(self, timeout: float) -> Optional[Dict[str, Any]]:
        """The next pushed message, or None if none comes within ``timeout`` s."""
        import json

        try:
            async with asyncio.timeout(timeout):
                while True:
                    line = (await self.reply.content.readline()).decode().rstrip("\n")
                    if line.startswith("id: "):
                        self.last_id = line[4:]
                    elif line.startswith("data: "):
                        return json.loads(line[6:])
        except TimeoutError:
            return None

    def close(self) -> None:
        self.reply.close()


async def push_as_agent(client: RasaClient, sender: str, text: str) -> None:
    await client.append_events(
        sender, "webchat", [{"event": "bot", "text": text, "metadata": {"agent": "rina"}}]
    )


def reply_text(n: int, sender: str) -> str:
    return f"Halo kak, saya Rina. Balasan {n} untuk {sender}"


def test_fifty_agent_replies_reach_fifty_customers_across_processes(rasa_processes: List[Stack]) -> None:
    urls = [stack.settings.rasa_url for stack in rasa_processes]
    run = uuid.uuid4().hex[:8]
    senders = [f"web-push-{run}-{n}" for n in range(CUSTOMERS)]

    async def scenario() -> List[Tuple[str, Optional[Dict[str, Any]], Optional[Dict[str, Any]]]]:
        clients = [RasaClient(url, "test-token") for url in urls]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            streams = await asyncio.gather(
                *(Stream.open(session, urls[n % 2], sender) for n, sender in enumerate(senders))
            )
            await asyncio.gather(*(
                push_as_agent(clients[(n + 1) % 2], sender, reply_text(n, sender))
                for n, sender in enumerate(senders)
            ))
            arrived = await asyncio.gather(*(s.next_message(ARRIVAL_TIMEOUT_S) for s in streams))
            extra = await asyncio.gather(*(s.next_message(0.5) for s in streams))
            for stream in streams:
                stream.close()
        for client in clients:
            await client.close()
        return list(zip(senders, arrived, extra))

    outcome = asyncio.run(scenario())
    right = [s for n, (s, got, _) in enumerate(outcome) if got and got.get("text") == reply_text(n, s)]
    print(f"\nagent replies that reached the right customer: {len(right)} of {CUSTOMERS}")
    assert len(right) == CUSTOMERS
    assert all(got["recipient_id"] == sender for sender, got, _ in outcome)
    assert [extra for _, _, extra in outcome] == [None] * CUSTOMERS, "each customer gets one reply"


def test_replies_pushed_while_a_stream_was_down_arrive_when_it_reconnects_elsewhere(
    rasa_processes: List[Stack],
) -> None:
    urls = [stack.settings.rasa_url for stack in rasa_processes]
    sender = f"web-push-{uuid.uuid4().hex[:8]}"

    async def scenario() -> List[Optional[str]]:
        client = RasaClient(urls[1], "test-token")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            stream = await Stream.open(session, urls[0], sender)
            await push_as_agent(client, sender, "sebentar ya kak, saya cek dulu")
            seen = await stream.next_message(ARRIVAL_TIMEOUT_S)
            stream.close()  # the customer's connection drops
            await push_as_agent(client, sender, "pesanan kakak sudah dikirim")
            await push_as_agent(client, sender, "ada lagi yang bisa dibantu?")
            # The browser reconnects with the last id it saw; the balancer may pick another process.
            back = await Stream.open(session, urls[1], sender, last_id=stream.last_id)
            texts = [seen and seen["text"]]
            for wait in (ARRIVAL_TIMEOUT_S, ARRIVAL_TIMEOUT_S, 0.5):
                message = await back.next_message(wait)
                texts.append(message and message["text"])
            back.close()
        await client.close()
        return texts

    assert asyncio.run(scenario()) == [
        "sebentar ya kak, saya cek dulu", "pesanan kakak sudah dikirim", "ada lagi yang bisa dibantu?", None,
    ]

"""The scaled topology: customers through HAProxy, pushes through Redis, capture through RabbitMQ.

Every customer message goes through the load balancer to either Rasa
process; the CX store (written only by the capture consumer here) must hold
each answered message exactly once. Agent replies go through the load
balancer, the way the console sends them (``RasaClient.append_events`` with
``output_channel=webchat``), to customers whose streams are held by one Rasa
process or the other (customer ``i`` on process ``i % 2``, so the streams
are spread over both for certain). Last, the fault test: 20 customers for
more than a minute while one Rasa server, one action server and the capture
consumer are each killed with SIGKILL in turn and RabbitMQ and PostgreSQL
are each cut for 10 s (tests/tcp_proxy.py): supervisord must start each
killed process again within 10 s, every message must be answered or refused
with an HTTP status a client can retry (502, 503, 504; docs/deploy.md), the
shop must answer everyone again once the faults are over, and nothing
answered may be lost or stored twice. Then a Rasa server, an action server
and the capture consumer are each stopped with SIGTERM while ten messages
are in flight: all ten must be answered and stored.
"""
import asyncio
import json
import os
import signal
import threading
import time
import urllib.error
import uuid
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Tuple

import aiohttp

from sqlalchemy import text

from bot.scaled import ScaledStack
from cxm_store.db import engine_for
from bot.rasa_client import RasaClient
from tests.conftest import post_json
from tests.scaled.conftest import Outages
from tests.scaled.sse import Stream

QUESTIONS = (
    "brp ongkir ke medan kak?", "how long does delivery take to bali?", "bisa bayar pakai cod gak?",
    "cek pesanan INV-2024-00123 dong", "how do i return an item?", "where is my order INV-2024-00124?",
)
SETTLE_TIMEOUT_S = 60.0
RESTART_WITHIN_S = 10.0
FAULT_CUSTOMERS = 20
OUTAGE_S = 10.0
# After the last fault, how long until every customer must be answered again
# (Rasa's database connections are re-opened on their next use).
RECOVERY_S = 4.0
# What a client may send again: the balancer's "process died mid-request"
# and "timed out", and the servers' "not now" (bot/channels/retryable.py).
RETRYABLE = {"http-502", "http-503", "http-504"}
IN_FLIGHT_CUSTOMERS = 10
# Ten messages at once keep one process busy for longer than this.
IN_FLIGHT_AFTER_S = 0.3
# Longer than HAProxy's server timeout (60 s): a reply that takes too long is
# a 504 from the balancer, an error a client can retry, not a silent wait.
CLIENT_TIMEOUT_S = 90.0
CUSTOMERS_WITH_AGENT_REPLIES = 50
ARRIVAL_TIMEOUT_S = 30


def refusal(error: urllib.error.HTTPError) -> str:
    """``http-<status>``; the reason the body gives is kept in ``REFUSALS`` so a failure message can name it."""
    body = error.read()[:300].decode(errors="replace")
    try:
        reason = json.loads(body).get("error", body)
    except ValueError:  # HAProxy's own pages are HTML
        reason = "balancer: " + " ".join(body.split())[:120]
    REFUSALS[f"http-{error.code}: {reason}"] += 1
    return f"http-{error.code}"


# Why messages were refused, over the whole module: printed by a failing assertion.
REFUSALS: Counter = Counter()


def stored_customer_messages(scaled: ScaledStack, run: str) -> Counter:
    """How often each customer message of this run is in the CX store."""
    with engine_for(scaled.settings.cxm_database_url).connect() as connection:
        rows = connection.execute(text(
            "SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "JOIN customer_identities i ON i.customer_id = c.customer_id "
            "WHERE m.sender = 'customer' AND i.external_id LIKE :run"
        ), {"run": f"{run}-%"}).scalars().all()
    return Counter(rows)


def wait_until_stored(scaled: ScaledStack, run: str, expected: List[str]) -> Counter:
    """The store's count once every expected message is there (or the timeout passed)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        stored = stored_customer_messages(scaled, run)
        if all(stored[message] for message in expected) or time.monotonic() > deadline:
            time.sleep(1.0)  # a duplicate would come right behind
            return stored_customer_messages(scaled, run)
        time.sleep(0.5)


class Customers:
    """REST customers sending numbered questions through the load balancer until stopped."""

    def __init__(self, scaled: ScaledStack, run: str, count: int) -> None:
        self.url = f"{scaled.settings.rasa_url}/webhooks/rest/webhook"
        self.run, self.count = run, count
        self.outcomes: Dict[str, str] = {}  # message -> answered / http-5xx / empty / error
        self.sent_at: Dict[str, float] = {}  # message -> time.monotonic() when sent
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._customer, args=(n,)) for n in range(count)]

    def _customer(self, n: int) -> None:
        turn = 0
        while not self._stop.is_set():
            message = f"{QUESTIONS[turn % len(QUESTIONS)]} #{n}.{turn}"
            self.sent_at[message] = time.monotonic()
            try:
                replies = post_json(
                    self.url, {"sender": f"{self.run}-{n}", "message": message}, timeout=CLIENT_TIMEOUT_S
                )
                outcome = "answered" if any(r.get("text") or r.get("buttons") for r in replies) else "empty"
            except urllib.error.HTTPError as error:
                outcome = refusal(error)
                # As a client should: wait as told before the next message.
                time.sleep(float(error.headers.get("Retry-After") or 1))
            except OSError as error:
                outcome = f"error-{type(error).__name__}"
            self.outcomes[message] = outcome
            turn += 1

    def __enter__(self) -> "Customers":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def answered(self) -> List[str]:
        return [m for m, outcome in self.outcomes.items() if outcome == "answered"]


def test_every_process_has_a_readiness_check_that_answers(scaled: ScaledStack) -> None:
    assert scaled.not_ready() == []
    assert [name for name, _ in scaled.settings.ready_checks()] == [
        "rasa-1", "rasa-2", "actions-1", "actions-2", "capture-consumer", "console", "haproxy",
    ]


def test_messages_through_the_balancer_are_answered_and_captured_exactly_once(scaled: ScaledStack) -> None:
    run = f"scaled-{uuid.uuid4().hex[:6]}"
    with Customers(scaled, run, count=4) as customers:
        time.sleep(8)
    answered = customers.answered()
    # Every message answered (how many fit in 8 s depends on what else the two cores run).
    assert len(answered) >= 4 and len(answered) == len(customers.outcomes), customers.outcomes
    stored = wait_until_stored(scaled, run, answered)
    print(f"\n{len(answered)} messages answered through HAProxy; stored once each: "
          f"{sum(stored[m] == 1 for m in answered)}")
    assert {m: stored[m] for m in answered} == {m: 1 for m in answered}


def process_urls(scaled: ScaledStack) -> List[str]:
    return [f"http://127.0.0.1:{port}" for port in scaled.settings.rasa_ports]


async def push_as_agent(client: RasaClient, sender: str, text: str) -> None:
    await client.append_events(
        sender, "webchat", [{"event": "bot", "text": text, "metadata": {"agent": "rina"}}]
    )


def reply_text(n: int, sender: str) -> str:
    return f"Halo kak, saya Rina. Balasan {n} untuk {sender}"


def test_fifty_agent_replies_reach_fifty_customers_spread_over_the_rasa_processes(scaled: ScaledStack) -> None:
    urls = process_urls(scaled)
    run = uuid.uuid4().hex[:8]
    senders = [f"web-push-{run}-{n}" for n in range(CUSTOMERS_WITH_AGENT_REPLIES)]

    async def scenario() -> List[Tuple[str, Optional[Dict[str, Any]], Optional[Dict[str, Any]]]]:
        console = RasaClient(scaled.settings.rasa_url, scaled.settings.rasa_auth_token)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            streams = await asyncio.gather(
                *(Stream.open(session, urls[n % len(urls)], sender) for n, sender in enumerate(senders))
            )
            await asyncio.gather(*(push_as_agent(console, s, reply_text(n, s)) for n, s in enumerate(senders)))
            arrived = await asyncio.gather(*(s.next_message(ARRIVAL_TIMEOUT_S) for s in streams))
            extra = await asyncio.gather(*(s.next_message(0.5) for s in streams))
            for stream in streams:
                stream.close()
        await console.close()
        return list(zip(senders, arrived, extra))

    outcome = asyncio.run(scenario())
    right = [s for n, (s, got, _) in enumerate(outcome) if got and got.get("text") == reply_text(n, s)]
    print(f"\nagent replies that reached the right customer: {len(right)} of {CUSTOMERS_WITH_AGENT_REPLIES}")
    assert len(right) == CUSTOMERS_WITH_AGENT_REPLIES
    assert all(got["recipient_id"] == sender for sender, got, _ in outcome)
    assert [extra for _, _, extra in outcome] == [None] * CUSTOMERS_WITH_AGENT_REPLIES, "each customer gets one reply"


def test_replies_pushed_while_a_stream_was_down_arrive_when_it_reconnects_to_another_process(
    scaled: ScaledStack,
) -> None:
    urls = process_urls(scaled)
    sender = f"web-push-{uuid.uuid4().hex[:8]}"

    async def scenario() -> List[Optional[str]]:
        console = RasaClient(scaled.settings.rasa_url, scaled.settings.rasa_auth_token)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            stream = await Stream.open(session, urls[0], sender)
            await push_as_agent(console, sender, "sebentar ya kak, saya cek dulu")
            seen = await stream.next_message(ARRIVAL_TIMEOUT_S)
            stream.close()  # the customer's connection drops
            await push_as_agent(console, sender, "pesanan kakak sudah dikirim")
            await push_as_agent(console, sender, "ada lagi yang bisa dibantu?")
            # The browser reconnects with the last id it saw, here to the other process.
            back = await Stream.open(session, urls[1], sender, last_id=stream.last_id)
            texts = [seen and seen["text"]]
            for wait in (ARRIVAL_TIMEOUT_S, ARRIVAL_TIMEOUT_S, 0.5):
                message = await back.next_message(wait)
                texts.append(message and message["text"])
            back.close()
        await console.close()
        return texts

    assert asyncio.run(scenario()) == [
        "sebentar ya kak, saya cek dulu", "pesanan kakak sudah dikirim", "ada lagi yang bisa dibantu?", None,
    ]


def readiness(url: str) -> Tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, json.load(reply)["status"]
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)["status"]


def wait_for_readiness(urls: List[str], expected: Tuple[int, str], within_s: float) -> List[Tuple[int, str]]:
    deadline = time.monotonic() + within_s
    while True:
        seen = [readiness(url) for url in urls]
        if all(answer == expected for answer in seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def test_without_rabbitmq_no_process_takes_messages_yet_web_chat_streams_stay_open(
    scaled: ScaledStack, outages: Outages,
) -> None:
    """A RabbitMQ cut makes every Rasa process unready for messages (they could not be recorded), not for streams."""
    checks = [f"{url}/webhooks/webchat/health" for url in process_urls(scaled)]
    sender = f"web-push-{uuid.uuid4().hex[:8]}"
    seen: Dict[str, Any] = {}

    async def customer_waiting_through_the_cut() -> Optional[Dict[str, Any]]:
        console = RasaClient(scaled.settings.rasa_url, scaled.settings.rasa_auth_token)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            outages.rabbitmq.cut()
            try:
                seen["during"] = await asyncio.to_thread(
                    wait_for_readiness, checks, (503, "event broker unavailable"), 15)
                seen["streams"] = [readiness(f"{url}?for=streams") for url in checks]
                await asyncio.sleep(8)  # past HAProxy's three failed checks
                # The web chat (re)connects through the balancer during the cut.
                stream = await Stream.open(session, scaled.settings.rasa_url, sender)
            finally:
                outages.rabbitmq.start()
            seen["after"] = await asyncio.to_thread(wait_for_readiness, checks, (200, "ok"), 30)
            await asyncio.to_thread(scaled.wait_until_ready, 60)
            await push_as_agent(console, sender, "kami cek dulu ya kak")
            arrived = await stream.next_message(ARRIVAL_TIMEOUT_S)
            stream.close()
        await console.close()
        return arrived

    arrived = asyncio.run(customer_waiting_through_the_cut())
    assert seen["during"] == [(503, "event broker unavailable")] * 2
    assert seen["streams"] == [(200, "ok")] * 2
    assert seen["after"] == [(200, "ok")] * 2
    assert arrived and arrived["text"] == "kami cek dulu ya kak"


def kill_and_time_restart(scaled: ScaledStack, program: str) -> Tuple[int, int, float]:
    """SIGKILL ``program``; return (old pid, new pid, seconds until supervisord started it again)."""
    old = scaled.pid(program)
    assert old, f"{program} is not running"
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    new = 0
    while time.monotonic() - killed < RESTART_WITHIN_S + 5:
        new = scaled.pid(program)
        if new and new != old:
            break
        time.sleep(0.2)
    return old, new, time.monotonic() - killed


def test_kills_and_outages_under_load_lose_nothing_and_every_process_comes_back(
    scaled: ScaledStack, outages: Outages,
) -> None:
    run = f"fault-{uuid.uuid4().hex[:6]}"
    restarts = {}
    with Customers(scaled, run, count=FAULT_CUSTOMERS) as customers:
        began = time.monotonic()
        for program in ("rasa-1", "actions-1", "capture-consumer"):
            time.sleep(5)
            restarts[program] = kill_and_time_restart(scaled, program)
        for service in (outages.rabbitmq, outages.postgresql):
            time.sleep(5)
            service.cut()
            time.sleep(OUTAGE_S)
            service.start()
        healed = time.monotonic()
        time.sleep(max(RECOVERY_S + 8, 62 - (healed - began)))
        ended = time.monotonic()
    outcomes = Counter(customers.outcomes.values())
    answered = customers.answered()
    after = [m for m, at in customers.sent_at.items() if at >= healed + RECOVERY_S and m in customers.outcomes]
    stored = wait_until_stored(scaled, run, answered)
    missing = [m for m in answered if stored[m] != 1]
    print("\n" + json.dumps({
        "seconds_under_load": round(ended - began), "restarts_s": {p: round(t, 1) for p, (_, _, t) in restarts.items()},
        "outcomes": outcomes, "answered_stored_once": sum(stored[m] == 1 for m in answered),
        "stored_twice": sum(count > 1 for count in stored.values()), "not_stored": missing[:10],
        "after_recovery": Counter(customers.outcomes[m] for m in after), "refusals": REFUSALS,
    }))
    assert ended - began >= 60
    for program, (old, new, seconds) in restarts.items():
        assert new and new != old and seconds <= RESTART_WITHIN_S, (program, old, new, seconds)
    # An answer, or an HTTP status a client can retry on; never silence, never a bare 500.
    assert set(outcomes) <= {"answered"} | RETRYABLE, (outcomes, REFUSALS)
    # Once the faults are over, every customer is answered again.
    late = {m: customers.outcomes[m] for m in after if customers.outcomes[m] != "answered"}
    assert after and not late, (late, REFUSALS, healed, {m: customers.sent_at[m] for m in late})
    assert {m: stored[m] for m in answered} == {m: 1 for m in answered}
    assert max(stored.values()) == 1, "no message stored twice"
    scaled.wait_until_ready(timeout=180)  # the killed Rasa server, too, serves again


def burst(url: str, run: str, count: int, sigterm: Callable[[], None]) -> Dict[str, str]:
    """``count`` customers send one message each to ``url`` at once; ``sigterm()`` while they are in flight."""
    outcomes: Dict[str, str] = {}

    def customer(n: int) -> None:
        message = f"{QUESTIONS[n % len(QUESTIONS)]} #{n}"
        try:
            replies = post_json(url, {"sender": f"{run}-{n}", "message": message}, timeout=CLIENT_TIMEOUT_S)
            outcomes[message] = "answered" if any(r.get("text") for r in replies) else "empty"
        except urllib.error.HTTPError as error:
            outcomes[message] = refusal(error)
        except OSError as error:
            outcomes[message] = f"error-{type(error).__name__}"

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(IN_FLIGHT_AFTER_S)
    sigterm()
    for thread in threads:
        thread.join()
    return outcomes


def test_sigterm_lets_each_process_finish_the_messages_in_flight(scaled: ScaledStack) -> None:
    s = scaled.settings
    # Rasa: straight to the process, so every message is in flight on the one stopping.
    targets = {
        "rasa-2": f"http://127.0.0.1:{s.rasa_ports[1]}/webhooks/rest/webhook",
        "actions-2": f"{s.rasa_url}/webhooks/rest/webhook",
        "capture-consumer": f"{s.rasa_url}/webhooks/rest/webhook",
    }
    report = {}
    for program, url in targets.items():
        run = f"term-{program}-{uuid.uuid4().hex[:6]}"
        pid = scaled.pid(program)
        outcomes = burst(url, run, IN_FLIGHT_CUSTOMERS, lambda: os.kill(pid, signal.SIGTERM))
        stored = wait_until_stored(scaled, run, list(outcomes))
        report[program] = {"outcomes": Counter(outcomes.values()), "stored_once": sum(stored[m] == 1 for m in outcomes)}
        assert set(outcomes.values()) == {"answered"}, (program, outcomes, REFUSALS)
        assert {m: stored[m] for m in outcomes} == {m: 1 for m in outcomes}, (program, stored)
        scaled.wait_until_ready(timeout=180)
        assert scaled.pid(program) not in (0, pid), f"{program} was not started again"
    print("\n" + json.dumps(report))

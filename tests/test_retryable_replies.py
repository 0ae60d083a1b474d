"""A message the assistant cannot handle now is refused with 503 + Retry-After, never answered with an empty 200.

Rasa's REST channel answered ``200 []`` whatever went wrong; a client could
not tell "no answer" from "try again". Here the channel (bot.channels.rest)
is served on its own with a bot that fails the way the scaled topology's
stores fail.
"""
import asyncio
import time
from typing import Any, Dict, Tuple

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from redis.exceptions import ConnectionError as RedisConnectionError
from sanic import Sanic
from sqlalchemy.exc import OperationalError

from bot.channels.rest import ApiInput
from tests.security.test_channels import free_port


def reply_to_a_failing_bot(monkeypatch: pytest.MonkeyPatch, failure: Exception) -> Tuple[int, Dict[str, str], Any]:
    """(status, headers, body) of ``POST /webhooks/rest/webhook`` when handling raises ``failure``."""
    monkeypatch.setattr(Sanic, "test_mode", True)

    async def bot(message: UserMessage) -> None:
        raise failure

    async def scenario() -> Tuple[int, Dict[str, str], Any]:
        app = Sanic(f"retryable_{time.monotonic_ns()}")
        app.blueprint(ApiInput(token="", max_chars=100).blueprint(bot), url_prefix="/webhooks/rest")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(
                    f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"sender": "c-1", "message": "halo"}
                ) as reply:
                    return reply.status, dict(reply.headers), await reply.json()
        finally:
            server.close()
            await server.wait_closed()

    return asyncio.run(scenario())


@pytest.mark.parametrize("failure", [
    OperationalError("SELECT ...", {}, ConnectionRefusedError("connection refused")),
    RedisConnectionError("Connection refused"),
], ids=["tracker-store-down", "lock-store-down"])
def test_a_store_outage_is_a_503_to_retry_after_a_second(monkeypatch, failure):
    status, headers, body = reply_to_a_failing_bot(monkeypatch, failure)
    assert (status, headers.get("Retry-After"), body["retry_after"]) == (503, "1", 1)
    assert "send the message again" in body["error"]


def test_a_bug_is_a_500_not_an_invitation_to_retry(monkeypatch):
    status, headers, body = reply_to_a_failing_bot(monkeypatch, KeyError("intent"))
    assert (status, "Retry-After" in headers) == (500, False)

"""Issue 12, channel spoofing: the server, not the client, decides the channel and the sender.

Against the stack the suite starts once (REST webhook and web chat as
customers reach them), and the REST channel's blueprint served by Sanic in
this process for the webhook token (the stack runs without one).
"""
import asyncio
import socket
import time
from typing import Any, Dict, List, Tuple

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sqlalchemy import select

from bot.channels.rest import ApiInput
from bot.stack import Stack
from cxm_store.db import engine_for, session_factory
from cxm_store.models import CustomerIdentity
from tests.conftest import rasa_api
from tests.telegram.test_telegram_stack import post  # (status, JSON or the error text)

SPACED_SENDERS = [
    " web-abc123", "web-abc123 ", "\u00a0tg-42", "web\u200b-abc", "tg-42\n", "\u3000web-x",
    "api client 7", "api-client-\u0007",
]


def identities(database_url: str, external_id: str) -> List[str]:
    with session_factory(engine_for(database_url))() as session:
        return list(session.scalars(
            select(CustomerIdentity.channel).where(CustomerIdentity.external_id == external_id)
        ))


def test_rest_clients_cannot_pass_as_telegram(stack: Stack) -> None:
    sender = f"{int(time.time() * 1000) % 10**9 + 10**9}"  # looks like a Telegram chat id
    status, replies = post(
        f"{stack.settings.rasa_url}/webhooks/rest/webhook",
        {"sender": sender, "message": "halo", "input_channel": "telegram"},
    )
    assert status == 200 and replies
    tracker = rasa_api(stack.settings, f"/conversations/{sender}/tracker")
    assert tracker["latest_input_channel"] == "rest"
    deadline = time.monotonic() + 30
    while not identities(stack.settings.cxm_database_url, sender) and time.monotonic() < deadline:
        time.sleep(0.2)  # capture writes behind the reply
    assert identities(stack.settings.cxm_database_url, sender) == ["rest"]


@pytest.mark.parametrize("sender", SPACED_SENDERS, ids=repr)
def test_rest_refuses_senders_with_spaces_or_invisible_characters(stack: Stack, sender: str) -> None:
    status, body = post(f"{stack.settings.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": "halo"})
    assert status == 400
    assert "spaces, control or invisible characters" in body


@pytest.mark.parametrize("sender", [" web-abc123", "web-abc123 ", "web-abc\u200b", "web-\tabc"], ids=repr)
def test_web_chat_refuses_senders_with_spaces_or_invisible_characters(stack: Stack, sender: str) -> None:
    status, body = post(f"{stack.settings.rasa_url}/webhooks/webchat/webhook", {"sender": sender, "message": "halo"})
    assert status == 400 and "invisible characters" in body


@pytest.mark.parametrize("path, sender", [("rest", "api-long-1"), ("webchat", "web-long-1")])
def test_messages_over_the_limit_are_refused_with_a_clear_answer(stack: Stack, path: str, sender: str) -> None:
    status, body = post(
        f"{stack.settings.rasa_url}/webhooks/{path}/webhook", {"sender": sender, "message": "x" * 4001}
    )
    assert status == 413
    assert "at most 4000 characters" in body and "maksimal 4000 karakter" in body
    status, _ = post(f"{stack.settings.rasa_url}/webhooks/{path}/webhook", {"sender": sender, "message": "x" * 4000})
    assert status == 200


# ------------------------------------------------------- the REST webhook token


def free_port() -> int:
    """A port nothing listens on now (Sanic reads port 0 as its default, 8000)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]



def serve_rest_channel(
    monkeypatch: pytest.MonkeyPatch, token: str, calls: List[Tuple[str, Dict[str, str], Any]]
) -> List[UserMessage]:
    """Serve ``ApiInput(token)`` on a free port in this process; make ``calls``; return what reached the bot.

    ``calls`` are ``(sender, headers, expected status)``; each answer's status is checked.
    """
    # As sanic-testing does: Sanic rewrites its own methods at the first start
    # in a process, and a second start would fail on the rewritten ones.
    monkeypatch.setattr(Sanic, "test_mode", True)
    received: List[UserMessage] = []

    async def bot(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")

    async def scenario() -> None:
        app = Sanic(f"rest_token_{time.monotonic_ns()}")
        app.blueprint(ApiInput(token=token, max_chars=100).blueprint(bot), url_prefix="/webhooks/rest")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as http:
                for sender, headers, expected in calls:
                    async with http.post(
                        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                        json={"sender": sender, "message": "halo", "input_channel": "telegram"},
                        headers=headers,
                    ) as reply:
                        assert reply.status == expected, (sender, headers, await reply.text())
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    return received


def test_with_a_token_set_the_rest_webhook_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    received = serve_rest_channel(monkeypatch, "s3cret-rest", [
        ("no-header", {}, 401),
        ("wrong", {"Authorization": "Bearer nope"}, 401),
        ("basic", {"Authorization": "Basic s3cret-rest"}, 401),
        ("right", {"Authorization": "Bearer s3cret-rest"}, 200),
    ])
    assert [(m.sender_id, m.input_channel) for m in received] == [("right", "rest")]


def test_without_a_token_the_rest_webhook_stays_open(monkeypatch: pytest.MonkeyPatch) -> None:
    received = serve_rest_channel(monkeypatch, "", [("open-client", {}, 200)])
    assert [(m.sender_id, m.input_channel) for m in received] == [("open-client", "rest")]

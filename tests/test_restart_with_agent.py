"""A handoff survives a restart of the stack; with nobody online the customer leaves a message.

This test runs its own :class:`Stack` (own ports, own SQLite tracker store and
CX store, own capture spool) so it can stop and start it without disturbing
the session's stack. Customers talk over the REST webhook; the agent talks
through Rasa's HTTP API as the console does.
"""
import json
import os
import time
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from bot.settings import BotSettings
from bot.stack import Stack
from cxm_store import auth, handoffs
from cxm_store.db import engine_for
from tests.conftest import ARTIFACTS, MODEL, as_console, post_json, rasa_api

pytestmark = pytest.mark.stack

TOKEN = "test-token"
CAPTURE_DEADLINE_S = 20.0
QUEUED = "antrean ke-1"
NO_AGENTS = "semua agen kami sedang tidak tersedia"


def settings_for(data: Path) -> BotSettings:
    return BotSettings(
        rasa_port=int(os.environ.get("TEST_RESTART_RASA_PORT", "5705")),
        action_port=int(os.environ.get("TEST_RESTART_ACTION_PORT", "5755")),
        web_port=int(os.environ.get("TEST_RESTART_WEB_PORT", "8705")),
        model_path=str(MODEL),
        tracker_store_url=f"sqlite:///{data / 'tracker.db'}",
        cxm_database_url=f"sqlite:///{data / 'cxm.db'}",
        rasa_auth_token=TOKEN,
        extra_env={
            "CXM_BUSINESS_HOURS": "00:00-23:59:59",
            "CAPTURE_SPOOL_DIR": str(data / "capture-spool"),
        },
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make test` (it trains first)")
    return tmp_path_factory.mktemp("restart")


@pytest.fixture(scope="module")
def stacks() -> Iterator[List[Stack]]:
    """Every Stack this module starts (the last one may still run); all stopped at the end."""
    started: List[Stack] = []
    yield started
    for stack in started:
        stack.stop()


def running(data: Path, stacks: List[Stack]) -> Stack:
    """The stack the previous test left running, or a new one on the same files."""
    if stacks and stacks[-1]._processes:
        return stacks[-1]
    return start(data, stacks, f"restart-{len(stacks) + 1}")


def start(data: Path, stacks: List[Stack], name: str) -> Stack:
    stack = Stack(settings_for(data), log_dir=ARTIFACTS / "logs" / name)
    stacks.append(stack)
    return stack.start()


def say(stack: Stack, sender: str, text: str) -> List[Dict[str, Any]]:
    return post_json(f"{stack.settings.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text})


def texts(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def rasa_events(stack: Stack, sender: str, events: List[Dict[str, Any]]) -> Any:
    """``POST /conversations/<sender>/tracker/events`` as the console does."""
    return rasa_api(
        stack.settings,
        f"/conversations/{sender}/tracker/events?execute_side_effects=true&output_channel=latest",
        events,
    )


def tracker_events(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    return rasa_api(stack.settings, f"/conversations/{sender}/tracker?include_events=ALL")["events"]


def agent_online(database_url: str, username: str) -> int:
    """A console agent, available, whose console was seen just now."""
    engine = engine_for(database_url)
    user_id = auth.create_user(username, "Rina", "correct horse battery", "agent", engine=engine)
    auth.set_available(user_id, True, datetime.utcnow(), engine=engine)
    assert handoffs.agents_online(datetime.utcnow(), engine=engine) == [username]
    return user_id


def test_paused_conversation_survives_restart_and_ticket_without_agents(
    data_dir: Path, stacks: List[Stack]
) -> None:
    first = start(data_dir, stacks, "restart-1")
    database_url = first.settings.cxm_database_url
    engine = engine_for(database_url)
    user_id = agent_online(database_url, "rina")
    sender = f"restart-{uuid.uuid4().hex[:8]}"

    queued = texts(say(first, sender, "saya mau bicara dengan CS"))
    assert QUEUED in queued, queued
    assert any(e.get("event") == "pause" for e in tracker_events(first, sender))

    first.stop()
    second = start(data_dir, stacks, "restart-2")
    # The agent's console keeps beating while the bot restarts.
    auth.heartbeat(user_id, datetime.utcnow(), engine=engine)

    # Still with the agent: the bot stays quiet.
    assert say(second, sender, "halo? masih ada orang?") == []
    assert say(second, sender, "berapa lama pengiriman ke surabaya?") == []
    events = tracker_events(second, sender)
    assert [e["text"] for e in events if e.get("event") == "user"][-1] == "berapa lama pengiriman ke surabaya?"
    assert events[-1].get("event") == "user", "no action may run while the conversation is paused"

    # The agent answers through Rasa's API, then hands the customer back to the bot.
    rasa_events(second, sender, [{"event": "bot", "text": "Halo Kak, saya Rina.", "metadata": {"agent": "rina"}}])
    as_console(second.settings, lambda rasa: rasa.hand_back(sender, "rest", "rina"))
    answer = texts(say(second, sender, "berapa lama pengiriman ke surabaya?"))
    assert "hari kerja" in answer, answer

    # Nobody online: the customer is offered to leave a message, which becomes a ticket.
    auth.set_available(user_id, False, datetime.utcnow(), engine=engine)
    assert handoffs.agents_online(datetime.utcnow(), engine=engine) == []
    other = f"ticket-{uuid.uuid4().hex[:8]}"
    offer = texts(say(second, other, "saya mau bicara dengan CS"))
    assert NO_AGENTS in offer, offer
    message = "refund belum masuk, hubungi saya di 0812-1111-2222"
    confirmation = texts(say(second, other, message))
    assert "0812-1111-2222" in confirmation, confirmation

    deadline = time.monotonic() + CAPTURE_DEADLINE_S
    while True:
        tickets = handoffs.open_tickets(engine=engine)
        if tickets or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(tickets) == 1, tickets
    assert tickets[0]["contact"] == "0812-1111-2222"
    assert "refund belum masuk" in tickets[0]["message"]

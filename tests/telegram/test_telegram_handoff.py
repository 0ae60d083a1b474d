"""A Telegram customer handed to a person and surveyed, end to end.

One Indonesian conversation through the real channel (python-telegram-bot's
client against the fake Bot API server): answers from the bot, a handoff to an
agent who is online, the bot paused, the agent's reply and the resolution done
as the console does them (its Rasa client, over Rasa's HTTP API), then the
survey answered with the inline keyboard buttons. The store must show it all
under channel ``telegram``.

The stack here is its own (business hours all day, so the handoff is queued
whatever the time): ports ``TEST_TG_HANDOFF_RASA_PORT`` / ``TEST_TG_HANDOFF_ACTION_PORT``
(default 5805 / 5855, console on 8805).
"""
import json
import os
import time
import urllib.request
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.channels.telegram import SECRET_HEADER
from cxm_store import auth, handoffs
from cxm_store.db import engine_for, session_factory
from cxm_store.models import Conversation, CustomerIdentity, Handoff, Message, SurveyAnswer
from tests.conftest import as_console, rasa_api
from tests.telegram.conftest import SECRET, TelegramStack, start_telegram_stack
from tests.telegram.fake_api import Call, FakeTelegram, Updates
from tests.telegram.test_telegram_stack import post

pytestmark = pytest.mark.stack

CHAT = 7001
SENDER = f"tg-{CHAT}"
AGENT = "rina"
STORE_TIMEOUT = 30.0


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def handoff_stack(
    tmp_path_factory: pytest.TempPathFactory, fake_telegram: FakeTelegram
) -> Iterator[TelegramStack]:
    """A Telegram stack (webhook mode) whose business hours last all day."""
    running = start_telegram_stack(
        tmp_path_factory.mktemp("tg-handoff-stack"), fake_telegram, "webhook",
        int(os.environ.get("TEST_TG_HANDOFF_RASA_PORT", "5805")),
        int(os.environ.get("TEST_TG_HANDOFF_ACTION_PORT", "5855")),
        extra_env={"CXM_BUSINESS_HOURS": "00:00-23:59:59"},
        name="telegram-handoff",
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def store(handoff_stack: TelegramStack) -> Iterator[Engine]:
    """The stack's store, as the test sees it."""
    engine = engine_for(handoff_stack.settings.cxm_database_url)
    yield engine
    engine.dispose()


def until(predicate: Callable[[], Any], what: str, timeout: float = STORE_TIMEOUT) -> Any:
    """Poll ``predicate`` until it returns something truthy (capture writes asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


class TelegramCustomer:
    """The customer in chat ``CHAT``: sends updates, presses buttons, reads what arrives."""

    def __init__(self, stack: TelegramStack, fake: FakeTelegram) -> None:
        self.fake = fake
        self.updates = Updates()
        self.webhook = f"{stack.settings.rasa_url}/webhooks/telegram/webhook"
        self.headers = {SECRET_HEADER: SECRET}

    def sent(self) -> List[Call]:
        """sendMessage calls to the chat that Telegram accepted."""
        return [
            c for c in self.fake.calls_to("sendMessage", CHAT)
            if isinstance(c.result, dict) and "message_id" in c.result
        ]

    def deliver(self, update: Dict[str, Any]) -> None:
        status, body = post(self.webhook, update, self.headers)
        assert status == 200, body

    def wait_for(self, expect: str, before: int, timeout: float = 60) -> Call:
        """The first message after the ``before`` first ones whose text contains ``expect``."""

        def arrived() -> Optional[Call]:
            return next((c for c in self.sent()[before:] if expect in c.params.get("text", "")), None)

        return self.fake.wait_for(arrived, timeout=timeout, what=f"{expect!r} for chat {CHAT}")

    def say(self, text: str, expect: str) -> Call:
        before = len(self.sent())
        self.deliver(self.updates.message(CHAT, text, "id"))
        return self.wait_for(expect, before)

    def press(self, message: Call, title: str, expect: str) -> Call:
        """Press the button ``title`` of the keyboard the bot sent with ``message``."""
        data = button_data(message, title)
        before = len(self.sent())
        self.deliver(self.updates.callback(CHAT, message.result, data))
        return self.wait_for(expect, before)


def keyboard(message: Call) -> List[List[Dict[str, Any]]]:
    markup = message.params.get("reply_markup")
    assert isinstance(markup, dict) and markup.get("inline_keyboard"), (
        f"no inline keyboard on {message.params.get('text')!r}"
    )
    return markup["inline_keyboard"]


def button_data(message: Call, title: str) -> str:
    buttons = [button for row in keyboard(message) for button in row]
    found = [b for b in buttons if b["text"] == title]
    assert found, f"no button {title!r} in {[b['text'] for b in buttons]}"
    return found[0]["callback_data"]




def rasa_tracker(stack: TelegramStack) -> Dict[str, Any]:
    return rasa_api(stack.settings, f"/conversations/{SENDER}/tracker")


def conversations_of(engine: Engine, channel: str, external_id: str) -> List[Conversation]:
    with session_factory(engine)() as session:
        customer_id = session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.channel == channel, CustomerIdentity.external_id == external_id
            )
        )
        if customer_id is None:
            return []
        return list(
            session.scalars(
                select(Conversation).where(Conversation.customer_id == customer_id).order_by(Conversation.id)
            )
        )


def transcript(engine: Engine, conversation_ids: List[int]) -> List[Tuple[str, str]]:
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Message.sender, Message.text)
            .where(Message.conversation_id.in_(conversation_ids))
            .order_by(Message.at, Message.id)
        ).all()
    return [(row.sender, row.text) for row in rows]


def handoffs_of(engine: Engine, conversation_ids: List[int]) -> List[Handoff]:
    with session_factory(engine)() as session:
        return list(
            session.scalars(select(Handoff).where(Handoff.conversation_id.in_(conversation_ids)))
        )


def survey_of(engine: Engine, conversation_ids: List[int]) -> Dict[str, SurveyAnswer]:
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(SurveyAnswer).where(SurveyAnswer.conversation_id.in_(conversation_ids)).order_by(SurveyAnswer.id)
        )
        return {row.kind: row for row in rows}


def test_telegram_customer_is_handed_to_an_agent_and_surveyed(
    handoff_stack: TelegramStack, fake_telegram: FakeTelegram, store: Engine
) -> None:
    started = time.monotonic()
    # 1. An agent who can take the conversation: available, console open.
    agent_id = auth.create_user(AGENT, "Rina", "correct horse battery", "agent", at=now(), engine=store)
    auth.set_available(agent_id, True, now(), engine=store)
    assert AGENT in handoffs.agents_online(now(), engine=store)

    customer = TelegramCustomer(handoff_stack, fake_telegram)

    # 2. The bot answers, then hands over.
    assert "Halo Kak" in customer.say("/start", "Halo Kak").params["text"]
    assert "Ongkir dihitung dari berat paket" in customer.say("brp ongkir ke medan kak?", "Ongkir dihitung").params["text"]
    order = customer.say("cek pesanan INV-2024-00123", "dikirim dengan JNE").params["text"]
    assert "INV-2024-00123" in order or "JNE" in order
    auth.heartbeat(agent_id, now(), engine=store)  # the console's heartbeat: still online
    queued = customer.say("saya mau bicara dengan CS", "antrean ke-1").params["text"]
    assert "tim CS" in queued

    # The bot is paused: the customer's next message gets no answer from it.
    before = len(customer.sent())
    customer.deliver(customer.updates.message(CHAT, "halo?", "id"))
    # ...but it is captured, which tells us Rasa has processed it.
    until(
        lambda: ("customer", "halo?") in transcript(store, [c.id for c in conversations_of(store, "telegram", SENDER)]),
        "the customer's message during the handoff in the transcript",
    )
    # Rasa streams a turn's events to capture when it saves the tracker, after
    # the turn's replies were sent: had the bot answered, it would be here by now.
    assert customer.sent()[before:] == [], [c.params.get("text") for c in customer.sent()[before:]]
    tracker = rasa_tracker(handoff_stack)
    assert tracker["paused"] is True
    assert tracker["events"][-1]["event"] == "user" and tracker["events"][-1]["text"] == "halo?"

    # The request is in the queue: the agent claims it, as the console does.
    conversation_ids = [c.id for c in conversations_of(store, "telegram", SENDER)]
    (handoff,) = until(lambda: handoffs_of(store, conversation_ids), "the handoff request in the store")
    assert handoff.status == "requested" and handoff.reason == "request"
    assert handoffs.claim_handoff(handoff.id, AGENT, now(), engine=store)

    # 3. The agent replies, through the console's Rasa client.
    before = len(customer.sent())
    reply = {"event": "bot", "text": "Halo Kak, saya Rina.", "metadata": {"agent": AGENT, "agent_name": "Rina"}}
    as_console(handoff_stack.settings, lambda rasa: rasa.append_events(SENDER, "telegram", [reply]))
    assert customer.wait_for("Halo Kak, saya Rina.", before).params["text"] == "Halo Kak, saya Rina."
    assert handoffs.record_first_agent_reply(handoff.id, now(), engine=store)

    # 4. The agent resolves: the bot takes over again and offers the survey.
    before = len(customer.sent())
    as_console(handoff_stack.settings, lambda rasa: rasa.hand_back(SENDER, "telegram", AGENT))
    assert handoffs.resolve_handoff(handoff.id, now(), engine=store, agent=AGENT)
    as_console(handoff_stack.settings, lambda rasa: rasa.execute_action(SENDER, "telegram", "action_offer_survey"))
    resolved_question = customer.wait_for("Apakah pertanyaan Kakak sudah terjawab?", before)

    csat = customer.press(resolved_question, "Ya, sudah", "Seberapa puas Kakak")
    assert len(keyboard(csat)) >= 1
    ces = customer.press(csat, "5 😍", "Seberapa mudah")
    nps = customer.press(ces, "6", "merekomendasikan Serambi")  # a new customer: NPS is due
    comment = customer.press(nps, "9", "ada saran atau komentar")
    customer.press(comment, "Lewati", "tidak apa-apa")  # skipping the comment ends the survey
    # Each keyboard was taken away once pressed.
    edited = {int(c.params["message_id"]) for c in fake_telegram.calls_to("editMessageReplyMarkup", CHAT)}
    assert {m.result["message_id"] for m in (resolved_question, csat, ces, nps, comment)} <= edited

    # 5. The store has it all, under channel telegram.
    def survey_complete() -> Optional[Dict[str, SurveyAnswer]]:
        answers = survey_of(store, conversation_ids)
        done = answers.get("comment") is not None and answers["comment"].status != "unanswered"
        return answers if done else None

    answers = until(survey_complete, "the survey answers in the store")
    conversations = conversations_of(store, "telegram", SENDER)
    assert conversations and all(c.channel == "telegram" for c in conversations)
    assert [c.id for c in conversations] == conversation_ids  # one conversation all along
    (conversation,) = conversations
    assert conversation.outcome == "escalated"
    assert conversation.agent == AGENT
    assert conversation.language == "id"

    lines = transcript(store, conversation_ids)
    texts = {sender: [text for s, text in lines if s == sender] for sender in ("customer", "bot", "agent")}
    assert "brp ongkir ke medan kak?" in texts["customer"]
    assert any("INV-2024-00123" in t for t in texts["customer"])
    assert "saya mau bicara dengan CS" in texts["customer"]
    assert "halo?" in texts["customer"]
    assert any("Ongkir dihitung" in t for t in texts["bot"])
    assert any("dikirim dengan JNE" in t for t in texts["bot"])
    assert any("antrean ke-1" in t for t in texts["bot"])
    assert any("Seberapa puas" in t for t in texts["bot"])
    assert texts["agent"] == ["Halo Kak, saya Rina."]
    senders = [s for s, _ in lines]
    assert senders.index("agent") > max(i for i, s in enumerate(senders) if s == "customer" and lines[i][1] == "halo?")

    (handoff,) = handoffs_of(store, conversation_ids)
    assert handoff.agent == AGENT and handoff.status == "resolved"
    assert handoff.requested_at <= handoff.claimed_at <= handoff.first_agent_reply_at <= handoff.resolved_at

    assert answers["resolved"].status == "answered" and answers["resolved"].score == 1
    assert (answers["csat"].status, answers["csat"].score) == ("answered", 5)
    assert (answers["ces"].status, answers["ces"].score) == ("answered", 6)
    assert (answers["nps"].status, answers["nps"].score) == ("answered", 9)
    assert answers["comment"].status == "declined"
    for kind in ("resolved", "csat", "ces", "nps"):
        assert answers[kind].agent == AGENT, (kind, answers[kind].agent)

    print(f"conversation through handoff and survey: {time.monotonic() - started:.1f} s")

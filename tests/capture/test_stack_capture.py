"""Through the real servers: a REST chat in Indonesian ends up in the CX store.

The Rasa server reads endpoints.yml, whose event broker is the capture
recorder, writing to the stack's ``cxm_database_url``.
"""
import time
import uuid

import pytest
from sqlalchemy import select

from cxm_store.db import engine_for, session_factory
from cxm_store.models import Conversation, ConversationTopic, CustomerIdentity, Message

pytestmark = pytest.mark.stack


def _captured(url, sender):
    with session_factory(engine_for(url))() as session:
        conversation = session.scalar(
            select(Conversation)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
            .where(CustomerIdentity.channel == "rest", CustomerIdentity.external_id == sender)
        )
        if conversation is None:
            return None, [], set()
        lines = session.execute(
            select(Message.sender, Message.text)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.at, Message.id)
        ).all()
        topics = set(session.scalars(
            select(ConversationTopic.topic).where(
                ConversationTopic.conversation_id == conversation.id
            )
        ))
        return conversation, lines, topics


def test_rest_chat_in_indonesian_is_captured(stack, chat):
    sender = f"capture-{uuid.uuid4().hex[:8]}"
    turns = [
        "halo",
        "bagaimana cara retur barang?",
        "email saya budi.santoso@example.com, hp 0812-3456-7890",
        "terima kasih",
    ]
    replies = [chat(sender, text) for text in turns]
    bot_lines = sum(1 for reply in replies for message in reply if message.get("text"))
    url = stack.settings.cxm_database_url

    def complete(conversation, lines) -> bool:
        # The conversation row and its lines are separate reads, each of which
        # may land before or after the worker's latest commit.
        return (
            conversation is not None
            and len(lines) >= len(turns) + bot_lines
            and conversation.bot_message_count >= bot_lines
        )

    deadline = time.monotonic() + 20
    conversation, lines, topics = _captured(url, sender)
    while time.monotonic() < deadline and not complete(conversation, lines):
        time.sleep(0.2)
        conversation, lines, topics = _captured(url, sender)

    assert conversation is not None, "nothing captured for the chat"
    assert (conversation.channel, conversation.language) == ("rest", "id")
    assert (conversation.customer_message_count, conversation.bot_message_count) == (
        len(turns), bot_lines
    )
    assert conversation.ended_at is None
    customer = [text for who, text in lines if who == "customer"]
    assert customer == [
        "halo",
        "bagaimana cara retur barang?",
        "email saya [email], hp [phone]",
        "terima kasih",
    ]
    assert {"greet", "faq/returns"} <= topics
    assert conversation.primary_topic == "faq/returns"

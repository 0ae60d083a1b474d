"""Recording touchpoints: who talked to us, on which channel, about what, and how it ended.

Every function here runs beside a chat reply, so each is one short
transaction touching a handful of indexed rows.
"""
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxm_store.db import session_factory, utc_naive
from cxm_store.models import (
    OUTCOMES,
    Conversation,
    ConversationTopic,
    Customer,
    CustomerIdentity,
    Message,
)
from cxm_store.pii import mask_pii

INACTIVITY_WINDOW = timedelta(minutes=30)

# Small talk says nothing about why the customer came, so it never becomes a
# conversation's primary topic (it is still listed among its topics).
CHITCHAT_TOPICS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "thanks",
        "affirm",
        "deny",
        "bot_challenge",
        "chitchat",
        "out_of_scope",
        "nlu_fallback",
        "mood_great",
        "mood_unhappy",
    }
)


def is_chitchat(topic: str) -> bool:
    """Return True for small-talk topics (``greet``, ``chitchat/ask_name``...)."""
    return topic in CHITCHAT_TOPICS or topic.startswith("chitchat/")


def record_customer_message(
    channel: str,
    external_id: str,
    text: str,
    at: datetime,
    language: Optional[str],
    intent: Optional[str] = None,
    topic: Optional[str] = None,
    confidence: Optional[float] = None,
    is_fallback: bool = False,
    engine: Engine = None,
    inactivity: timedelta = INACTIVITY_WINDOW,
) -> int:
    """Store what a customer said and return the id of the conversation it belongs to.

    The customer is found by their identity on the channel (and created on
    first contact). Their open conversation on that channel continues unless
    it has been idle longer than ``inactivity``: then it is closed as
    ``abandoned`` (ended at its last activity) and a new one is opened.

    Args:
        channel: Where the message came from (``web``, ``rest``, ``telegram``...).
        external_id: The customer's id on that channel (session id, user id).
        text: The message as typed; PII is masked before it is stored.
        at: When it was received (aware, or naive UTC).
        language: Detected language (``id``/``en``); the latest one wins.
        intent: Predicted intent, kept on the message.
        topic: Business topic (``faq/returns``); defaults to ``intent``.
        confidence: Intent confidence.
        is_fallback: Whether the bot could not understand the message.
        engine: Store engine (default: the configured one).
        inactivity: Idle time after which a conversation counts as abandoned.

    Returns:
        The conversation id.
    """
    at = utc_naive(at)
    topic = topic or intent
    # A first message from a new identity may race with a second one; the
    # unique (channel, external_id) rejects the loser, which then just retries
    # and finds the customer the winner created.
    for attempt in (1, 2):
        try:
            with session_factory(engine)() as session, session.begin():
                customer_id = _customer_for(session, channel, external_id, at)
                conversation = _current_conversation(session, customer_id, channel, at, inactivity)
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        at=at,
                        sender="customer",
                        text=mask_pii(text),
                        intent=intent,
                        confidence=confidence,
                        is_fallback=is_fallback,
                    )
                )
                conversation.customer_message_count += 1
                conversation.fallback_count += 1 if is_fallback else 0
                conversation.last_activity_at = max(conversation.last_activity_at, at)
                if language:
                    conversation.language = language
                if topic and not is_fallback:
                    _note_topic(session, conversation, topic, at)
                return conversation.id
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def record_bot_message(
    conversation_id: int, text: str, at: datetime, sender: str = "bot", engine: Engine = None
) -> int:
    """Store a reply from the bot (or, with ``sender="agent"``, a human agent).

    Returns:
        The message id.
    """
    if sender not in ("bot", "agent"):
        raise ValueError(f"sender must be 'bot' or 'agent', not {sender!r}")
    at = utc_naive(at)
    counter = "bot_message_count" if sender == "bot" else "agent_message_count"
    with session_factory(engine)() as session, session.begin():
        conversation = session.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        message = Message(
            conversation_id=conversation_id, at=at, sender=sender, text=mask_pii(text)
        )
        session.add(message)
        setattr(conversation, counter, getattr(conversation, counter) + 1)
        conversation.last_activity_at = max(conversation.last_activity_at, at)
        session.flush()
        return message.id


def close_conversation(
    conversation_id: int, outcome: str, at: datetime, engine: Engine = None
) -> bool:
    """Close an open conversation with ``outcome`` (resolved, escalated, abandoned).

    Returns:
        True if it was open and is now closed; False if it was already closed
        (the first outcome stands).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    with session_factory(engine)() as session, session.begin():
        closed = session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.outcome.is_(None))
            .values(outcome=outcome, ended_at=utc_naive(at))
        )
        return closed.rowcount == 1


def mark_abandoned(
    now: datetime, idle: timedelta = INACTIVITY_WINDOW, engine: Engine = None
) -> int:
    """Close as ``abandoned`` every open conversation idle for longer than ``idle``.

    Each is ended at its last activity, not at ``now``: that is when the
    customer left.

    Returns:
        How many conversations were closed.
    """
    cutoff = utc_naive(now) - idle
    with session_factory(engine)() as session, session.begin():
        closed = session.execute(
            update(Conversation)
            .where(Conversation.outcome.is_(None), Conversation.last_activity_at < cutoff)
            .values(outcome="abandoned", ended_at=Conversation.last_activity_at)
            .execution_options(synchronize_session=False)
        )
        return closed.rowcount


def customer_id_for(channel: str, external_id: str, engine: Engine = None) -> Optional[int]:
    """Return the customer known as ``external_id`` on ``channel``, or None."""
    with session_factory(engine)() as session:
        return session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.channel == channel, CustomerIdentity.external_id == external_id
            )
        )


def _customer_for(session: Session, channel: str, external_id: str, at: datetime) -> int:
    customer_id = session.scalar(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.channel == channel, CustomerIdentity.external_id == external_id
        )
    )
    if customer_id is not None:
        return customer_id
    customer = Customer(created_at=at)
    session.add(customer)
    session.flush()
    session.add(CustomerIdentity(customer_id=customer.id, channel=channel, external_id=external_id))
    session.flush()
    return customer.id


def _current_conversation(
    session: Session, customer_id: int, channel: str, at: datetime, inactivity: timedelta
) -> Conversation:
    conversation = session.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.channel == channel,
            Conversation.outcome.is_(None),
        )
        .order_by(Conversation.started_at.desc())
        .limit(1)
        .with_for_update()
    )
    if conversation is not None and at - conversation.last_activity_at <= inactivity:
        return conversation
    if conversation is not None:
        conversation.outcome = "abandoned"
        conversation.ended_at = conversation.last_activity_at
    conversation = Conversation(
        customer_id=customer_id,
        channel=channel,
        started_at=at,
        last_activity_at=at,
        customer_message_count=0,
        bot_message_count=0,
        agent_message_count=0,
        fallback_count=0,
    )
    session.add(conversation)
    session.flush()
    return conversation


def _note_topic(session: Session, conversation: Conversation, topic: str, at: datetime) -> None:
    seen = session.scalar(
        select(ConversationTopic.id).where(
            ConversationTopic.conversation_id == conversation.id, ConversationTopic.topic == topic
        )
    )
    if seen is None:
        session.add(
            ConversationTopic(conversation_id=conversation.id, topic=topic, first_seen_at=at)
        )
    if conversation.primary_topic is None and not is_chitchat(topic):
        conversation.primary_topic = topic

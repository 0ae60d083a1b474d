"""Recording touchpoints: who talked to us, on which channel, about what, and how it ended.

Every function here runs beside a chat reply, so each is one short
transaction touching a handful of indexed rows.
"""
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contract.vocabulary import (
    ABANDONED,
    INACTIVITY_WINDOW,  # noqa: F401 (re-exported)
)
from cxm_store import sentiment
from cxm_store.conversation_outcomes import (  # noqa: F401 (re-exported: callers import them from here)
    close_conversation,
    close_idle_conversations,
    set_outcome,
)
from cxm_store.db import session_factory, utc_naive
from cxm_store.follow_ups import on_customer_sentiment
from cxm_store.metric_counters import count_topic
from cxm_store.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    Message,
)
from cxm_store.pii import mask_pii


def record_customer_message(
    channel: str,
    external_id: str,
    text: str,
    at: datetime,
    language: Optional[str],
    intent: Optional[str] = None,
    topics: Sequence[str] = (),
    confidence: Optional[float] = None,
    is_fallback: bool = False,
    engine: Engine = None,
    inactivity: timedelta = INACTIVITY_WINDOW,
    dedupe: bool = False,
) -> int:
    """Store what a customer said and return the id of the conversation it belongs to.

    The customer is found by their identity on the channel (and created on
    first contact). Their open conversation (``ended_at`` NULL) on that
    channel continues, whatever its outcome so far, unless it has been idle
    longer than ``inactivity``: then it is closed (ended at its last activity,
    outcome kept or ``abandoned``) and a new one is opened.

    The message's sentiment (:func:`cxm_store.sentiment.score` of the masked
    text) is stored with it and added to the conversation's sentiment counters.

    Args:
        channel: Where the message came from (``web``, ``rest``, ``telegram``...).
        external_id: The customer's id on that channel (session id, user id).
        text: The message as typed; PII is masked before it is stored.
        at: When it was received (aware, or naive UTC).
        language: Detected language (``id``/``en``); the latest one wins.
        intent: Predicted intent, kept on the message.
        topics: Business topics the message raised (``faq/returns``), the
            reason the customer came first: the conversation's first real
            topic becomes its primary one. Defaults to ``intent``.
        confidence: Intent confidence.
        is_fallback: Whether the bot could not understand the message.
        engine: Store engine (default: the configured one).
        inactivity: Idle time after which a conversation counts as abandoned.
        dedupe: If this customer already has this very message (same channel,
            time and masked text), store nothing and return its conversation.
            For replaying writes that may have been committed already.

    Returns:
        The conversation id.
    """
    at = utc_naive(at)
    topics = tuple(topics) or ((intent,) if intent else ())
    masked = mask_pii(text)
    # Scored before the transaction: the classifier needs no lock.
    felt = sentiment.score(masked)
    # A first message from a new identity may race with a second one; the
    # unique (channel, external_id) rejects the loser, which then just retries
    # and finds the customer the winner created.
    for attempt in (1, 2):
        try:
            with session_factory(engine)() as session, session.begin():
                customer_id = _customer_for(session, channel, external_id, at)
                if dedupe:
                    stored = session.scalar(
                        select(Message.conversation_id)
                        .join(Conversation, Conversation.id == Message.conversation_id)
                        .where(
                            Conversation.customer_id == customer_id,
                            Conversation.channel == channel,
                            Message.at == at,
                            Message.sender == "customer",
                            Message.text == masked,
                        )
                        .limit(1)
                    )
                    if stored is not None:
                        return stored
                conversation = _current_conversation(session, customer_id, channel, at, inactivity)
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        at=at,
                        sender="customer",
                        text=masked,
                        intent=intent,
                        confidence=confidence,
                        is_fallback=is_fallback,
                        sentiment=felt and felt.label,
                        sentiment_score=felt and felt.score,
                    )
                )
                conversation.customer_message_count += 1
                conversation.fallback_count += 1 if is_fallback else 0
                if felt is not None:
                    conversation.sentiment_count += 1
                    conversation.sentiment_sum += felt.score
                    conversation.negative_messages += 1 if felt.label == "negative" else 0
                    on_customer_sentiment(session, conversation, felt.score, at)
                conversation.last_activity_at = max(conversation.last_activity_at, at)
                if language:
                    conversation.language = language
                for topic in () if is_fallback else topics:
                    count_topic(session, conversation, topic, at)
                return conversation.id
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def record_bot_message(
    conversation_id: int,
    text: str,
    at: datetime,
    sender: str = "bot",
    engine: Engine = None,
    dedupe: bool = False,
) -> int:
    """Store a reply from the bot (or, with ``sender="agent"``, a human agent).

    Args:
        dedupe: If the conversation already has this very message (same
            sender, time and masked text), store nothing and return its id.

    Returns:
        The message id.
    """
    if sender not in ("bot", "agent"):
        raise ValueError(f"sender must be 'bot' or 'agent', not {sender!r}")
    at = utc_naive(at)
    masked = mask_pii(text, written_by_staff=True)
    counter = "bot_message_count" if sender == "bot" else "agent_message_count"
    with session_factory(engine)() as session, session.begin():
        conversation = session.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        if dedupe:
            stored = session.scalar(
                select(Message.id).where(
                    Message.conversation_id == conversation_id,
                    Message.at == at,
                    Message.sender == sender,
                    Message.text == masked,
                )
            )
            if stored is not None:
                return stored
        message = Message(conversation_id=conversation_id, at=at, sender=sender, text=masked)
        session.add(message)
        setattr(conversation, counter, getattr(conversation, counter) + 1)
        conversation.last_activity_at = max(conversation.last_activity_at, at)
        session.flush()
        return message.id


def open_conversation_for(
    external_id: str, channel: Optional[str] = None, engine: Engine = None
) -> Optional[int]:
    """The latest open conversation of the customer known as ``external_id``, or None.

    With ``channel`` None, the identity is looked up on every channel (for a
    caller that knows a sender id but not where it came from).
    """
    query = (
        select(Conversation.id)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
        .where(
            CustomerIdentity.external_id == external_id,
            Conversation.channel == CustomerIdentity.channel,
            Conversation.ended_at.is_(None),
        )
        .order_by(Conversation.last_activity_at.desc())
        .limit(1)
    )
    if channel is not None:
        query = query.where(CustomerIdentity.channel == channel)
    with session_factory(engine)() as session:
        return session.scalar(query)


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
            Conversation.ended_at.is_(None),
        )
        .order_by(Conversation.started_at.desc())
        .limit(1)
        .with_for_update()
    )
    if conversation is not None and at - conversation.last_activity_at <= inactivity:
        return conversation
    if conversation is not None:
        # Idle too long: it ends when the customer was last heard from, with
        # the outcome the flow gave it, or as abandoned.
        conversation.outcome = conversation.outcome or ABANDONED
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

"""What an agent sees of a handed-over conversation: the customer's address, context, transcript."""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine

from contract.vocabulary import (
    CSAT,
    ORDER_NUMBER_IN_TEXT,
)
from cxm_store.channels import push_channel
from cxm_store.db import session_factory
from cxm_store.errors import NotFound
from cxm_store.models import (
    Conversation,
    ConversationTopic,
    CustomerIdentity,
    Handoff,
    Message,
    SurveyAnswer,
)
from cxm_store.orders import normalise_order_id

EARLIER_CONVERSATIONS = 10


# --- What the agent sees of a conversation -------------------------------------------


@dataclass(frozen=True)
class CustomerAddress:
    """Where a reply to a conversation's customer goes."""

    conversation_id: int
    channel: str
    sender_id: Optional[str]
    rasa_channel: Optional[str]


def customer_address(conversation_id: int, engine: Engine = None) -> CustomerAddress:
    """The customer's Rasa sender id and output channel for a conversation.

    ``rasa_channel`` is None on channels that cannot receive a pushed message
    (``rest``).
    """
    with session_factory(engine)() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id}")
        sender_id = session.scalar(
            select(CustomerIdentity.external_id)
            .where(
                CustomerIdentity.customer_id == conversation.customer_id,
                CustomerIdentity.channel == conversation.channel,
            )
            .order_by(CustomerIdentity.id.desc())
            .limit(1)
        )
        return CustomerAddress(
            conversation_id, conversation.channel, sender_id, push_channel(conversation.channel)
        )


def get_handoff(handoff_id: int, engine: Engine = None) -> Dict:
    """The handoff's columns as a dict (LookupError if none)."""
    with session_factory(engine)() as session:
        handoff = session.get(Handoff, handoff_id)
        if handoff is None:
            raise NotFound(f"no handoff {handoff_id}")
        return {c.name: getattr(handoff, c.name) for c in Handoff.__table__.columns}


def find_order_number(texts: List[str]) -> Optional[str]:
    """The last order number mentioned in ``texts``, in canonical form, or None."""
    for text in reversed(texts):
        for found in reversed(list(ORDER_NUMBER_IN_TEXT.finditer(text or ""))):
            canonical = normalise_order_id(found.group(0))
            if canonical:
                return canonical
    return None


@dataclass
class ConversationContext:
    """Everything the console shows beside a transcript."""

    conversation_id: int
    channel: str
    language: Optional[str]
    started_at: datetime
    outcome: Optional[str]
    primary_topic: Optional[str]
    topics: List[str]
    order_number: Optional[str]
    transcript: List[Dict]
    earlier: List[Dict]
    handoffs: List[Dict] = field(default_factory=list)


def messages_since(conversation_id: int, after_id: int = 0, engine: Engine = None) -> List[Dict]:
    """Transcript lines (already PII-masked) of a conversation with id > ``after_id``, in order."""
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Message.id, Message.at, Message.sender, Message.text)
            .where(Message.conversation_id == conversation_id, Message.id > after_id)
            .order_by(Message.at, Message.id)
        ).all()
    return [{"id": r.id, "at": r.at, "sender": r.sender, "text": r.text} for r in rows]


def conversation_context(conversation_id: int, engine: Engine = None) -> ConversationContext:
    """Language, channel, topics, order number, transcript and the customer's history.

    ``earlier`` lists the customer's previous conversations (any channel),
    newest first, with their outcome, CSAT score (the last answered one) and
    the agent who handled them.
    """
    with session_factory(engine)() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id}")
        topics = list(
            session.scalars(
                select(ConversationTopic.topic)
                .where(ConversationTopic.conversation_id == conversation_id)
                .order_by(ConversationTopic.first_seen_at, ConversationTopic.id)
            )
        )
        csat = (
            select(SurveyAnswer.score)
            .where(
                SurveyAnswer.conversation_id == Conversation.id,
                SurveyAnswer.kind == CSAT,
                SurveyAnswer.status == "answered",
            )
            .order_by(SurveyAnswer.answered_at.desc())
            .limit(1)
            .correlate(Conversation)
            .scalar_subquery()
        )
        earlier = [
            {
                "conversation_id": r.id,
                "started_at": r.started_at,
                "channel": r.channel,
                "outcome": r.outcome,
                "topic": r.primary_topic,
                "agent": r.agent,
                CSAT: r.csat,
            }
            for r in session.execute(
                select(
                    Conversation.id,
                    Conversation.started_at,
                    Conversation.channel,
                    Conversation.outcome,
                    Conversation.primary_topic,
                    Conversation.agent,
                    csat.label(CSAT),
                )
                .where(
                    Conversation.customer_id == conversation.customer_id,
                    Conversation.id != conversation_id,
                    Conversation.started_at <= conversation.started_at,
                )
                .order_by(Conversation.started_at.desc(), Conversation.id.desc())
                .limit(EARLIER_CONVERSATIONS)
            )
        ]
        handoffs = [
            {c.name: getattr(h, c.name) for c in Handoff.__table__.columns}
            for h in session.scalars(
                select(Handoff)
                .where(Handoff.conversation_id == conversation_id)
                .order_by(Handoff.requested_at)
            )
        ]
        context = ConversationContext(
            conversation_id=conversation.id,
            channel=conversation.channel,
            language=conversation.language,
            started_at=conversation.started_at,
            outcome=conversation.outcome,
            primary_topic=conversation.primary_topic,
            topics=topics,
            order_number=None,
            transcript=[],
            earlier=earlier,
            handoffs=handoffs,
        )
    context.transcript = messages_since(conversation_id, 0, engine=engine)
    context.order_number = find_order_number(
        [m["text"] for m in context.transcript if m["sender"] == "customer"]
    )
    return context

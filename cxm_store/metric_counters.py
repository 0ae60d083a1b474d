"""The conversation's metric counters, kept current by the facts that move them.

The metrics read counters on ``conversations`` (and the daily rollups the
database keeps from them) instead of scanning messages, surveys and handoffs.
Every counter is changed here and only here, in the transaction of the fact
that moves it, so a reader finds in one page what a handoff request, a survey
row or a customer's topic adds to the figures:

* a handoff request sets ``has_handoff``;
* a survey row adds its tally (``models.survey_tally``) to ``survey_*``,
  ``csat_*``, ``ces_*`` and ``nps_*``;
* a conversation's first non-small-talk topic becomes its primary topic and
  keeps ``repeat_within_7d`` (first-contact resolution) current on both sides.
"""
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contract.vocabulary import SMALL_TALK_INTENTS
from cxm_store.models import SURVEY_COUNTERS, Conversation, ConversationTopic

# A conversation followed within this window by another one of the same
# customer with the same primary topic is no first-contact resolution.
REPEAT_CONTACT_WINDOW = timedelta(days=7)


def is_chitchat(topic: str) -> bool:
    """Return True for small-talk topics (``greet``, ``thanks``...): never a primary topic."""
    return topic in SMALL_TALK_INTENTS


def count_handoff(session: Session, conversation_id: int) -> None:
    """Set the conversation's ``has_handoff`` counter, in the caller's transaction."""
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.has_handoff.is_(False))
        .values(has_handoff=True)
        .execution_options(synchronize_session=False)
    )


def count_survey(session: Session, conversation_id: int, deltas: tuple) -> None:
    """Add ``deltas`` (``SURVEY_COUNTERS`` order) to the conversation's survey tallies.

    An UPDATE of ``column = column + n``, in the caller's transaction, so
    concurrent writes to the same conversation never lose a count.
    """
    changes = {
        name: getattr(Conversation, name) + delta
        for name, delta in zip(SURVEY_COUNTERS, deltas)
        if delta
    }
    if changes:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(changes)
            .execution_options(synchronize_session=False)
        )


def count_topic(session: Session, conversation: Conversation, topic: str, at: datetime) -> None:
    """Note that the conversation touched ``topic``; the first real one becomes its primary topic."""
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
        _count_repeat(session, conversation)


def _count_repeat(session: Session, conversation: Conversation) -> None:
    """Keep ``repeat_within_7d`` (FCR) current once ``conversation`` has its primary topic.

    Both directions: the customer's earlier conversations with that topic
    started at most 7 days before this one are now repeated; and this one is
    repeated if a later one with the topic already exists (an import, or a
    primary topic found late). Served by ix_conversations_customer_topic_started.
    """
    same = (
        Conversation.customer_id == conversation.customer_id,
        Conversation.primary_topic == conversation.primary_topic,
        Conversation.id != conversation.id,
    )
    start = conversation.started_at
    session.execute(
        update(Conversation)
        .where(
            *same,
            Conversation.started_at < start,
            Conversation.started_at >= start - REPEAT_CONTACT_WINDOW,
            Conversation.repeat_within_7d.is_(False),
        )
        .values(repeat_within_7d=True)
        .execution_options(synchronize_session=False)
    )
    later = session.scalar(
        select(Conversation.id)
        .where(
            *same,
            Conversation.started_at > start,
            Conversation.started_at <= start + REPEAT_CONTACT_WINDOW,
        )
        .limit(1)
    )
    if later is not None:
        conversation.repeat_within_7d = True

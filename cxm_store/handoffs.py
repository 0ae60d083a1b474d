"""Handing a conversation over to a human agent: queue, claim, first reply, resolution.

Life of a handoff (``handoffs.status``)::

    requested --claim--> claimed --resolve--> resolved
    ticket       (left as a message when nobody could take it: out of hours
                  or no agent online; the team answers it later)

Claiming is atomic (``UPDATE ... WHERE status = 'requested'``), so when two
agents click at once exactly one wins. Timestamps are naive UTC, as in every
table of the store. Everything here is plain values in, plain values out: the
bot's actions and the agent console both use it.
"""
import statistics
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Engine

from contract.vocabulary import (
    CLAIMED,
    CSAT,
    ORDER_NUMBER_IN_TEXT,
    REASON_LEFT_MESSAGE,
    REQUESTED,
    RESOLVED,
    TICKET,
)
from cxm_store.channels import push_channel
from cxm_store.db import session_factory, utc_naive
from cxm_store.models import (
    Conversation,
    ConversationTopic,
    CustomerIdentity,
    Handoff,
    HandoffTicket,
    Message,
    SurveyAnswer,
    User,
)
from cxm_store.orders import normalise_order_id
from cxm_store.pii import mask_pii

DEFAULT_WAIT_SECONDS = 300
WAIT_SAMPLE = 20
ONLINE_WINDOW = timedelta(seconds=60)
EARLIER_CONVERSATIONS = 10


# --- Requests, claims, replies, resolution ----------------------------------------


def request_handoff(
    conversation_id: int, at: datetime, reason: Optional[str] = None, engine: Engine = None
) -> int:
    """Open a handoff request for a conversation and return its id.

    A conversation that already waits in the queue (or is with an agent)
    keeps its request: its id is returned and no second one is opened.
    """
    with session_factory(engine)() as session, session.begin():
        if session.get(Conversation, conversation_id) is None:
            raise LookupError(f"no conversation {conversation_id}")
        existing = session.scalar(
            select(Handoff.id).where(
                Handoff.conversation_id == conversation_id,
                Handoff.status.in_((REQUESTED, CLAIMED)),
            )
        )
        if existing is not None:
            return existing
        handoff = Handoff(
            conversation_id=conversation_id,
            reason=reason,
            requested_at=utc_naive(at),
            status=REQUESTED,
        )
        session.add(handoff)
        session.flush()
        _note_handoff(session, conversation_id)
        return handoff.id


def _note_handoff(session, conversation_id: int) -> None:
    """Set the conversation's ``has_handoff`` counter (metrics), in the caller's transaction."""
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.has_handoff.is_(False))
        .values(has_handoff=True)
        .execution_options(synchronize_session=False)
    )


def claim_handoff(handoff_id: int, agent: str, at: datetime, engine: Engine = None) -> bool:
    """Give a waiting handoff to ``agent``; return True if this agent won it.

    One conditional UPDATE, so of several agents claiming at once exactly one
    gets True; the others get False and the handoff stays with the winner.

    Raises:
        LookupError: No such handoff.
    """
    at = utc_naive(at)
    with session_factory(engine)() as session, session.begin():
        won = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status == REQUESTED)
            .values(status=CLAIMED, agent=agent, claimed_at=at)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if not won:
            if session.get(Handoff, handoff_id) is None:
                raise LookupError(f"no handoff {handoff_id}")
            return False
        conversation_id = session.scalar(
            select(Handoff.conversation_id).where(Handoff.id == handoff_id)
        )
        session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(agent=agent)
        )
        return True


def record_first_agent_reply(handoff_id: int, at: datetime, engine: Engine = None) -> bool:
    """Record the agent's first reply, unless one was recorded already.

    Returns:
        True if this was the first reply.
    """
    with session_factory(engine)() as session, session.begin():
        _get(session, handoff_id)
        first = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.first_agent_reply_at.is_(None))
            .values(first_agent_reply_at=utc_naive(at))
            .execution_options(synchronize_session=False)
        )
        return first.rowcount == 1


def resolve_handoff(
    handoff_id: int, at: datetime, engine: Engine = None, agent: Optional[str] = None
) -> bool:
    """Record that the customer's issue was resolved.

    Args:
        handoff_id: The handoff.
        at: When.
        engine: Store engine (default: the configured one).
        agent: When given, only this agent's claimed handoff is resolved.

    Returns:
        True if it was open (requested or claimed) and is now resolved; False
        if it was already resolved, a ticket, or claimed by someone else.
    """
    conditions = [Handoff.id == handoff_id, Handoff.status.in_((REQUESTED, CLAIMED))]
    if agent is not None:
        conditions += [Handoff.status == CLAIMED, Handoff.agent == agent]
    with session_factory(engine)() as session, session.begin():
        _get(session, handoff_id)
        done = session.execute(
            update(Handoff)
            .where(*conditions)
            .values(status=RESOLVED, resolved_at=utc_naive(at))
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1


def leave_message(
    conversation_id: int, contact: str, message: str, at: datetime, engine: Engine = None
) -> int:
    """Turn the customer's request into a ticket the team answers later; return the handoff id.

    Used out of business hours or when no agent is online. A waiting request
    of the conversation becomes the ticket (it leaves the live queue);
    otherwise a new ``ticket`` handoff is opened.

    Args:
        conversation_id: The customer's conversation.
        contact: How to reach them back (e-mail, phone): kept as given.
        message: What they need; PII-masked like the transcript.
        at: When they left it.
        engine: Store engine (default: the configured one).
    """
    contact = (contact or "").strip()
    if not contact:
        raise ValueError("a contact is required to answer a ticket")
    at = utc_naive(at)
    with session_factory(engine)() as session, session.begin():
        if session.get(Conversation, conversation_id) is None:
            raise LookupError(f"no conversation {conversation_id}")
        handoff = session.scalar(
            select(Handoff)
            .where(Handoff.conversation_id == conversation_id, Handoff.status == REQUESTED)
            .order_by(Handoff.requested_at)
            .limit(1)
            .with_for_update()
        )
        if handoff is None:
            handoff = Handoff(
                conversation_id=conversation_id, reason=REASON_LEFT_MESSAGE, requested_at=at
            )
            session.add(handoff)
        handoff.status = TICKET
        session.flush()
        _note_handoff(session, conversation_id)
        session.add(
            HandoffTicket(
                handoff_id=handoff.id,
                contact=contact[:200],
                message=mask_pii(message or ""),
                created_at=at,
            )
        )
        return handoff.id


def open_tickets(engine: Engine = None, limit: int = 200) -> List[Dict]:
    """Handoffs left as messages (status ``ticket``), newest first, with contact and message."""
    with session_factory(engine)() as session:
        rows = session.execute(
            select(
                Handoff.id, Handoff.conversation_id, HandoffTicket.contact,
                HandoffTicket.message, HandoffTicket.created_at,
            )
            .join(HandoffTicket, HandoffTicket.handoff_id == Handoff.id)
            .where(Handoff.status == TICKET)
            .order_by(HandoffTicket.created_at.desc())
            .limit(limit)
        ).all()
    return [
        {
            "handoff_id": r.id,
            "conversation_id": r.conversation_id,
            "contact": r.contact,
            "message": r.message,
            "created_at": r.created_at,
        }
        for r in rows
    ]


def _get(session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id, with_for_update=True)
    if handoff is None:
        raise LookupError(f"no handoff {handoff_id}")
    return handoff


# --- The queue ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    """A handoff in the live queue, or claimed by an agent, with what the console shows."""

    handoff_id: int
    conversation_id: int
    status: str
    position: Optional[int]
    requested_at: datetime
    waiting_seconds: float
    reason: Optional[str]
    channel: str
    language: Optional[str]
    topic: Optional[str]
    first_customer_message: Optional[str]
    agent: Optional[str] = None
    claimed_at: Optional[datetime] = None
    last_message_id: Optional[int] = None


def _entries(session, where, now: datetime) -> List[QueueEntry]:
    first_message = (
        select(Message.text)
        .where(Message.conversation_id == Handoff.conversation_id, Message.sender == "customer")
        .order_by(Message.at, Message.id)
        .limit(1)
        .correlate(Handoff)
        .scalar_subquery()
    )
    last_message = (
        select(func.max(Message.id))
        .where(Message.conversation_id == Handoff.conversation_id)
        .correlate(Handoff)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Handoff.id,
            Handoff.conversation_id,
            Handoff.status,
            Handoff.requested_at,
            Handoff.reason,
            Handoff.agent,
            Handoff.claimed_at,
            Conversation.channel,
            Conversation.language,
            Conversation.primary_topic,
            first_message.label("first_message"),
            last_message.label("last_message_id"),
        )
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(where)
        .order_by(Handoff.requested_at, Handoff.id)
    ).all()
    entries = []
    for index, row in enumerate(rows, start=1):
        entries.append(
            QueueEntry(
                handoff_id=row.id,
                conversation_id=row.conversation_id,
                status=row.status,
                position=index if row.status == REQUESTED else None,
                requested_at=row.requested_at,
                waiting_seconds=max(0.0, (now - row.requested_at).total_seconds()),
                reason=row.reason,
                channel=row.channel,
                language=row.language,
                topic=row.primary_topic,
                first_customer_message=row.first_message,
                agent=row.agent,
                claimed_at=row.claimed_at,
                last_message_id=row.last_message_id,
            )
        )
    return entries


def waiting_queue(now: Optional[datetime] = None, engine: Engine = None) -> List[QueueEntry]:
    """Handoffs waiting for an agent, oldest request first, with 1-based positions."""
    now = utc_naive(now or datetime.utcnow())
    with session_factory(engine)() as session:
        return _entries(session, Handoff.status == REQUESTED, now)


def agent_conversations(
    agent: str, now: Optional[datetime] = None, engine: Engine = None
) -> List[QueueEntry]:
    """Handoffs ``agent`` has claimed and not yet resolved ("My conversations")."""
    now = utc_naive(now or datetime.utcnow())
    with session_factory(engine)() as session:
        return _entries(session, and_(Handoff.status == CLAIMED, Handoff.agent == agent), now)


def queue_position(conversation_id: int, engine: Engine = None) -> Optional[int]:
    """1-based place of the conversation's waiting request in the queue, or None if not waiting."""
    with session_factory(engine)() as session:
        mine = session.execute(
            select(Handoff.id, Handoff.requested_at)
            .where(Handoff.conversation_id == conversation_id, Handoff.status == REQUESTED)
            .order_by(Handoff.requested_at)
            .limit(1)
        ).first()
        if mine is None:
            return None
        ahead = session.scalar(
            select(func.count(Handoff.id)).where(
                Handoff.status == REQUESTED,
                (Handoff.requested_at < mine.requested_at)
                | and_(Handoff.requested_at == mine.requested_at, Handoff.id < mine.id),
            )
        )
        return ahead + 1


def estimated_wait_seconds(
    engine: Engine = None, sample: int = WAIT_SAMPLE, default: float = DEFAULT_WAIT_SECONDS
) -> float:
    """Median wait (request to claim) of the last ``sample`` claimed handoffs, or ``default``."""
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Handoff.requested_at, Handoff.claimed_at)
            .where(Handoff.claimed_at.is_not(None))
            .order_by(Handoff.claimed_at.desc())
            .limit(sample)
        ).all()
    waits = [(row.claimed_at - row.requested_at).total_seconds() for row in rows]
    return float(statistics.median(waits)) if waits else float(default)


def agents_online(now: datetime, engine: Engine = None) -> List[str]:
    """Usernames of active console users marked available and seen in the last 60 s."""
    since = utc_naive(now) - ONLINE_WINDOW
    with session_factory(engine)() as session:
        return list(
            session.scalars(
                select(User.username)
                .where(
                    User.active.is_(True),
                    User.available.is_(True),
                    User.last_seen_at >= since,
                )
                .order_by(User.username)
            )
        )


def parse_business_hours(spec: str) -> Tuple[time, time]:
    """``"08:00-21:00"`` -> (08:00, 21:00). An end before the start spans midnight."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in spec.split("-"))
    except ValueError:
        raise ValueError(f"business hours must look like 08:00-21:00, not {spec!r}") from None
    return start, end


def within_business_hours(now: datetime, settings) -> bool:
    """Return True if ``now`` falls in ``settings.business_hours`` in ``settings.timezone``.

    ``now`` is aware, or naive UTC like every stored time. The start is
    included, the end excluded; ``22:00-06:00`` spans midnight.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo("UTC"))
    local = now.astimezone(ZoneInfo(settings.timezone)).time().replace(tzinfo=None)
    start, end = parse_business_hours(settings.business_hours)
    if start <= end:
        return start <= local < end
    return local >= start or local < end


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
            raise LookupError(f"no conversation {conversation_id}")
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
            raise LookupError(f"no handoff {handoff_id}")
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
            raise LookupError(f"no conversation {conversation_id}")
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

"""The handoff queue: who waits, in which place, how long, and whether anybody can take them."""
import statistics
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from contract.dialogue import FALLBACK_INTENT
from contract.vocabulary import (
    CLAIMED,
    REQUESTED,
    SMALL_TALK_INTENTS,
)
from cxm_store.db import session_factory, utc_naive
from cxm_store.models import (
    Conversation,
    Handoff,
    Message,
    User,
)

DEFAULT_WAIT_SECONDS = 300  # told to the first customers, before any handoff was claimed
WAIT_SAMPLE = 20
ONLINE_WINDOW = timedelta(seconds=60)
# Messages that do not say why the customer came ("halo kak", "ok"), skipped
# for the queue card's text. One the bot did not understand is kept: it may
# be the problem in the customer's own words.
_NOT_WHY_THEY_CAME = sorted(SMALL_TALK_INTENTS - {FALLBACK_INTENT})


# --- The queue ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    """A handoff in the live queue, or claimed by an agent, with what the console shows.

    ``opening_request`` is the customer's first message that says why they
    came (a greeting or a thanks before it is skipped), else their first message.
    """

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
    opening_request: Optional[str]
    agent: Optional[str] = None
    claimed_at: Optional[datetime] = None
    last_message_id: Optional[int] = None


def _first_customer_text(*conditions):
    return (
        select(Message.text)
        .where(Message.conversation_id == Handoff.conversation_id, Message.sender == "customer", *conditions)
        .order_by(Message.at, Message.id)
        .limit(1)
        .correlate(Handoff)
        .scalar_subquery()
    )


def _entries(session, where, now: datetime) -> List[QueueEntry]:
    opening_request = func.coalesce(
        _first_customer_text(or_(Message.intent.is_(None), Message.intent.notin_(_NOT_WHY_THEY_CAME))),
        _first_customer_text(),
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
            opening_request.label("opening_request"),
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
                opening_request=row.opening_request,
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

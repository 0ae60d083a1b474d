"""The closed loop: every unhappy customer becomes a follow-up someone owns until it is closed.

A conversation opens one follow-up (the first trigger wins) when the customer
gives a CSAT of 1-2, an NPS of 0-6, answers that the issue was not resolved,
or writes a strongly negative message. It is written in the same transaction
as what triggered it, by the store's write path, so capture and the console
open follow-ups alike. It is due ``ServiceLevels.follow_up`` of business
time later; its owner is the agent who served the conversation, else nobody
until a lead or agent takes it; it collects notes and is closed with an
outcome: ``reached`` (talked to the customer), ``resolved`` (and fixed it) or
``unreachable`` (could not reach them).
"""
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contract.vocabulary import CSAT
from cxm_store.business_time import add_business_time
from cxm_store.db import session_factory, utc_naive
from cxm_store.journey_models import FOLLOW_UP_OUTCOMES, FollowUp, FollowUpNote
from cxm_store.models import Conversation
from cxm_store.pii import mask_pii
from cxm_store.service_levels import ServiceLevels


def unhappy_reason(kind: str, status: str, score: Optional[int]) -> Optional[str]:
    """The follow-up reason a survey answer gives, or None for a content customer."""
    if status != "answered" or score is None:
        return None
    if kind == CSAT and score <= 2:
        return CSAT
    if kind == "nps" and score <= 6:
        return "nps"
    if kind == "resolved" and score == 0:
        return "unresolved"
    return None


def open_follow_up(
    session: Session, conversation: Conversation, reason: str, score: Optional[int],
    at: datetime, levels: Optional[ServiceLevels] = None,
) -> Optional[int]:
    """Open the conversation's follow-up in the caller's transaction; None if it has one.

    A savepoint keeps a concurrent opener's unique-key violation from
    spoiling the caller's transaction (the other one's follow-up stands).
    """
    session.flush()  # a conversation opened in this transaction gets its id
    exists = session.scalar(
        select(FollowUp.id).where(FollowUp.conversation_id == conversation.id)
    )
    if exists is not None:
        return None
    levels = levels or ServiceLevels()
    at = utc_naive(at)
    follow_up = FollowUp(
        conversation_id=conversation.id, customer_id=conversation.customer_id, reason=reason,
        score=score, opened_at=at, owner=conversation.agent,
        due_at=add_business_time(at, levels.follow_up, levels.business_hours, levels.timezone),
    )
    try:
        with session.begin_nested():
            session.add(follow_up)
    except IntegrityError:  # the unique key: someone opened it meanwhile
        return None
    return follow_up.id


def on_survey_answer(
    session: Session, conversation: Conversation, kind: str, status: str,
    score: Optional[int], at: datetime,
) -> Optional[int]:
    """Open a follow-up if this survey answer says the customer is unhappy."""
    reason = unhappy_reason(kind, status, score)
    if reason is None:
        return None
    return open_follow_up(session, conversation, reason, score, at)


def on_customer_sentiment(
    session: Session, conversation: Conversation, sentiment_score: Optional[float], at: datetime,
) -> Optional[int]:
    """Open a follow-up if a customer message reads strongly negative."""
    levels = ServiceLevels()
    if sentiment_score is None or sentiment_score > levels.strongly_negative:
        return None
    return open_follow_up(session, conversation, "negative", None, at, levels)


# --- Working a follow-up -----------------------------------------------------


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up as the console lists it."""

    id: int
    conversation_id: int
    customer_id: int
    channel: str
    reason: str
    score: Optional[int]
    opened_at: datetime
    due_at: datetime
    owner: Optional[str]
    closed_at: Optional[datetime]
    outcome: Optional[str]
    closed_by: Optional[str]
    breached: bool
    notes: tuple = ()


def _view(row: FollowUp, channel: str, now: datetime, notes: tuple = ()) -> FollowUpView:
    finished = row.closed_at or now
    return FollowUpView(
        id=row.id, conversation_id=row.conversation_id, customer_id=row.customer_id,
        channel=channel, reason=row.reason, score=row.score, opened_at=row.opened_at,
        due_at=row.due_at, owner=row.owner, closed_at=row.closed_at, outcome=row.outcome,
        closed_by=row.closed_by, breached=finished > row.due_at, notes=notes,
    )


def list_follow_ups(
    now: datetime, open_only: bool = True, owner: Optional[str] = None,
    customer_id: Optional[int] = None, engine: Engine = None,
) -> List[FollowUpView]:
    """Follow-ups, the most overdue first; ``breached``: past due (or closed late)."""
    now = utc_naive(now)
    query = select(FollowUp, Conversation.channel).join(
        Conversation, Conversation.id == FollowUp.conversation_id
    )
    if open_only:
        query = query.where(FollowUp.closed_at.is_(None))
    if owner is not None:
        query = query.where(FollowUp.owner == owner)
    if customer_id is not None:
        query = query.where(FollowUp.customer_id == customer_id)
    with session_factory(engine)() as session:
        rows = session.execute(query.order_by(FollowUp.due_at, FollowUp.id)).all()
        return [_view(row, channel, now) for row, channel in rows]


def follow_up(follow_up_id: int, now: datetime, engine: Engine = None) -> Optional[FollowUpView]:
    """One follow-up with its notes (oldest first), or None."""
    with session_factory(engine)() as session:
        found = session.execute(
            select(FollowUp, Conversation.channel)
            .join(Conversation, Conversation.id == FollowUp.conversation_id)
            .where(FollowUp.id == follow_up_id)
        ).first()
        if found is None:
            return None
        notes = session.execute(
            select(FollowUpNote.author, FollowUpNote.at, FollowUpNote.text)
            .where(FollowUpNote.follow_up_id == follow_up_id)
            .order_by(FollowUpNote.at, FollowUpNote.id)
        ).all()
        return _view(found[0], found[1], utc_naive(now), tuple(tuple(n) for n in notes))


def assign(follow_up_id: int, owner: str, engine: Engine = None) -> bool:
    """Give an open follow-up to ``owner``; False if it is closed or unknown."""
    with session_factory(engine)() as session, session.begin():
        row = session.get(FollowUp, follow_up_id)
        if row is None or row.closed_at is not None:
            return False
        row.owner = owner
        return True


def add_note(follow_up_id: int, author: str, text: str, at: datetime, engine: Engine = None) -> int:
    """Add a note (personal data masked like every stored text); return its id."""
    if not text.strip():
        raise ValueError("a note needs text")
    with session_factory(engine)() as session, session.begin():
        if session.get(FollowUp, follow_up_id) is None:
            raise LookupError(f"no follow-up {follow_up_id}")
        note = FollowUpNote(follow_up_id=follow_up_id, author=author, at=utc_naive(at),
                            text=mask_pii(text.strip()))
        session.add(note)
        session.flush()
        return note.id


def close(follow_up_id: int, outcome: str, by: str, at: datetime, engine: Engine = None) -> bool:
    """Close an open follow-up with its outcome; False if already closed or unknown.

    Raises:
        ValueError: An outcome other than reached, resolved or unreachable.
    """
    if outcome not in FOLLOW_UP_OUTCOMES:
        raise ValueError(f"outcome must be one of {FOLLOW_UP_OUTCOMES}, not {outcome!r}")
    with session_factory(engine)() as session, session.begin():
        row = session.get(FollowUp, follow_up_id)
        if row is None or row.closed_at is not None:
            return False
        row.closed_at, row.outcome, row.closed_by = utc_naive(at), outcome, by
        row.owner = row.owner or by
        return True

"""How a conversation turned out, and ending it: outcomes by rank, closing, idle conversations."""
from datetime import datetime, timedelta
from typing import List

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from contract.vocabulary import (
    ABANDONED,
    INACTIVITY_WINDOW,
    OUTCOME_RANK,
    OUTCOMES,
    REQUESTED,
)
from cxm_store.db import session_factory, utc_naive
from cxm_store.models import (
    Conversation,
    Handoff,
)


def _stronger_than(outcome: str) -> List[str]:
    # contract.vocabulary.OUTCOME_RANK: a later outcome replaces the current
    # one unless it ranks lower.
    return [o for o, rank in OUTCOME_RANK.items() if rank > OUTCOME_RANK[outcome]]


def _outcome_after(new: str) -> ColumnElement:
    """SQL for the outcome once ``new`` is applied to the stored one."""
    stronger = _stronger_than(new)
    if not stronger:
        return literal(new)
    return case((Conversation.outcome.in_(stronger), Conversation.outcome), else_=literal(new))


def set_outcome(conversation_id: int, outcome: str, engine: Engine = None) -> bool:
    """Record how an open conversation turned out, without ending it.

    The conversation stays open for more messages until it is idle for the
    inactivity window. While open, the outcome may be revised (``resolved``
    <-> ``unresolved``), but ``escalated`` stands against both.

    Args:
        outcome: ``resolved``, ``unresolved`` or ``escalated`` (``abandoned``
            is only given when an idle conversation is closed).

    Returns:
        True if the conversation is open and now has ``outcome``; False if it
        is closed or kept a stronger outcome.
    """
    if outcome not in OUTCOMES or outcome == ABANDONED:
        raise ValueError(
            f"outcome must be resolved, unresolved or escalated, not {outcome!r}"
        )
    stronger = _stronger_than(outcome)
    with session_factory(engine)() as session, session.begin():
        query = update(Conversation).where(
            Conversation.id == conversation_id, Conversation.ended_at.is_(None)
        )
        if stronger:
            query = query.where(
                or_(Conversation.outcome.is_(None), Conversation.outcome.notin_(stronger))
            )
        changed = session.execute(
            query.values(outcome=outcome).execution_options(synchronize_session=False)
        )
        return changed.rowcount == 1


def close_conversation(
    conversation_id: int, outcome: str, at: datetime, engine: Engine = None
) -> bool:
    """End an open conversation now, with ``outcome`` (unless a stronger one is set).

    For an explicit end (an agent closing a conversation); conversations the
    customer just leaves are closed by :func:`close_idle_conversations` or by
    their next message. ``escalated`` already set stands against
    ``resolved``/``unresolved``; ``abandoned`` never replaces a known outcome.

    Returns:
        True if it was open and is now closed; False if it was already closed
        (the first close stands).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    with session_factory(engine)() as session, session.begin():
        closed = session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.ended_at.is_(None))
            .values(outcome=_outcome_after(outcome), ended_at=utc_naive(at))
            .execution_options(synchronize_session=False)
        )
        return closed.rowcount == 1


def close_idle_conversations(
    now: datetime, idle: timedelta = INACTIVITY_WINDOW, engine: Engine = None
) -> int:
    """End every open conversation idle for longer than ``idle``.

    Each is ended at its last activity, not at ``now``: that is when the
    customer left. Its outcome is kept if the flow set one, else it becomes
    ``abandoned``. A handoff still waiting in the queue is ``abandoned`` too:
    the customer left before an agent took it (an agent who claims it keeps
    the conversation active with their replies).

    Returns:
        How many conversations were closed.
    """
    cutoff = utc_naive(now) - idle
    idle_open = (Conversation.ended_at.is_(None), Conversation.last_activity_at < cutoff)
    with session_factory(engine)() as session, session.begin():
        session.execute(
            update(Handoff)
            .where(
                Handoff.status == REQUESTED,
                Handoff.conversation_id.in_(select(Conversation.id).where(*idle_open)),
            )
            .values(status=ABANDONED)
            .execution_options(synchronize_session=False)
        )
        closed = session.execute(
            update(Conversation)
            .where(*idle_open)
            .values(
                outcome=func.coalesce(Conversation.outcome, ABANDONED),
                ended_at=Conversation.last_activity_at,
            )
            .execution_options(synchronize_session=False)
        )
        return closed.rowcount


# The former name, from when every idle conversation ended as abandoned.

"""Handing a conversation over to a human agent: request, claim, first reply, resolution.

A minimal API so that escalations carry their timings; the agent console
feature builds on it.
"""
from datetime import datetime
from typing import Optional

from sqlalchemy.engine import Engine

from cxm_store.db import session_factory, utc_naive
from cxm_store.models import Conversation, Handoff


def request_handoff(
    conversation_id: int, at: datetime, reason: Optional[str] = None, engine: Engine = None
) -> int:
    """Open a handoff request for a conversation and return its id."""
    with session_factory(engine)() as session, session.begin():
        if session.get(Conversation, conversation_id) is None:
            raise LookupError(f"no conversation {conversation_id}")
        handoff = Handoff(
            conversation_id=conversation_id,
            reason=reason,
            requested_at=utc_naive(at),
            status="requested",
        )
        session.add(handoff)
        session.flush()
        return handoff.id


def claim_handoff(handoff_id: int, agent: str, at: datetime, engine: Engine = None) -> None:
    """Record that ``agent`` took the handoff; the conversation is then theirs."""
    with session_factory(engine)() as session, session.begin():
        handoff = _get(session, handoff_id)
        handoff.claimed_at = utc_naive(at)
        handoff.agent = agent
        handoff.status = "claimed"
        session.get(Conversation, handoff.conversation_id).agent = agent


def record_first_agent_reply(handoff_id: int, at: datetime, engine: Engine = None) -> None:
    """Record the agent's first reply, unless one was recorded already."""
    with session_factory(engine)() as session, session.begin():
        handoff = _get(session, handoff_id)
        if handoff.first_agent_reply_at is None:
            handoff.first_agent_reply_at = utc_naive(at)


def resolve_handoff(handoff_id: int, at: datetime, engine: Engine = None) -> None:
    """Record that the agent resolved the customer's issue."""
    with session_factory(engine)() as session, session.begin():
        handoff = _get(session, handoff_id)
        handoff.resolved_at = utc_naive(at)
        handoff.status = "resolved"


def _get(session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id, with_for_update=True)
    if handoff is None:
        raise LookupError(f"no handoff {handoff_id}")
    return handoff

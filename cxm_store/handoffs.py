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
from datetime import datetime
from typing import Dict, List, Optional

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from contract.vocabulary import (
    CLAIMED,
    REASON_LEFT_MESSAGE,
    REQUESTED,
    RESOLVED,
    TICKET,
)
from cxm_store.db import session_factory, utc_naive
from cxm_store.errors import NotFound
from cxm_store.handoff_context import (  # noqa: F401 (re-exported: callers import them here)
    ConversationContext,
    CustomerAddress,
    conversation_context,
    customer_address,
    find_order_number,
    get_handoff,
    messages_since,
)
from cxm_store.handoff_queue import (  # noqa: F401 (re-exported: callers import them here)
    DEFAULT_WAIT_SECONDS,
    ONLINE_WINDOW,
    WAIT_SAMPLE,
    QueueEntry,
    agent_conversations,
    agents_online,
    estimated_wait_seconds,
    parse_business_hours,
    queue_position,
    waiting_queue,
    within_business_hours,
)
from cxm_store.metric_counters import count_handoff
from cxm_store.models import (
    Conversation,
    Handoff,
    HandoffTicket,
)
from cxm_store.pii import mask_pii

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
            raise NotFound(f"no conversation {conversation_id}")
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
        count_handoff(session, conversation_id)
        return handoff.id


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
                raise NotFound(f"no handoff {handoff_id}")
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
            raise NotFound(f"no conversation {conversation_id}")
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
        count_handoff(session, conversation_id)
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
        raise NotFound(f"no handoff {handoff_id}")
    return handoff


"""Working together on a handed-over conversation: agents-only notes and transfers.

A note is written by an agent for the team; a transfer passes a claimed
conversation to another available agent, or back to the queue (keeping the
customer's place), with a note saying why. Both are ``handoff_notes`` rows
shown in the console's transcript and counted on the handoff
(``notes_count``, ``transfers_count``). Nothing here ever reaches the
customer: the console sends customers text only through its reply route.
"""
from datetime import datetime
from typing import Dict, List, Optional

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from contract.vocabulary import CLAIMED, REQUESTED
from cxm_store.console_models import HandoffNote
from cxm_store.db import session_factory, utc_naive
from cxm_store.handoffs import agents_online
from cxm_store.models import Conversation, Handoff
from cxm_store.pii import mask_pii

MAX_NOTE_CHARS = 2000
NOTE, TRANSFER = "note", "transfer"
WAITING, WITH_AGENT = REQUESTED, CLAIMED  # handoff statuses (cxm_store.handoffs)


class TransferRefused(RuntimeError):
    """The conversation cannot be transferred as asked (the message says why)."""


def _clean(text: Optional[str], required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValueError("Write the note first")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"Notes are limited to {MAX_NOTE_CHARS} characters")
    return mask_pii(text)


def add_note(handoff_id: int, author: str, text: str, at: datetime, engine: Engine = None) -> int:
    """Keep an agents-only note on the handoff's conversation; return its id.

    Raises:
        ValueError: Empty or too long.
        LookupError: No such handoff.
    """
    text = _clean(text, required=True)
    with session_factory(engine)() as session, session.begin():
        handoff = session.get(Handoff, handoff_id, with_for_update=True)
        if handoff is None:
            raise LookupError(f"no handoff {handoff_id}")
        note = HandoffNote(
            handoff_id=handoff_id, conversation_id=handoff.conversation_id, at=utc_naive(at),
            kind=NOTE, author=author, text=text,
        )
        session.add(note)
        handoff.notes_count = (handoff.notes_count or 0) + 1
        session.flush()
        return note.id


def transfer(
    handoff_id: int, from_agent: str, to_agent: Optional[str], note: str, at: datetime, engine: Engine = None
) -> None:
    """Pass a conversation ``from_agent`` holds to ``to_agent``, or back to the queue (``None``).

    The new agent must be online and available, and not ``from_agent``.
    Back in the queue the customer keeps their place (their request time).

    Raises:
        TransferRefused: Not claimed by ``from_agent`` (any more), or ``to_agent`` not available.
        ValueError: Note too long.
        LookupError: No such handoff.
    """
    text = _clean(note, required=False)
    at = utc_naive(at)
    if to_agent is not None:
        if to_agent == from_agent:
            raise TransferRefused("You already have this conversation")
        if to_agent not in agents_online(at, engine=engine):
            raise TransferRefused(f"{to_agent} is not available now")
    with session_factory(engine)() as session, session.begin():
        handoff = session.get(Handoff, handoff_id, with_for_update=True)
        if handoff is None:
            raise LookupError(f"no handoff {handoff_id}")
        if handoff.status != WITH_AGENT or handoff.agent != from_agent:
            raise TransferRefused("This conversation is no longer yours to transfer")
        handoff.agent = to_agent
        handoff.status = WITH_AGENT if to_agent else WAITING
        handoff.claimed_at = at if to_agent else None
        handoff.transfers_count = (handoff.transfers_count or 0) + 1
        session.execute(
            update(Conversation).where(Conversation.id == handoff.conversation_id).values(agent=to_agent)
        )
        session.add(
            HandoffNote(
                handoff_id=handoff_id, conversation_id=handoff.conversation_id, at=at, kind=TRANSFER,
                author=from_agent, text=text, from_agent=from_agent, to_agent=to_agent,
            )
        )


def conversation_notes(conversation_id: int, engine: Engine = None) -> List[Dict]:
    """Notes and transfers of a conversation, oldest first."""
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(HandoffNote)
            .where(HandoffNote.conversation_id == conversation_id)
            .order_by(HandoffNote.at, HandoffNote.id)
        ).all()
        return [
            {
                "id": r.id, "handoff_id": r.handoff_id, "at": r.at, "kind": r.kind, "author": r.author,
                "text": r.text, "from_agent": r.from_agent, "to_agent": r.to_agent,
            }
            for r in rows
        ]

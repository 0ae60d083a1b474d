"""What happens in a CX conversation, as typed facts, and the one way they reach the store.

Every writer describes what happened as one of these events and hands it to
:func:`record`: the capture layer (``bot/capture_translation.py``, the only
code that reads Rasa's event dicts) for what customers, the bot and the
surveys said, and the agent console for claims, replies, notes, transfers and
resolutions. So a handoff has one write path whoever moves it, and a reader
finds every kind of fact the store accepts on this page.

The events are plain values (no Rasa, no SQL); what each one means for the
tables and their counters is decided by the store function it is routed to.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Generic, Optional, Tuple, Type, TypeVar, cast

from sqlalchemy.engine import Engine

from contract.vocabulary import BOT, SURVEY_COMMENT
from cxm_store import conversation_outcomes, handoff_notes, handoffs, surveys, touchpoints

Result = TypeVar("Result")


class CXEvent(Generic[Result]):
    """A fact of a conversation; ``Result`` is what :func:`record` returns for it."""


@dataclass(frozen=True)
class CustomerSaid(CXEvent[int]):
    """A customer's message; recorded, it gives the id of the conversation it joined."""

    channel: str
    external_id: str
    text: str
    at: datetime
    language: Optional[str]
    intent: Optional[str] = None
    # The topics it raised, the reason first (empty: its intent).
    topics: Tuple[str, ...] = ()
    confidence: Optional[float] = None
    is_fallback: bool = False


@dataclass(frozen=True)
class ReplySent(CXEvent[int]):
    """A reply to the customer, from the bot or (``sender=AGENT``) a human agent."""

    conversation_id: int
    text: str
    at: datetime
    sender: str = BOT


@dataclass(frozen=True)
class SurveyAsked(CXEvent[int]):
    """A survey question (``kind``) put to the customer, after ``agent``'s help if any."""

    conversation_id: int
    kind: str
    at: datetime
    agent: Optional[str] = None


@dataclass(frozen=True)
class SurveyAnswered(CXEvent[int]):
    """The customer's answer: a score, a comment (kind ``comment``) or a refusal."""

    conversation_id: int
    kind: str
    at: datetime
    score: Optional[int] = None
    comment: Optional[str] = None
    declined: bool = False


@dataclass(frozen=True)
class OutcomeSet(CXEvent[bool]):
    """How the conversation turned out so far (``resolved``, ``unresolved``, ``escalated``)."""

    conversation_id: int
    outcome: str


@dataclass(frozen=True)
class HandoffRequested(CXEvent[int]):
    """The conversation asks for a human agent, for ``reason``; gives the handoff id."""

    conversation_id: int
    at: datetime
    reason: Optional[str] = None


@dataclass(frozen=True)
class TicketLeft(CXEvent[int]):
    """Nobody could take the customer: they left a message and a contact for later."""

    conversation_id: int
    contact: str
    message: str
    at: datetime


@dataclass(frozen=True)
class HandoffClaimed(CXEvent[bool]):
    """An agent takes a waiting customer; True for the one agent who won it."""

    handoff_id: int
    agent: str
    at: datetime


@dataclass(frozen=True)
class AgentFirstReply(CXEvent[bool]):
    """The agent answered for the first time (True) or again (False)."""

    handoff_id: int
    at: datetime


@dataclass(frozen=True)
class HandoffResolved(CXEvent[bool]):
    """The agent (only ``agent``, when given) resolved the customer's issue."""

    handoff_id: int
    at: datetime
    agent: Optional[str] = None


@dataclass(frozen=True)
class NoteAdded(CXEvent[int]):
    """An agents-only note on a handoff; never shown to the customer."""

    handoff_id: int
    author: str
    text: Optional[str]
    at: datetime


@dataclass(frozen=True)
class HandoffTransferred(CXEvent[None]):
    """``from_agent`` passes the customer to ``to_agent``, or back to the queue (None)."""

    handoff_id: int
    from_agent: str
    to_agent: Optional[str]
    note: Optional[str]
    at: datetime


def _customer_said(event: CustomerSaid, engine: Optional[Engine], dedupe: bool) -> int:
    return touchpoints.record_customer_message(
        event.channel, event.external_id, event.text, event.at, event.language,
        intent=event.intent, topics=event.topics, confidence=event.confidence, is_fallback=event.is_fallback,
        engine=engine, dedupe=dedupe,
    )


def _survey_answered(event: SurveyAnswered, engine: Optional[Engine], dedupe: bool) -> int:
    reply: Dict[str, Any] = (
        {"status": "declined"} if event.declined
        else {"comment": event.comment} if event.kind == SURVEY_COMMENT
        else {"score": event.score}
    )
    return surveys.record_survey_response(event.conversation_id, event.kind, event.at, engine=engine, **reply)


# How each kind of fact is written. Only customer messages and replies can be
# delivered twice by a replay (``dedupe``); every other write is idempotent.
_WRITERS: Dict[Type[Any], Callable[[Any, Optional[Engine], bool], Any]] = {
    CustomerSaid: _customer_said,
    ReplySent: lambda e, engine, dedupe: touchpoints.record_bot_message(
        e.conversation_id, e.text, e.at, sender=e.sender, engine=engine, dedupe=dedupe
    ),
    SurveyAsked: lambda e, engine, _: surveys.record_survey_question(
        e.conversation_id, e.kind, e.at, agent=e.agent, engine=engine
    ),
    SurveyAnswered: _survey_answered,
    OutcomeSet: lambda e, engine, _: conversation_outcomes.set_outcome(
        e.conversation_id, e.outcome, engine=engine
    ),
    HandoffRequested: lambda e, engine, _: handoffs.request_handoff(
        e.conversation_id, e.at, reason=e.reason, engine=engine
    ),
    TicketLeft: lambda e, engine, _: handoffs.leave_message(
        e.conversation_id, e.contact, e.message, e.at, engine=engine
    ),
    HandoffClaimed: lambda e, engine, _: handoffs.claim_handoff(e.handoff_id, e.agent, e.at, engine=engine),
    AgentFirstReply: lambda e, engine, _: handoffs.record_first_agent_reply(e.handoff_id, e.at, engine=engine),
    HandoffResolved: lambda e, engine, _: handoffs.resolve_handoff(
        e.handoff_id, e.at, engine=engine, agent=e.agent
    ),
    NoteAdded: lambda e, engine, _: handoff_notes.add_note(e.handoff_id, e.author, e.text, e.at, engine=engine),
    HandoffTransferred: lambda e, engine, _: handoff_notes.transfer(
        e.handoff_id, e.from_agent, e.to_agent, e.note, e.at, engine=engine
    ),
}


def record(event: CXEvent[Result], engine: Optional[Engine] = None, dedupe: bool = False) -> Result:
    """Write one fact of a conversation into the store.

    Args:
        event: What happened.
        engine: Store engine (default: the configured one).
        dedupe: The event may have been recorded already (a replay after a
            crash): a customer message or reply that is already there is not
            stored twice.

    Returns:
        What the event's type promises: the conversation id for a customer
        message, the handoff id for a request, True for the agent who won a
        claim, and so on (see each event).

    Raises:
        cxm_store.errors.NotFound: The conversation or handoff does not exist.
        ValueError: The event is not valid (a score out of its scale, a ticket
            without a contact, an over-long note).
    """
    return cast(Result, _WRITERS[type(event)](event, engine, dedupe))

"""Translating Rasa's tracker events into the store's CX events: the only code that reads Rasa's event dicts.

Each sender's open conversation, language and agent are kept between events
(bounded); a user event becomes :class:`~cxm_store.events.CustomerSaid`, a bot
event a :class:`~cxm_store.events.ReplySent` (an agent's when its metadata
names one), and the contract's slots become survey questions and answers,
outcomes, handoff requests and tickets, each written by ``record``.
"""
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Optional, Tuple

from sqlalchemy.engine import Engine

from bot.nlu.parse_keys import QUESTIONS_KEY
from contract.dialogue import (
    AGENT_METADATA_KEY,
    DECLINED_ANSWER,
    FALLBACK_INTENT,
    HANDOFF_AGENT_SLOT,
    HANDOFF_REASON_SLOT,
    HANDOFF_TICKET_SLOT,
    LANGUAGE_SLOT,
    OUTCOME_SLOT,
    REQUEST_HUMAN_INTENT,
    SURVEY_ANSWER_SLOTS,
    SURVEY_QUESTION_SLOT,
)
from contract.vocabulary import AGENT, BOT, SURVEY_COMMENT
from cxm_store.channels import store_channel
from cxm_store.events import (
    CustomerSaid,
    CXEvent,
    HandoffRequested,
    OutcomeSet,
    ReplySent,
    SurveyAnswered,
    SurveyAsked,
    TicketLeft,
    record,
)
from cxm_store.touchpoints import open_conversation_for

# --- Translation of events into store calls ---------------------------------------


# The log of the capture layer, whichever module writes.
logger = logging.getLogger("bot.capture")

# The contract slots whose changes are recorded.
CAPTURE_SLOTS = frozenset(
    {SURVEY_QUESTION_SLOT, OUTCOME_SLOT, HANDOFF_REASON_SLOT, HANDOFF_TICKET_SLOT,
     HANDOFF_AGENT_SLOT, LANGUAGE_SLOT}
    | set(SURVEY_ANSWER_SLOTS)
)
# Per-sender memory (conversation, language, agent) of the most recent senders;
# an evicted sender's open conversation is looked up in the store again.
MAX_SENDERS = 10_000


@dataclass
class _Sender:
    conversation_id: Optional[int] = None
    language: Optional[str] = None
    agent: Optional[str] = None


def _moment(event: Dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(event["timestamp"]), tz=timezone.utc)


def full_intent(parse_data: Dict[str, Any]) -> Optional[str]:
    """The intent with its retrieval sub-intent (``faq/returns``) when there is one."""
    name = (parse_data.get("intent") or {}).get("name")
    if not name:
        return None
    selected = (parse_data.get("response_selector") or {}).get(name) or {}
    key = (selected.get("response") or {}).get("intent_response_key")
    return key or (parse_data.get("intent") or {}).get("full_retrieval_intent_name") or name


def message_topics(parse_data: Dict[str, Any]) -> Tuple[str, ...]:
    """The topics a message raised, the reason the customer came first.

    A message that asks two things (``questions``) raised both. A problem
    told beside a request for a person ("paket rusak, mau ngomong sama
    orang") is about the problem: its intent is ``request_human``, but the
    conversation's primary topic must be the damaged parcel.
    """
    questions = [q for q in parse_data.get(QUESTIONS_KEY) or () if q]
    if not questions:
        intent = full_intent(parse_data)
        return (intent,) if intent else ()
    return tuple(sorted(questions, key=lambda q: q == REQUEST_HUMAN_INTENT))


def _score(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, int):
        return value
    raise ValueError(f"not a survey score: {value!r}")


class EventTranslator:
    """Applies one event to the store; keeps what it must remember per sender."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.senders: "OrderedDict[str, _Sender]" = OrderedDict()

    def sender(self, sender_id: str) -> _Sender:
        state = self.senders.get(sender_id)
        if state is None:
            state = self.senders[sender_id] = _Sender()
            if len(self.senders) > MAX_SENDERS:
                self.senders.popitem(last=False)
        else:
            self.senders.move_to_end(sender_id)
        return state

    def conversation(self, sender_id: str, state: _Sender) -> Optional[int]:
        if state.conversation_id is None:
            # Not seen since this process started: its open conversation, if any.
            state.conversation_id = open_conversation_for(sender_id, engine=self.engine)
        return state.conversation_id

    @staticmethod
    def concerns(event: Dict[str, Any]) -> bool:
        """Whether :meth:`apply` does anything with ``event`` (most of a turn's events it skips)."""
        kind = event.get("event")
        return kind in ("user", "bot") or (kind == "slot" and event.get("name") in CAPTURE_SLOTS)

    def apply(self, event: Dict[str, Any], dedupe: bool) -> None:
        if not self.concerns(event):
            return
        kind = event.get("event")
        sender_id = str(event.get("sender_id"))
        state = self.sender(sender_id)
        at = _moment(event)
        if kind == "user":
            self._user(sender_id, state, event, at, dedupe)
        elif kind == "bot":
            self._bot(sender_id, state, event, at, dedupe)
        else:
            self._slot(sender_id, state, event["name"], event.get("value"), at)

    def _user(self, sender_id, state, event, at, dedupe) -> None:
        parse_data = event.get("parse_data") or {}
        intent = (parse_data.get("intent") or {}).get("name")
        language = parse_data.get("language") or state.language
        channel = event.get("input_channel")
        said = CustomerSaid(
            store_channel(channel),
            sender_id,
            event.get("text") or "",
            at,
            language,
            intent=full_intent(parse_data),
            topics=message_topics(parse_data),
            confidence=(parse_data.get("intent") or {}).get("confidence"),
            is_fallback=intent == FALLBACK_INTENT,
        )
        state.conversation_id = record(said, self.engine, dedupe=dedupe)
        state.language = language

    def _bot(self, sender_id, state, event, at, dedupe) -> None:
        conversation_id = self.conversation(sender_id, state)
        if conversation_id is None:
            logger.info("capture: bot message for %s, who has no open conversation", sender_id)
            return
        sender = AGENT if AGENT_METADATA_KEY in (event.get("metadata") or {}) else BOT
        record(ReplySent(conversation_id, event.get("text") or "", at, sender), self.engine, dedupe=dedupe)

    def _slot(self, sender_id, state, name, value, at) -> None:
        if name == LANGUAGE_SLOT:
            state.language = value or state.language
            return
        if name == HANDOFF_AGENT_SLOT:
            state.agent = value
            return
        if value is None:  # a reset, nothing to record
            return
        conversation_id = self.conversation(sender_id, state)
        if conversation_id is None:
            logger.warning("capture: slot %s for %s, who has no open conversation", name, sender_id)
            return
        fact = self._slot_event(conversation_id, state, name, value, at)
        if fact is not None:
            record(fact, self.engine)

    @staticmethod
    def _slot_event(conversation_id: int, state: _Sender, name: str, value: Any, at: datetime) -> Optional[CXEvent]:
        if name == SURVEY_QUESTION_SLOT:
            return SurveyAsked(conversation_id, str(value), at, agent=state.agent)
        if name in SURVEY_ANSWER_SLOTS:
            kind = SURVEY_ANSWER_SLOTS[name]
            if value == DECLINED_ANSWER:
                return SurveyAnswered(conversation_id, kind, at, declined=True)
            if kind == SURVEY_COMMENT:
                return SurveyAnswered(conversation_id, kind, at, comment=str(value))
            return SurveyAnswered(conversation_id, kind, at, score=_score(value))
        if name == OUTCOME_SLOT:
            return OutcomeSet(conversation_id, str(value))
        if name == HANDOFF_REASON_SLOT:
            return HandoffRequested(conversation_id, at, reason=str(value))
        if name == HANDOFF_TICKET_SLOT and isinstance(value, dict):
            return TicketLeft(conversation_id, value.get("contact") or "", value.get("message") or "", at)
        return None

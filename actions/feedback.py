"""Follow-up survey at the end of a conversation, in the customer's language.

Order: was the issue resolved → CSAT (1-5) → CES (1-7) → NPS (0-10, at most
once per customer per 90 days) → an optional comment. Each answer is a slot
event (``survey_<kind>``); bot/capture.py turns those into store records, so
these actions hold no persistence code beyond asking whether NPS is due.

An unclear answer is asked again once, then the survey ends politely; a
refusal ends it at once; a new request from the customer ends it and is
answered (see data/rules/feedback.yml).
"""
import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.survey_answers import SCALES, is_refusal, is_remark, is_unhappy, read_score
from actions.survey_wording import ask as ask_survey_question
from contract.dialogue import (
    ACTION_OFFER_SURVEY,
    ACTION_STOP_SURVEY,
    ACTION_SURVEY_ANSWER,
    HANDOFF_AGENT_SLOT,
    OUTCOME_SLOT,
    SURVEY_COMMENT_PENDING_SLOT,
    SURVEY_QUESTION_SLOT,
    SURVEY_RETRY_SLOT,
    survey_answer_slot,
)
from contract.dialogue import (
    DECLINED_ANSWER as DECLINED,
)
from contract.vocabulary import CES, CSAT, NPS, SURVEY_COMMENT, SURVEY_KINDS, SURVEY_RESOLVED
from cxm_store.assistant_services import nps_due
from cxm_store.channels import store_channel
from cxm_store.errors import StoreUnavailable

logger = logging.getLogger(__name__)


QUESTIONS = SURVEY_KINDS
ASK_RESPONSES = {
    SURVEY_RESOLVED: "utter_ask_survey_resolved",
    CSAT: "utter_ask_csat",
    CES: "utter_ask_ces",
    NPS: "utter_ask_nps",
    SURVEY_COMMENT: "utter_ask_survey_comment",
}
# Intents that show the customer came for something, so the survey makes sense.
REQUEST_INTENTS = ("faq", "check_order_status", "complain", "request_human")

_YES = {"ya", "iya", "yes", "sudah", "udah", "udh", "sdh", "beres", "solved", "resolved", "done"}
_NO = {"belum", "blm", "tidak", "enggak", "gak", "nggak", "no", "not", "nope", "tak"}


answer_slot = survey_answer_slot


def session_events(tracker: Tracker) -> List[Dict[Text, Any]]:
    """Events since the current session started."""
    events = tracker.events
    starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
    return events[starts[-1]:] if starts else events


def had_request(tracker: Tracker) -> bool:
    """Whether the customer asked for something in this session (not only small talk)."""
    return any(
        e.get("event") == "user"
        and ((e.get("parse_data") or {}).get("intent") or {}).get("name") in REQUEST_INTENTS
        for e in session_events(tracker)
    )


def _ask(
    dispatcher: CollectingDispatcher, kind: Text, tracker: Optional[Tracker] = None,
    domain: Optional[Dict[Text, Any]] = None,
) -> List[Dict[Text, Any]]:
    # In the lead's words when they wrote some (actions/survey_wording.py).
    ask_survey_question(dispatcher, tracker, domain, kind, ASK_RESPONSES[kind])
    events = [SlotSet(SURVEY_QUESTION_SLOT, kind), SlotSet(SURVEY_RETRY_SLOT, False)]
    if kind == SURVEY_COMMENT:
        events.append(SlotSet(SURVEY_COMMENT_PENDING_SLOT, True))
    return events


def first_asked_at(tracker: Tracker, kind: Text) -> Optional[dt.datetime]:
    """When question ``kind`` was put to the customer (its latest ``survey_question`` slot event)."""
    asked = [
        e for e in tracker.events
        if e.get("event") == "slot" and e.get("name") == SURVEY_QUESTION_SLOT and e.get("value") == kind
    ]
    stamp = asked[-1].get("timestamp") if asked else None
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc) if stamp else None


def end_survey() -> List[Dict[Text, Any]]:
    """Events that leave no survey question waiting."""
    return [
        SlotSet(SURVEY_QUESTION_SLOT, None),
        SlotSet(SURVEY_RETRY_SLOT, False),
        SlotSet(SURVEY_COMMENT_PENDING_SLOT, False),
    ]


def _nps_is_due(tracker: Tracker) -> bool:
    channel = store_channel(tracker.get_latest_input_channel())
    try:
        return nps_due((channel, tracker.sender_id), dt.datetime.now(dt.timezone.utc))
    except StoreUnavailable:
        # Unknown is treated as asked recently: better one question fewer than twice.
        logger.exception("Could not check whether NPS is due for %s", tracker.sender_id)
        return False


def next_question(kind: Text, tracker: Tracker) -> Optional[Text]:
    """The question after ``kind``, skipping NPS unless it is due."""
    for following in QUESTIONS[QUESTIONS.index(kind) + 1:]:
        if following != NPS or _nps_is_due(tracker):
            return following
    return None


def read_answer(kind: Text, tracker: Tracker) -> Any:
    """The answer to question ``kind`` in the latest message: a value, DECLINED, or None if unclear."""
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name")
    text = (message.get("text") or "").strip()
    # Refusals are read from the words whatever the intent ("gak mau isi survei");
    # a longer comment that happens to contain "gak mau" is still a comment.
    refused = is_refusal(text) and (kind != SURVEY_COMMENT or len(text.split()) <= 4)
    if intent == "decline_survey" or refused:
        return DECLINED
    if kind == "resolved":
        words = set(text.lower().replace(",", " ").split())
        if intent == "affirm" or (words & _YES and not words & _NO):
            return 1
        if intent == "deny" or words & _NO:
            return 0
        return None
    if kind == SURVEY_COMMENT:
        return text or None
    score = next(tracker.get_latest_entity_values("score"), None)
    if score is not None and str(score).isdigit():
        low, high = SCALES[kind]
        return int(score) if low <= int(score) <= high else None
    return read_score(text, kind).score


class ActionOfferSurvey(Action):
    """Starts the survey when a conversation reaches its end, once per conversation."""

    def name(self) -> Text:
        return ACTION_OFFER_SURVEY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        surveyed = tracker.get_slot(SURVEY_QUESTION_SLOT) or tracker.get_slot(answer_slot("resolved"))
        by_agent = tracker.get_slot(HANDOFF_AGENT_SLOT)
        if surveyed or not (by_agent or had_request(tracker)):
            return []
        # A customer who ends the conversation themselves was helped by the bot,
        # unless a person handled it; the survey may still revise this.
        events = [] if by_agent else [SlotSet(OUTCOME_SLOT, "resolved")]
        return events + _ask(dispatcher, "resolved", tracker, domain)


class ActionSurveyAnswer(Action):
    """Records the answer to the pending question and asks the next one.

    Answers are read however they come: a rating typed at the "was it
    resolved?" question is the CSAT and the survey moves past it; a remark
    where a score was asked is the comment; an unhappy answer gets an
    apology and the offer of a person, and no more questions.
    """

    def name(self) -> Text:
        return ACTION_SURVEY_ANSWER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kind = tracker.get_slot(SURVEY_QUESTION_SLOT)
        if kind not in QUESTIONS:
            return end_survey()
        answer = read_answer(kind, tracker)
        text = (tracker.latest_message.get("text") or "").strip()

        if answer == DECLINED:
            dispatcher.utter_message(response="utter_survey_declined")
            return [SlotSet(answer_slot(kind), DECLINED), *end_survey()]

        answered, events = kind, []
        if answer is None and kind == "resolved":
            answer = read_score(text, CSAT).score
            answered = CSAT
        if answer is None and kind != "comment" and is_remark(text):
            answer, answered = text, "comment"
        if answer is None:
            return self._ask_again(dispatcher, tracker, domain, kind)

        events.append(SlotSet(answer_slot(answered), answer))
        unhappy = answered in SCALES and is_unhappy(answer, answered)
        if kind == "resolved" and answer == 0 and is_remark(text):
            # "not satisfied, it took forever": a no that also says how it felt.
            felt = read_score(text, CSAT).score
            if felt is not None and is_unhappy(felt, CSAT):
                events.append(SlotSet(answer_slot(CSAT), felt))
                unhappy = True
        if answered != "comment" and is_remark(text):
            events.append(SlotSet(answer_slot("comment"), text))
        if kind == "resolved" and answer == 0 and not tracker.get_slot(HANDOFF_AGENT_SLOT):
            events.append(SlotSet(OUTCOME_SLOT, "unresolved"))
            if not unhappy:
                dispatcher.utter_message(response="utter_survey_unresolved")
        if unhappy:
            dispatcher.utter_message(response="utter_survey_sorry")
            return events + end_survey()
        following = next_question(answered, tracker)
        if following == "comment" and any(e["name"] == answer_slot("comment") for e in events):
            following = None
        if following is None:
            dispatcher.utter_message(response="utter_survey_thanks")
            return events + end_survey()
        return events + _ask(dispatcher, following, tracker, domain)

    @staticmethod
    def _ask_again(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any], kind: Text
    ) -> List[Dict[Text, Any]]:
        """Asks an unclear question once more, in the words first asked; a second unclear answer ends the survey."""
        if tracker.get_slot(SURVEY_RETRY_SLOT):
            dispatcher.utter_message(response="utter_survey_dropped")
            return end_survey()
        low, high = SCALES.get(kind, (None, None))
        if kind == "resolved":
            dispatcher.utter_message(response="utter_reask_yes_no")
        else:
            dispatcher.utter_message(response="utter_reask_score", low=low, high=high)
        ask_survey_question(dispatcher, tracker, domain, kind, ASK_RESPONSES[kind], first_asked_at(tracker, kind))
        return [SlotSet(SURVEY_RETRY_SLOT, True)]


class ActionStopSurvey(Action):
    """Ends the survey because the customer moved on to something else.

    The pending question stays recorded as asked and unanswered.
    """

    def name(self) -> Text:
        return ACTION_STOP_SURVEY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return end_survey()

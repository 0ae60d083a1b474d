"""Handing a customer to a person, or taking a message when nobody can answer.

In business hours with an agent online, the customer hears their place in the
queue and an estimated wait, and the bot pauses (``ConversationPaused``, kept
in the tracker store, so it survives a restart) until an agent resolves the
conversation in the console. Otherwise the customer is told why and asked to
leave a message with a phone number or e-mail, which becomes a ticket.

The handoff request and the ticket reach the store as slot events
(``handoff_reason``, ``handoff_ticket``) through bot/capture.py; these actions
only read the queue.
"""
import datetime as dt
import logging
import math
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import RETRIEVAL_INTENT, ActionAnswerFaq
from actions.language import reply_language
from actions.suggestions import is_offer_of_a_person, latest_bot_message, menu_buttons
from bot.nlu.parse_keys import QUESTIONS_KEY
from contract.dialogue import (
    ACTION_ANSWER_YES_TO_CLARIFY,
    ACTION_CLARIFY,
    ACTION_LEAVE_MESSAGE,
    ACTION_REQUEST_HANDOFF,
    HANDOFF_REASON_SLOT,
    HANDOFF_TICKET_SLOT,
    OUTCOME_SLOT,
    TICKET_DRAFT_SLOT,
    TICKET_PENDING_SLOT,
)
from contract.vocabulary import REASON_COMPLAINT, REASON_REPEATED_MISS
from cxm_store import settings as store_settings
from cxm_store.assistant_services import agents_online, estimated_wait_seconds, waiting_queue
from cxm_store.errors import StoreUnavailable
from cxm_store.handoff_queue import within_business_hours
from cxm_store.pii import find_contact

logger = logging.getLogger(__name__)


DECLINING_INTENTS = ("deny", "decline_survey")


def handoff_reason(tracker: Tracker) -> Text:
    """Why the customer is handed over: complaint, repeated_miss or request."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "complain":
        return REASON_COMPLAINT
    executed = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    # The customer accepted the offer the bot makes after two misses in a row.
    if len(executed) >= 2 and executed[-2] == ACTION_CLARIFY:
        return REASON_REPEATED_MISS
    return "request"


def queue_state(now: dt.datetime) -> Tuple[bool, int, int]:
    """(an agent is online, customers already waiting, estimated wait in minutes for the next one)."""
    online = agents_online(now)
    if not online:
        return False, 0, 0
    waiting = len(waiting_queue(now))
    per_customer = estimated_wait_seconds()
    minutes = math.ceil(per_customer * (waiting + 1) / len(online) / 60)
    return True, waiting, max(1, minutes)


class ActionRequestHandoff(Action):
    """Queues the customer for a person, or offers to take a message."""

    def name(self) -> Text:
        return ACTION_REQUEST_HANDOFF

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        answered = await self._answer_question_beside(dispatcher, tracker, domain)
        return answered + self._queue_or_offer_message(dispatcher, tracker)

    @staticmethod
    async def _answer_question_beside(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Answers a FAQ question asked beside the request ("paket rusak, mau ngomong sama orang").

        The customer reads what to do while a person is found, and the agent
        sees that it was said.
        """
        questions = tracker.latest_message.get(QUESTIONS_KEY) or []
        if not any(q.startswith(RETRIEVAL_INTENT + "/") for q in questions):
            return []
        return await ActionAnswerFaq().run(dispatcher, tracker, domain)

    @staticmethod
    def _queue_or_offer_message(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        now = dt.datetime.now(dt.timezone.utc)
        settings = store_settings.load()
        in_hours = within_business_hours(now, settings)
        try:
            answering, waiting, minutes = queue_state(now) if in_hours else (False, 0, 0)
        except StoreUnavailable:
            logger.exception("Handoff queue unavailable; offering to take a message")
            answering, waiting, minutes = False, 0, 0

        if answering:
            dispatcher.utter_message(
                response="utter_handoff_queued", position=waiting + 1, wait_minutes=minutes
            )
            return [
                SlotSet(HANDOFF_REASON_SLOT, handoff_reason(tracker)),
                SlotSet(OUTCOME_SLOT, "escalated"),
                ConversationPaused(),
            ]

        dispatcher.utter_message(
            response="utter_handoff_no_agents" if in_hours else "utter_handoff_closed",
            hours=settings.business_hours.replace(":", "."),
        )
        return [SlotSet(TICKET_PENDING_SLOT, True), SlotSet(TICKET_DRAFT_SLOT, None)]


class ActionAnswerYesToClarify(Action):
    """A "yes" (or "ok", "sip") right after a clarification.

    After the offer of a person it accepts the offer. After the first
    clarification, which offered topics, it is only an acknowledgement: the
    customer is asked to pick a topic or say it in other words, with the same
    buttons, instead of being queued for a person they never asked for.
    """

    def name(self) -> Text:
        return ACTION_ANSWER_YES_TO_CLARIFY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        clarification = latest_bot_message(tracker)
        if is_offer_of_a_person(clarification):
            return await ActionRequestHandoff().run(dispatcher, tracker, domain)
        buttons = (clarification.get("data") or {}).get("buttons") or menu_buttons(reply_language(tracker))
        dispatcher.utter_message(response="utter_pick_a_topic", buttons=buttons)
        return []


class ActionLeaveMessage(Action):
    """Takes the customer's message and contact as a ticket for the team.

    A message without a phone number or e-mail is kept and the contact asked
    for once; then the customer is told how to reach the team instead.
    """

    def name(self) -> Text:
        return ACTION_LEAVE_MESSAGE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = (tracker.latest_message.get("text") or "").strip()
        draft: Optional[Text] = tracker.get_slot(TICKET_DRAFT_SLOT)
        done = [SlotSet(TICKET_PENDING_SLOT, False), SlotSet(TICKET_DRAFT_SLOT, None)]

        if intent in DECLINING_INTENTS and not draft:
            dispatcher.utter_message(response="utter_anything_else")
            return done

        message = "\n".join(part for part in (draft, text) if part)
        contact = find_contact(text)
        if contact:
            dispatcher.utter_message(response="utter_ticket_created", contact=contact)
            return [
                SlotSet(HANDOFF_TICKET_SLOT, {"contact": contact, "message": message}),
                SlotSet(OUTCOME_SLOT, "escalated"),
                *done,
            ]
        if draft is None:
            dispatcher.utter_message(response="utter_ask_ticket_contact")
            return [SlotSet(TICKET_DRAFT_SLOT, message)]
        dispatcher.utter_message(response="utter_ticket_no_contact")
        return done

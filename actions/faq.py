"""FAQ answers that know the customer's order, and every question of a message.

A customer who writes "cancel INV-2024-00124" wants to know whether *that*
order can still be cancelled, not the cancellation policy; one who gave an
order number two messages ago and now asks "so when will it arrive?" means
that order. So a FAQ topic that depends on an order's state is answered
about the order in this message, else the last one of the conversation;
without one, with the shop's policy. A message with two questions ("bs cod
ga? trs ongkir ke bekasi brp?") gets both answers, in order.
"""
import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import reply_language
from actions.order_answers import (
    ORDER_ANSWERS,
    ORDER_STATUS_INTENT,
    order_answer,
    previous_topic,
    typed_order_id,
)
from actions.order_lookup import TooManyLookups, order_for_sender, tell_order
from bot.nlu.parse_keys import QUESTIONS_KEY
from contract.dialogue import ACTION_ANSWER_FAQ, ORDER_ID_SLOT
from cxm_store.errors import StoreUnavailable
from cxm_store.orders import normalise_order_id

logger = logging.getLogger(__name__)

RETRIEVAL_INTENT = "faq"
# "How long?" / "when?" questions that, right after a topic with a timeline
# of its own, ask about that topic: "how many days do I have?" after a
# return question is about the return window, not about shipping.
TIME_QUESTIONS = ("faq/shipping_time", "faq/delivery_late")
OWN_TIMELINE = ("faq/returns", "faq/refunds", "faq/wrong_item", "faq/item_damaged", "faq/warranty")
_SHIPPING_WORDS = re.compile(r"\b(ship\w*|deliver\w*|kirim\w*|pengiriman|ongkir|kurir|courier|ekspedisi)\b", re.I)


def carried_topic(topic: Text, tracker: Tracker) -> Text:
    """``topic``, or the previous one when this is a bare time question about it."""
    previous = previous_topic(tracker)
    text = tracker.latest_message.get("text") or ""
    if topic in TIME_QUESTIONS and previous in OWN_TIMELINE and not _SHIPPING_WORDS.search(text):
        return previous
    return topic


def asked_topics(tracker: Tracker) -> List[Text]:
    """The FAQ topics (and order-status questions) of the latest message, first question first."""
    message = tracker.latest_message
    questions = [
        q for q in message.get(QUESTIONS_KEY) or []
        if q.startswith(RETRIEVAL_INTENT + "/") or q == ORDER_STATUS_INTENT
    ]
    if questions:
        return questions
    selected = ((message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}).get("response") or {}
    topic = selected.get("intent_response_key")
    return [carried_topic(topic, tracker)] if topic else []


def _order_in_context(tracker: Tracker) -> Optional[Text]:
    typed = typed_order_id(tracker)
    return normalise_order_id(typed) if typed else None


class ActionAnswerFaq(Action):
    """Answers each FAQ question of the message, about the customer's order where it matters."""

    def name(self) -> Text:
        return ACTION_ANSWER_FAQ

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        topics = asked_topics(tracker)
        order_id = _order_in_context(tracker) if any(t in ORDER_ANSWERS for t in topics) else None
        lookup = None
        try:
            lookup = order_for_sender(tracker, order_id) if order_id else None
        except TooManyLookups:
            # The policy still answers, without looking more orders up.
            order_id = None
        except StoreUnavailable:
            # The policy still answers; the order is just not read now.
            logger.exception("Order look-up failed for %s", order_id)
            order_id = None
        order = lookup.order if lookup else None
        language = reply_language(tracker)
        typed = next(tracker.get_latest_entity_values(ORDER_ID_SLOT), None)
        if order is None and order_id and typed:
            # A number typed now that is not ours: say so before the policy.
            dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
        for topic in topics:
            if order is not None and topic in ORDER_ANSWERS:
                tell_order(dispatcher, lookup, order_answer(topic, order, language), language)
            elif topic == ORDER_STATUS_INTENT:
                if order_id is None:
                    dispatcher.utter_message(response="utter_ask_order_id")
            else:
                dispatcher.utter_message(response=f"utter_{topic}")
        if not topics:
            dispatcher.utter_message(response="utter_how_can_i_help")
        return [SlotSet(ORDER_ID_SLOT, order.order_id)] if order is not None else []

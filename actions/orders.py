"""Order status: the customer gives an order number and hears where the order is.

A bare number right after an order-aware question ("cara batalin INV-…?",
then "trus kalau INV-…?") gets that question's answer about the new order.
"""
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import reply_language
from actions.order_answers import ORDER_STATUS_INTENT, follow_up_topic, order_answer, typed_order_id
from actions.order_lookup import TooManyLookups, order_for_sender, tell_order, tell_too_many
from contract.dialogue import ACTION_CHECK_ORDER_STATUS, ORDER_ID_SLOT
from cxm_store.errors import StoreUnavailable
from cxm_store.orders import normalise_order_id

logger = logging.getLogger(__name__)


class ActionCheckOrderStatus(Action):
    """Looks up an order and tells its status; asks for the number if missing."""

    def name(self) -> Text:
        return ACTION_CHECK_ORDER_STATUS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        typed = typed_order_id(tracker)
        if not typed:
            dispatcher.utter_message(response="utter_ask_order_id")
            return []

        order_id = normalise_order_id(typed)
        if order_id is None:
            dispatcher.utter_message(response="utter_order_id_malformed", order_id=typed)
            return [SlotSet(ORDER_ID_SLOT, None)]

        language = reply_language(tracker)
        try:
            lookup = order_for_sender(tracker, order_id)
        except TooManyLookups:
            tell_too_many(dispatcher, language)
            return [SlotSet(ORDER_ID_SLOT, order_id)]
        except StoreUnavailable:
            logger.exception("Order look-up failed for %s", order_id)
            dispatcher.utter_message(response="utter_order_lookup_unavailable", order_id=order_id)
            return [SlotSet(ORDER_ID_SLOT, order_id)]

        if lookup is None:
            dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
            return [SlotSet(ORDER_ID_SLOT, None)]

        topic = follow_up_topic(tracker) or ORDER_STATUS_INTENT
        tell_order(dispatcher, lookup, order_answer(topic, lookup.order, language), language)
        return [SlotSet(ORDER_ID_SLOT, order_id)]

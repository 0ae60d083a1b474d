"""Order status: the customer gives an order number and hears where the order is."""
import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.language import reply_language
from actions.order_lookup import TooManyLookups, order_for_sender, tell_order, tell_too_many
from contract.dialogue import ACTION_CHECK_ORDER_STATUS, ORDER_ID_SLOT
from cxm_store.orders import OrderView, normalise_order_id

logger = logging.getLogger(__name__)


_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_NO_DATE = {"id": "belum tersedia", "en": "not available yet"}


def format_date(day: Optional[dt.date], language: Text) -> Text:
    """Return ``day`` as customers read it ("24 Nov 2026"; "24 Agu 2026" in Indonesian)."""
    if day is None:
        return _NO_DATE[language]
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


# One answer per order status (named in full so readers and the data
# validation test can find every response an action uses).
STATUS_RESPONSES = {
    "processing": "utter_order_status_processing",
    "packed": "utter_order_status_packed",
    "shipped": "utter_order_status_shipped",
    "delivered": "utter_order_status_delivered",
    "cancelled": "utter_order_status_cancelled",
}


def status_answer(order: OrderView, language: Text) -> Dict[Text, Any]:
    """The order's status answer, as keyword arguments for ``utter_message``."""
    return {
        "response": STATUS_RESPONSES[order.status],
        "order_id": order.order_id,
        "courier": order.courier or "-",
        "tracking_number": order.tracking_number or "-",
        "eta": format_date(order.eta, language),
        "item_count": order.item_count,
    }


def typed_order_id(tracker: Tracker) -> Optional[Text]:
    """The order number in this message, else the last one given in the conversation."""
    typed = next(tracker.get_latest_entity_values(ORDER_ID_SLOT), None)
    return typed or tracker.get_slot(ORDER_ID_SLOT)


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
        except SQLAlchemyError:
            logger.exception("Order look-up failed for %s", order_id)
            dispatcher.utter_message(response="utter_order_lookup_unavailable", order_id=order_id)
            return [SlotSet(ORDER_ID_SLOT, order_id)]

        if lookup is None:
            dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
            return [SlotSet(ORDER_ID_SLOT, None)]

        tell_order(dispatcher, lookup, status_answer(lookup.order, language), language)
        return [SlotSet(ORDER_ID_SLOT, order_id)]

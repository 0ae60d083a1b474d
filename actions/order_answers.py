"""What to tell a customer about an order: its status, or a question about it.

Both order-aware actions read this page: the status question (``orders``)
and the FAQ topics that depend on an order's state (``faq``): whether it can
still be cancelled, where its refund is, whether it is inside the return
window. A customer who asked about cancelling one order and then writes only
another number ("trus kalau INV-2024-00123?") asks the same about that one
(:func:`follow_up_topic`).
"""
import datetime as dt
import re
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker

from contract.dialogue import ORDER_ID_SLOT
from contract.vocabulary import ORDER_NUMBER_IN_TEXT
from cxm_store.orders import OrderView

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


ORDER_STATUS_INTENT = "check_order_status"
# Days after delivery in which an item can be returned (utter_faq/returns).
RETURN_WINDOW_DAYS = 7

# Topic -> order status -> the response that answers it about that order.
# A status not listed gets the order's status answer.
ORDER_ANSWERS: Dict[Text, Dict[Text, Text]] = {
    "faq/cancel_order": {
        "processing": "utter_order_cancel_possible",
        "packed": "utter_order_cancel_too_late",
        "shipped": "utter_order_cancel_too_late",
        "delivered": "utter_order_cancel_delivered",
        "cancelled": "utter_order_already_cancelled",
    },
    "faq/refunds": {
        "processing": "utter_order_refund_none",
        "packed": "utter_order_refund_none",
        "shipped": "utter_order_refund_none",
        "delivered": "utter_order_refund_none",
        "cancelled": "utter_order_refund_cancelled",
    },
    "faq/returns": {
        "processing": "utter_order_return_not_yet",
        "packed": "utter_order_return_not_yet",
        "shipped": "utter_order_return_not_yet",
        "cancelled": "utter_order_already_cancelled",
    },
    "faq/change_address": {
        "processing": "utter_order_address_changeable",
        "packed": "utter_order_address_too_late",
        "shipped": "utter_order_address_too_late",
    },
    "faq/delivery_late": {},
    "faq/shipping_time": {},
    # "is INV-... shipped? and can I still change the address?"
    ORDER_STATUS_INTENT: {},
}


def _return_answer(order: OrderView, language: Text) -> Dict[Text, Any]:
    """Whether a delivered order is still inside the return window."""
    delivered = order.eta or order.ordered_on
    last_day = delivered + dt.timedelta(days=RETURN_WINDOW_DAYS)
    still_open = dt.date.today() <= last_day
    return {
        "response": "utter_order_return_window_open" if still_open else "utter_order_return_window_closed",
        "order_id": order.order_id,
        "last_day": format_date(last_day, language),
    }


def order_answer(topic: Text, order: OrderView, language: Text) -> Dict[Text, Any]:
    """The answer to ``topic`` about ``order``, as keyword arguments for ``utter_message``."""
    if topic == "faq/returns" and order.status == "delivered":
        return _return_answer(order, language)
    answer = status_answer(order, language)
    specific = ORDER_ANSWERS.get(topic, {}).get(order.status)
    if specific:
        answer["response"] = specific
    return answer


# How many earlier messages a topic carries over ("ok", "yes I have photos").
CARRY_OVER_MESSAGES = 3


def previous_topic(tracker: Tracker) -> Optional[Text]:
    """The last FAQ topic among the customer's few messages before the latest one."""
    users = [e for e in tracker.events if e.get("event") == "user"][:-1]
    for event in reversed(users[-CARRY_OVER_MESSAGES:]):
        topic = ((event.get("parse_data") or {}).get("intent") or {}).get("full_retrieval_intent_name")
        if topic:
            return topic
    return None


# The words of a bare follow-up about another order: "trus kalau INV-…?",
# "yang INV-… gimana?", "what about INV-…?". Anything else in the message
# is a question of its own.
FOLLOW_UP_WORDS = frozenset(
    "trus terus trs lalu kalau kalo klo kl gimana bagaimana gmn gmna yg yang ini itu "
    "pesanan order orderan nomor no kak min sis gan dong ya yah juga jg sama nya deh kah "
    "and what about how so then also the for same".split()
)
_WORD = re.compile(r"[^\W\d_]+")


def follow_up_topic(tracker: Tracker) -> Optional[Text]:
    """The order-aware topic a bare "and this order?" message carries over, if it is one.

    Returns:
        The previous message's topic when it has order-specific answers and
        the latest message holds nothing but an order number and follow-up
        words; otherwise None.
    """
    topic = previous_topic(tracker)
    if not ORDER_ANSWERS.get(topic or ""):
        return None
    text = ORDER_NUMBER_IN_TEXT.sub(" ", tracker.latest_message.get("text") or "")
    return topic if all(word in FOLLOW_UP_WORDS for word in _WORD.findall(text.lower())) else None

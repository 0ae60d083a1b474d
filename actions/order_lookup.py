"""Order look-ups as the asking customer may see them (``cxm_store.order_access``).

Both order-aware actions (status and FAQ) look orders up through
:func:`order_for_sender`, so both withhold the tracking number from anyone
who has not proved the order theirs and count against the same per-sender
limit.
"""
from datetime import datetime
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from cxm_store.assistant_services import look_up_order
from cxm_store.channels import store_channel
from cxm_store.order_access import LookupLimiter, OrderLookup

# One process's memory: 10 look-ups per sender per 10 minutes.
LIMITER = LookupLimiter(limit=10, window_s=600)

# Said with a general status: how to see the rest. (Plain texts, not domain
# responses, so the model need not be retrained for them.)
OWNER_ONLY = {
    "id": "Nomor resi hanya kami berikan ke pemesan: sebutkan nomor HP atau email yang dipakai saat memesan, ya Kak.",
    "en": (
        "The tracking number is only for the person who placed the order: "
        "tell me the phone number or e-mail used for it."
    ),
}
TOO_MANY = {
    "id": "Kakak sudah banyak mengecek pesanan barusan. Coba lagi beberapa menit lagi, ya.",
    "en": "You've checked a lot of orders just now. Please try again in a few minutes.",
}


class TooManyLookups(Exception):
    """The sender is over the look-up limit."""


def order_for_sender(tracker: Tracker, order_id: Text) -> Optional[OrderLookup]:
    """Look ``order_id`` up for the sender of the tracker's latest message.

    Raises:
        TooManyLookups: The sender looked up too many orders lately.
        StoreUnavailable: The store cannot answer now.
    """
    if not LIMITER.allow(tracker.sender_id):
        raise TooManyLookups(tracker.sender_id)
    return look_up_order(
        order_id,
        store_channel(tracker.get_latest_input_channel()),
        tracker.sender_id,
        tracker.latest_message.get("text") or "",
        datetime.utcnow(),
    )


# The answers that name the tracking number (domain.yml).
TRACKING_RESPONSES = frozenset({
    "utter_order_status_shipped", "utter_order_status_delivered",
    "utter_order_cancel_too_late", "utter_order_address_too_late",
})
# What stands where the tracking number would be, for whoever has not proved the order theirs.
TRACKING_WITHHELD = {"id": "(khusus pemesan)", "en": "(for the buyer only)"}


def tell_order(dispatcher: CollectingDispatcher, lookup: OrderLookup, answer: Dict[Text, Any], language: Text) -> None:
    """Utter an order answer; after one whose tracking number was withheld, say how to see it."""
    withheld = lookup.tracking_withheld and answer.get("response") in TRACKING_RESPONSES
    if withheld:
        answer = {**answer, "tracking_number": TRACKING_WITHHELD.get(language, TRACKING_WITHHELD["en"])}
    dispatcher.utter_message(**answer)
    if withheld:
        dispatcher.utter_message(text=OWNER_ONLY.get(language, OWNER_ONLY["en"]))


def tell_too_many(dispatcher: CollectingDispatcher, language: Text) -> None:
    dispatcher.utter_message(text=TOO_MANY.get(language, TOO_MANY["en"]))



"""Linking a customer's chats on the web, Telegram and the API, on proof only.

"link my accounts" / "hubungkan akun saya": the assistant shows a one-time
code on this channel, to be typed on the other one ("link 1234-5678"). A
message that carries a code redeems it; one that names an order together
with the phone number or e-mail on it proves that order. What counts as proof
is the store's business (``cxm_store.identity``); this action only reads the
message and tells the customer what came of it.
"""
import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import reply_language
from contract.dialogue import ACTION_LINK_ACCOUNTS
from cxm_store import assistant_services, identity
from cxm_store.channels import store_channel
from cxm_store.errors import StoreUnavailable
from cxm_store.pii import find_contact

logger = logging.getLogger(__name__)

# What the customer hears for each outcome (named in full for the data validation test).
RESPONSES = {
    identity.LINKED: "utter_link_done",
    identity.ALREADY_LINKED: "utter_link_already",
    identity.PROVED: "utter_link_order_proved",
    identity.NOT_PROVED: "utter_link_not_proved",
    identity.INVALID_CODE: "utter_link_invalid_code",
    identity.TOO_MANY_ATTEMPTS: "utter_link_too_many",
}
_CHANNEL_NAMES = {
    "id": {"web": "web chat", "telegram": "Telegram", "rest": "aplikasi"},
    "en": {"web": "web chat", "telegram": "Telegram", "rest": "app"},
}


def _typed_order(tracker: Tracker) -> Optional[Text]:
    # Only an order named in this message proves anything; the slot may hold
    # an order someone else gave earlier in the conversation.
    return next(tracker.get_latest_entity_values("order_id"), None)


class ActionLinkAccounts(Action):
    """Shows a link code, redeems one, or takes an order with its contact as proof."""

    def name(self) -> Text:
        return ACTION_LINK_ACCOUNTS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        text = tracker.latest_message.get("text") or ""
        channel = store_channel(tracker.get_latest_input_channel())
        now = dt.datetime.now(dt.timezone.utc)
        order, contact = _typed_order(tracker), find_contact(text)
        try:
            if identity.find_link_code(text):
                result = assistant_services.redeem_link_code(channel, tracker.sender_id, text, now)
            elif order and contact:
                result = assistant_services.prove_order(channel, tracker.sender_id, order, contact, now)
            else:
                code = assistant_services.issue_link_code(channel, tracker.sender_id, now)
                dispatcher.utter_message(response="utter_link_code", code=code,
                                         minutes=int(identity.CODE_LIFETIME.total_seconds() // 60))
                return []
        except StoreUnavailable:
            logger.exception("Could not link the accounts of %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_link_unavailable")
            return []
        names = _CHANNEL_NAMES[language]
        dispatcher.utter_message(
            response=RESPONSES[result.status],
            channels=", ".join(names.get(name, name) for name in result.channels),
        )
        return []

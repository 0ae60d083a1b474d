"""The conversation's reply language."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

LANGUAGE_SLOT = "language"
DEFAULT_LANGUAGE = "id"


def reply_language(tracker: Tracker) -> Text:
    """Return the language the assistant answers this conversation in."""
    return tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANGUAGE


class ActionDetectLanguage(Action):
    """Follows the customer's language, turn by turn.

    Runs as the ``language`` slot's custom mapping after every message. The
    NLU pipeline puts the detected language in the parse data; messages with
    no clear language (an order number, "ok", an emoji, a button payload)
    leave the slot as it was.
    """

    def name(self) -> Text:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        detected = tracker.latest_message.get(LANGUAGE_SLOT)
        if detected and detected != tracker.get_slot(LANGUAGE_SLOT):
            return [SlotSet(LANGUAGE_SLOT, detected)]
        return []

"""Starting a new conversation session."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from contract.dialogue import ACTION_LISTEN, ACTION_SESSION_START

# What a returning customer should not have to repeat. Survey and handoff
# slots belong to one conversation and start empty.
CARRIED_OVER = ("language", "order_id")


class ActionSessionStart(Action):
    """Starts a session, keeping only the customer's language and last order number."""

    def name(self) -> Text:
        return ACTION_SESSION_START

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        carried = [
            SlotSet(slot, tracker.get_slot(slot))
            for slot in CARRIED_OVER
            if tracker.get_slot(slot) is not None
        ]
        return [SessionStarted(), *carried, ActionExecuted(ACTION_LISTEN)]

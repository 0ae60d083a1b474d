"""Asking a survey question in the lead's words when they wrote some (cxm_store.survey_texts).

The question text and the button titles come from the newest version a lead
saved for the customer's language; the buttons keep the built-in payloads
(the domain's response for that language), so answers are read as before.
Without a version, or when the store cannot be read, the built-in response
is used: a survey is never lost to a wording lookup. A question asked again
(the answer was unclear) is put in the version it was first asked in.
"""
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from contract.dialogue import LANGUAGE_SLOT
from cxm_store.assistant_services import current_wording
from cxm_store.errors import StoreUnavailable


def _built_in(domain: Optional[Dict[Text, Any]], response: Text, language: Text) -> Dict[Text, Any]:
    variations = ((domain or {}).get("responses") or {}).get(response) or []
    for variation in variations:
        conditions = variation.get("condition") or []
        if any(c.get("name") == LANGUAGE_SLOT and c.get("value") == language for c in conditions):
            return variation
    return variations[0] if variations else {}


def ask(dispatcher: CollectingDispatcher, tracker: Optional[Tracker], domain: Optional[Dict[Text, Any]],
        kind: Text, response: Text, first_asked_at: Optional[datetime] = None) -> None:
    """Put survey question ``kind`` to the customer (built-in ``response`` unless a lead reworded it).

    Args:
        dispatcher: Where the question goes.
        tracker: The conversation (its language slot picks the wording).
        domain: The domain, for the built-in buttons' payloads.
        kind: The survey question.
        response: The built-in response asking it.
        first_asked_at: When a question asked again was first asked: its
            wording then is used. None: the newest wording.
    """
    language = (tracker.get_slot(LANGUAGE_SLOT) if tracker else None) or "id"
    try:
        wording = current_wording(kind, language, at=first_asked_at) if domain is not None else None
    except StoreUnavailable:
        wording = None
    if wording is None:
        dispatcher.utter_message(response=response)
        return
    built_in: List[Dict[Text, Any]] = _built_in(domain, response, language).get("buttons") or []
    buttons = [
        {"title": wording.buttons[index] if index < len(wording.buttons) else button["title"],
         "payload": button["payload"]}
        for index, button in enumerate(built_in)
    ]
    dispatcher.utter_message(text=wording.question, buttons=buttons)

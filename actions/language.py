"""The conversation's reply language."""
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.nlu.parse_keys import ENGLISH, INDONESIAN, LANGUAGE_KEY, LANGUAGE_MARGIN_KEY
from contract.dialogue import ACTION_DETECT_LANGUAGE, LANGUAGE_SLOT

DEFAULT_LANGUAGE = "id"
SWITCH_INTENT = "switch_language"

# Once the customer has written in a language, one word of the other ("sip
# thx", "ok thanks") does not turn the replies round: it takes a lead of
# this many words, or an explicit request.
SWITCH_MARGIN = 2

_NAMES = {
    ENGLISH: re.compile(r"\b(english|inggris|eng)\b", re.IGNORECASE),
    INDONESIAN: re.compile(r"\b(indonesian?|indo|melayu|malay)\b", re.IGNORECASE),
}
# "I don't understand Indonesian" asks for the other language.
_CANNOT = re.compile(
    r"\b(don'?t|do not|can'?t|cannot|ga|gak|nggak|ngga|tidak|tak|kurang)\b.{0,20}"
    r"\b(understand|speak|read|ngerti|paham|faham|bisa)\b",
    re.IGNORECASE,
)


def reply_language(tracker: Tracker) -> Text:
    """Return the language the assistant answers this conversation in."""
    return tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANGUAGE


def requested_language(text: Text, detected: Optional[Text]) -> Optional[Text]:
    """The language a customer asks for ("english please", "ga ngerti bahasa inggris").

    A message naming English and Indonesian ("in indonesian instead of
    english") asks for the one named first; with no language named, the
    language the message is written in.
    """
    named = sorted(
        (match.start(), language)
        for language, pattern in _NAMES.items()
        for match in [pattern.search(text or "")]
        if match
    )
    if not named:
        return detected
    wanted = named[0][1]
    if _CANNOT.search(text):
        return INDONESIAN if wanted == ENGLISH else ENGLISH
    return wanted


def _wrote_in_a_language_before(tracker: Tracker) -> bool:
    users = [e for e in tracker.events if e.get("event") == "user"][:-1]
    return any((e.get("parse_data") or {}).get(LANGUAGE_KEY) for e in users)


class ActionDetectLanguage(Action):
    """Follows the customer's language, turn by turn.

    Runs as the ``language`` slot's custom mapping after every message. The
    NLU pipeline puts the detected language and its lead in votes in the
    parse data; messages with no clear language (an order number, "ok", an
    emoji, a button payload) leave the slot as it was, and so does a lead of
    one word once the customer has written in a language. An explicit
    request ("can we continue in english?") always switches.
    """

    def name(self) -> Text:
        return ACTION_DETECT_LANGUAGE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        message = tracker.latest_message
        detected = message.get(LANGUAGE_KEY)
        if (message.get("intent") or {}).get("name") == SWITCH_INTENT:
            wanted = requested_language(message.get("text") or "", detected)
        elif message.get(LANGUAGE_MARGIN_KEY, SWITCH_MARGIN) >= SWITCH_MARGIN:
            wanted = detected
        else:
            wanted = None if _wrote_in_a_language_before(tracker) else detected
        if wanted and wanted != tracker.get_slot(LANGUAGE_SLOT):
            return [SlotSet(LANGUAGE_SLOT, wanted)]
        return []

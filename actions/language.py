"""The conversation's reply language."""
import re
from typing import Any, Dict, Iterable, List, Optional, Text

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


def followed_language(
    latest: Dict[Text, Any], current: Optional[Text], earlier: Iterable[Dict[Text, Any]]
) -> Optional[Text]:
    """The language the replies switch to after the customer's latest message (None: keep ``current``).

    Args:
        latest: The latest message's parse data (``tracker.latest_message``).
        current: The ``language`` slot now.
        earlier: The parse data of the customer's earlier messages in this conversation.
    """
    detected = latest.get(LANGUAGE_KEY)
    if (latest.get("intent") or {}).get("name") == SWITCH_INTENT:
        wanted = requested_language(latest.get("text") or "", detected)
    elif latest.get(LANGUAGE_MARGIN_KEY, SWITCH_MARGIN) >= SWITCH_MARGIN:
        wanted = detected
    else:
        wrote_in_a_language_before = any(parse.get(LANGUAGE_KEY) for parse in earlier)
        wanted = None if wrote_in_a_language_before else detected
    return wanted if wanted and wanted != current else None


class ActionDetectLanguage(Action):
    """Follows the customer's language, turn by turn.

    Runs as the ``language`` slot's custom mapping after every message. The
    NLU pipeline puts the detected language and its lead in votes in the
    parse data; messages with no clear language (an order number, "ok", an
    emoji, a button payload) leave the slot as it was, and so does a lead of
    one word once the customer has written in a language. An explicit
    request ("can we continue in english?") always switches.

    The Rasa servers of ``make run`` and ``make run-scaled`` decide the same
    in their own process (bot/in_process_actions.py), without this call.
    """

    def name(self) -> Text:
        return ACTION_DETECT_LANGUAGE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        users = [e for e in tracker.events if e.get("event") == "user"][:-1]
        wanted = followed_language(
            tracker.latest_message, tracker.get_slot(LANGUAGE_SLOT), (e.get("parse_data") or {} for e in users)
        )
        return [SlotSet(LANGUAGE_SLOT, wanted)] if wanted else []

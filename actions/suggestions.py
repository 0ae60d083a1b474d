"""Topic suggestions as buttons: the help menu, and clarification when the bot is unsure."""
import re
from typing import Any, Dict, Iterable, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import reply_language
from actions.topics import TOPICS
from contract.dialogue import ACTION_CLARIFY, ACTION_SHOW_MENU, FALLBACK_INTENT, RESPONSE_METADATA_KEY
from cxm_store.pii import mask_pii

RETRIEVAL_INTENT = "faq"

# What the help menu offers, and what a clarification falls back to when the
# classifier has no usable guess (an empty or emoji-only message).
MENU_TOPICS = (
    "check_order_status",
    "faq/shipping_time",
    "faq/returns",
    "faq/payment_methods",
    "request_human",
)

# What action_clarify says after a second miss in a row: the offer of a person.
OFFER_OF_A_PERSON = "utter_offer_human"


def topic_button(topic: Text, language: Text) -> Dict[Text, Text]:
    """Return the button for ``topic`` in ``language``.

    Intents are sent as payloads ("/check_order_status"); FAQ topics as a
    question the classifier answers with that topic, since a retrieval
    sub-intent cannot be given as a payload.
    """
    entry = TOPICS[topic]
    payload = entry.question[language] if topic.startswith(f"{RETRIEVAL_INTENT}/") else f"/{topic}"
    return {"title": entry.label[language], "payload": payload}


def likeliest_topics(parse_data: Dict[Text, Any], count: int = 2) -> List[Text]:
    """Return the ``count`` topics the classifier found likeliest for a message.

    A FAQ topic's likelihood is the ``faq`` intent's confidence times the
    response selector's confidence in the topic. Intents that are not topics
    (greet, affirm...) are skipped; the menu fills any gap.
    """
    scored: Dict[Text, float] = {}
    faq_ranking = parse_data.get("response_selector", {}).get(RETRIEVAL_INTENT, {}).get("ranking", [])
    for intent in parse_data.get("intent_ranking", []):
        if intent["name"] == RETRIEVAL_INTENT:
            for answer in faq_ranking:
                scored[answer["intent_response_key"]] = intent["confidence"] * answer["confidence"]
        else:
            scored[intent["name"]] = intent["confidence"]
    ranked = sorted((t for t in scored if t in TOPICS), key=lambda topic: scored[topic], reverse=True)
    return _first_unique(list(ranked) + list(MENU_TOPICS), count)


def _first_unique(topics: Iterable[Text], count: int) -> List[Text]:
    chosen: List[Text] = []
    for topic in topics:
        if topic not in chosen:
            chosen.append(topic)
        if len(chosen) == count:
            break
    return chosen


# The words around a customer's introduction ("halo kak, saya Budi, no hp saya
# 0812…", "hi, my name is Sarah and my email is …"): with personal data and
# nothing else, a message introduces its writer, it asks nothing.
INTRODUCTION_WORDS = frozenset(
    "halo hai hallo hi hello pagi siang sore malam selamat kak kakak min admin gan sis "
    "saya aku sy nama namaku nm no nomor nomer hp wa whatsapp telp telepon email e-mail alamat dari di "
    "ini adalah ya yg yang dan sama my name is i i'm im am and this here from at number phone "
    "mobile address please".split()
)
_WORD = re.compile(r"\[[a-z_]+\]|[^\W\d_][\w'-]*")
# Words an introduction may hold that nothing above knows: a town ("dari Bekasi").
_OTHER_WORDS_IN_AN_INTRODUCTION = 2


def is_introduction(text: Text) -> bool:
    """Whether a message only introduces the customer: personal data, greeting words, a place at most."""
    masked = mask_pii(text).strip()
    if masked == text.strip() or "?" in text:
        return False
    words = [w for w in _WORD.findall(masked.lower()) if not w.startswith("[")]
    return sum(w not in INTRODUCTION_WORDS for w in words) <= _OTHER_WORDS_IN_AN_INTRODUCTION


def _previous_message_missed(tracker: Tracker) -> bool:
    """Whether the customer's message before the latest one was not understood either."""
    user_turns = [e for e in tracker.events if e.get("event") == "user"]
    if len(user_turns) < 2:
        return False
    intent = (user_turns[-2].get("parse_data") or {}).get("intent") or {}
    return intent.get("name") == FALLBACK_INTENT


def latest_bot_message(tracker: Tracker) -> Dict[Text, Any]:
    """The bot's latest message event (``metadata.utter_action`` names its response), or {}."""
    return next((e for e in reversed(tracker.events) if e.get("event") == "bot"), {})


def is_offer_of_a_person(bot_message: Dict[Text, Any]) -> bool:
    """Whether a bot message event is action_clarify's offer of a person."""
    return (bot_message.get("metadata") or {}).get(RESPONSE_METADATA_KEY) == OFFER_OF_A_PERSON


def menu_buttons(language: Text) -> List[Dict[Text, Text]]:
    """The help menu's topics as buttons in ``language``."""
    return [topic_button(t, language) for t in MENU_TOPICS]


class ActionShowMenu(Action):
    """Shows what the assistant can help with, as buttons."""

    def name(self) -> Text:
        return ACTION_SHOW_MENU

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        dispatcher.utter_message(response="utter_help", buttons=menu_buttons(language))
        return []


class ActionClarify(Action):
    """Asks which of the two likeliest topics was meant; after a second miss, offers a person."""

    def name(self) -> Text:
        return ACTION_CLARIFY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        text = tracker.latest_message.get("text") or ""
        if is_introduction(text):
            # Nothing was asked yet: invite the question instead of guessing topics.
            dispatcher.utter_message(response="utter_how_can_i_help")
            return []
        if _previous_message_missed(tracker):
            dispatcher.utter_message(response=OFFER_OF_A_PERSON)
            return []
        language = reply_language(tracker)
        buttons = [topic_button(t, language) for t in likeliest_topics(tracker.latest_message)]
        empty = not text.strip()
        dispatcher.utter_message(
            response="utter_empty_message" if empty else "utter_clarify", buttons=buttons
        )
        return []

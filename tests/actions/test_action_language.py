"""action_detect_language: the ``language`` slot follows the customer's language."""
import pytest
from rasa_sdk.events import SlotSet

from action_helpers import parse_data, run_action
from actions.language import ActionDetectLanguage, reply_language


@pytest.fixture
def action() -> ActionDetectLanguage:
    return ActionDetectLanguage()


def test_name(action):
    assert action.name() == "action_detect_language"


@pytest.mark.parametrize(
    ("slot", "detected"), [("id", "en"), ("en", "id"), (None, "id"), (None, "en")]
)
def test_switches_to_detected_language(action, dispatcher, make_tracker, domain, slot, detected):
    tracker = make_tracker(
        slots={"language": slot},
        latest_message=parse_data("where is my order", "check_order_status", language=detected),
    )
    events = run_action(action, dispatcher, tracker, domain)
    assert events == [SlotSet("language", detected)]
    assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["id", "en"])
def test_same_language_sets_nothing(action, dispatcher, make_tracker, domain, language):
    tracker = make_tracker(
        slots={"language": language},
        latest_message=parse_data("halo kak", "greet", language=language),
    )
    assert run_action(action, dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "latest",
    [
        # An order number: no clear language, so no "language" key.
        parse_data("INV-2024-00123", "check_order_status"),
        parse_data("ok", "affirm"),
        parse_data("👍", "nlu_fallback", 0.5),
        # A button payload.
        parse_data("/request_human", "request_human", 1.0),
        # Key present but empty.
        parse_data("ok", "affirm", language=None) | {"language": None},
        {},
    ],
    ids=["order-number", "ok", "emoji", "payload", "language-none", "no-message"],
)
@pytest.mark.parametrize("slot", ["id", "en"])
def test_unclear_message_keeps_language(action, dispatcher, make_tracker, domain, latest, slot):
    tracker = make_tracker(slots={"language": slot}, latest_message=latest)
    assert run_action(action, dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


@pytest.mark.parametrize(("slot", "expected"), [("id", "id"), ("en", "en"), (None, "id")])
def test_reply_language_defaults_to_indonesian(make_tracker, slot, expected):
    assert reply_language(make_tracker(slots={"language": slot})) == expected


def _earlier_message(language):
    return {"event": "user", "text": "halo", "parse_data": {"language": language}}


def test_one_word_of_the_other_language_keeps_an_established_language(action, dispatcher, make_tracker, domain):
    latest = parse_data("sip thx", "thanks", language="en", language_margin=1)
    tracker = make_tracker(
        slots={"language": "id"},
        latest_message=latest,
        events=[_earlier_message("id"), {"event": "user", "text": "sip thx", "parse_data": latest}],
    )
    assert run_action(action, dispatcher, tracker, domain) == []


def test_one_word_sets_the_language_of_a_first_message(action, dispatcher, make_tracker, domain):
    latest = parse_data("hello", "greet", language="en", language_margin=1)
    tracker = make_tracker(
        slots={"language": "id"},
        latest_message=latest,
        events=[{"event": "user", "text": "hello", "parse_data": latest}],
    )
    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("language", "en")]


@pytest.mark.parametrize(
    ("text", "detected", "slot", "wanted"),
    [
        ("could we carry on in english?", "en", "id", "en"),
        ("english pls", None, "id", "en"),
        ("pakai bahasa indonesia aja kak", "id", "en", "id"),
        ("ga ngerti bahasa inggris kak", "id", "en", "id"),
        ("I don't understand indonesian", "en", "id", "en"),
        ("can we talk in indonesian instead of english", "en", "en", "id"),
    ],
)
def test_explicit_request_switches_whatever_the_words(action, dispatcher, make_tracker, domain, text, detected, slot, wanted):
    latest = parse_data(text, "switch_language", language=detected, language_margin=1)
    tracker = make_tracker(slots={"language": slot}, latest_message=latest, events=[_earlier_message(slot)])
    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("language", wanted)]

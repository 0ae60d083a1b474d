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

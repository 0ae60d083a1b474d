"""The ``language`` slot followed by Rasa's own ``action_extract_slots``, with no action server at all.

Each case runs the same conversation through the action server's
``action_detect_language`` and through Rasa's slot extraction with
bot/in_process_actions.py installed and no action endpoint configured (a
call to the action server would fail): the language set must be the same.
"""
import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from action_helpers import parse_data, run_action
from actions.language import ActionDetectLanguage
from bot.in_process_actions import run_slot_mappings_in_process
from tests.actions.conftest import DOMAIN_FILE


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(DOMAIN_FILE))


def in_process_language(rasa_domain: Domain, slot: Optional[str], messages: List[Dict[str, Any]]) -> List[Any]:
    """The ``language`` SlotSet events Rasa's slot extraction returns after ``messages``."""
    run_slot_mappings_in_process()
    events: List[Any] = [SlotSet("language", slot)]
    for parse in messages:
        events += [UserUttered(parse.get("text"), parse.get("intent"), parse.get("entities"), parse),
                   ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("in-process", events[:-1], slots=rasa_domain.slots)
    extracted = asyncio.run(ActionExtractSlots(action_endpoint=None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(rasa_domain.responses), tracker, rasa_domain,
    ))
    return [(e.key, e.value) for e in extracted if isinstance(e, SlotSet) and e.key == "language"]


CASES = {
    "english-after-indonesian": ("id", [parse_data("where is my order", "check_order_status", language="en")]),
    "indonesian-after-english": ("en", [parse_data("pesanan saya dimana", "check_order_status", language="id")]),
    "same-language": ("id", [parse_data("halo kak", "greet", language="id")]),
    "order-number-keeps": ("en", [parse_data("INV-2024-00123", "check_order_status")]),
    "one-word-keeps-established": ("id", [
        parse_data("halo kak", "greet", language="id", language_margin=3),
        parse_data("sip thx", "thanks", language="en", language_margin=1),
    ]),
    "one-word-sets-first-message": ("id", [parse_data("hello", "greet", language="en", language_margin=1)]),
    "explicit-request": ("en", [
        parse_data("halo", "greet", language="id", language_margin=2),
        parse_data("ga ngerti bahasa inggris kak", "switch_language", language="id", language_margin=1),
    ]),
    "asks-for-english-in-indonesian": ("id", [
        parse_data("english pls", "switch_language", language_margin=0),
    ]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_rasa_follows_the_language_as_the_action_server_does(case, rasa_domain, dispatcher, make_tracker, domain):
    slot, messages = CASES[case]
    sdk_tracker = make_tracker(
        slots={"language": slot}, latest_message=messages[-1],
        events=[{"event": "user", "text": m["text"], "parse_data": m} for m in messages],
    )
    by_action_server = [(e["name"], e["value"]) for e in run_action(ActionDetectLanguage(), dispatcher, sdk_tracker, domain)]
    assert in_process_language(rasa_domain, slot, messages) == by_action_server


def test_the_language_switch_is_decided_without_an_action_server(rasa_domain):
    english = parse_data("where is my order", "check_order_status", language="en")
    assert in_process_language(rasa_domain, "id", [english]) == [("language", "en")]

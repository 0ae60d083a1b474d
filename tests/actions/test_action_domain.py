"""What the actions dispatch exists in domain.yml, in both languages, and fits the data."""
import re
import string
from pathlib import Path
from typing import Dict, Set

import pytest
import yaml

from actions.order_answers import STATUS_RESPONSES
from actions.suggestions import MENU_TOPICS, RETRIEVAL_INTENT
from actions.topics import TOPICS

ROOT = Path(__file__).resolve().parents[2]
ACTION_SOURCES = sorted((ROOT / "actions").glob("*.py"))
LANGUAGES = {"id", "en"}

ORDER_FIELDS = {"order_id", "courier", "tracking_number", "eta", "item_count"}

# Every response an action dispatches, with the template kwargs it passes.
DISPATCHED: Dict[str, Set[str]] = {
    "utter_ask_order_id": set(),
    "utter_order_id_malformed": {"order_id"},
    "utter_order_not_found": {"order_id"},
    "utter_order_lookup_unavailable": {"order_id"},
    "utter_order_status_processing": ORDER_FIELDS,
    "utter_order_status_packed": ORDER_FIELDS,
    "utter_order_status_shipped": ORDER_FIELDS,
    "utter_order_status_delivered": ORDER_FIELDS,
    "utter_order_status_cancelled": ORDER_FIELDS,
    "utter_help": set(),
    "utter_clarify": set(),
    "utter_empty_message": set(),
    "utter_offer_human": set(),
    "utter_pick_a_topic": set(),
    "utter_ask_survey_resolved": set(),
    "utter_ask_csat": set(),
    "utter_ask_ces": set(),
    "utter_ask_nps": set(),
    "utter_ask_survey_comment": set(),
    "utter_reask_score": {"low", "high"},
    "utter_reask_yes_no": set(),
    "utter_survey_unresolved": set(),
    "utter_survey_thanks": set(),
    "utter_survey_declined": set(),
    "utter_survey_dropped": set(),
    "utter_handoff_queued": {"position", "wait_minutes"},
    "utter_handoff_closed": {"hours"},
    "utter_handoff_no_agents": {"hours"},
    "utter_ask_ticket_contact": set(),
    "utter_ticket_created": {"contact"},
    "utter_ticket_no_contact": set(),
    "utter_anything_else": set(),
    "utter_how_can_i_help": set(),
    "utter_survey_sorry": set(),
    "utter_order_cancel_possible": ORDER_FIELDS,
    "utter_order_cancel_too_late": ORDER_FIELDS,
    "utter_order_cancel_delivered": ORDER_FIELDS,
    "utter_order_already_cancelled": ORDER_FIELDS,
    "utter_order_refund_cancelled": ORDER_FIELDS,
    "utter_order_refund_none": ORDER_FIELDS,
    "utter_order_return_not_yet": ORDER_FIELDS,
    "utter_order_address_changeable": ORDER_FIELDS,
    "utter_order_address_too_late": ORDER_FIELDS,
    "utter_order_return_window_open": {"order_id", "last_day"},
    "utter_order_return_window_closed": {"order_id", "last_day"},
    "utter_link_code": {"code", "minutes"},
    "utter_link_done": {"channels"},
    "utter_link_already": {"channels"},
    "utter_link_order_proved": {"channels"},
    "utter_link_not_proved": {"channels"},
    "utter_link_invalid_code": {"channels"},
    "utter_link_too_many": {"channels"},
    "utter_link_unavailable": set(),
}


def _languages(variation) -> Set[str]:
    return {
        c.get("value")
        for c in variation.get("condition") or []
        if c.get("type") == "slot" and c.get("name") == "language"
    }


def test_dispatched_list_is_complete():
    named = set()
    for path in ACTION_SOURCES:
        named |= set(re.findall(r"""["'](utter_[a-z0-9_/]+)["']""", path.read_text()))
    assert named == set(DISPATCHED)
    assert set(STATUS_RESPONSES.values()) <= set(DISPATCHED)


@pytest.mark.parametrize("response", sorted(DISPATCHED))
def test_response_has_id_and_en_variation(domain, response):
    variations = domain["responses"].get(response)
    assert variations, f"{response} missing from domain.yml"
    languages = [_languages(v) for v in variations]
    assert all(len(l) == 1 for l in languages), f"{response}: a variation without a language condition"
    assert sorted(next(iter(l)) for l in languages) == ["en", "id"]
    assert all(v.get("text") for v in variations)


@pytest.mark.parametrize("response", sorted(DISPATCHED))
def test_response_placeholders_are_passed(domain, response):
    for variation in domain["responses"][response]:
        fields = {name for _, name, _, _ in string.Formatter().parse(variation["text"]) if name}
        assert fields <= DISPATCHED[response], (response, _languages(variation))


def test_offer_human_buttons_are_intents(domain):
    for variation in domain["responses"]["utter_offer_human"]:
        payloads = [b["payload"] for b in variation["buttons"]]
        assert payloads == ["/request_human", "/deny"]
        assert all(p[1:] in domain["intents"] for p in payloads)


# --- Topics against the domain and the training data ------------------------------

def _faq_examples() -> Dict[tuple, Set[str]]:
    """(intent, language) -> examples, from data/nlu/faq_*.yml."""
    nlu = []
    for path in sorted((ROOT / "data" / "nlu").glob("faq_*.yml")):
        with open(path, encoding="utf-8") as handle:
            nlu += yaml.safe_load(handle)["nlu"]
    examples: Dict[tuple, Set[str]] = {}
    for block in nlu:
        key = (block["intent"], (block.get("metadata") or {}).get("language"))
        lines = [l.strip()[2:].strip() for l in block["examples"].splitlines() if l.strip()]
        examples.setdefault(key, set()).update(lines)
    return examples


def test_every_faq_answer_can_be_suggested(domain):
    answers = {r[len("utter_"):] for r in domain["responses"] if r.startswith("utter_faq/")}
    assert answers == {t for t in TOPICS if t.startswith(f"{RETRIEVAL_INTENT}/")}


def test_menu_topics_are_topics():
    assert set(MENU_TOPICS) <= set(TOPICS)
    assert len(set(MENU_TOPICS)) == len(MENU_TOPICS)


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_topic_exists_in_domain(domain, topic):
    entry = TOPICS[topic]
    assert set(entry.label) == LANGUAGES and all(entry.label.values())
    assert set(entry.question) == LANGUAGES and all(entry.question.values())
    if topic.startswith(f"{RETRIEVAL_INTENT}/"):
        assert f"utter_{topic}" in domain["responses"]
    else:
        assert topic in domain["intents"]


@pytest.mark.parametrize(
    "topic", sorted(t for t in TOPICS if t.startswith(f"{RETRIEVAL_INTENT}/"))
)
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_faq_button_payload_is_a_training_example(topic, language):
    # The payload is parsed like typed text, so it must be an example of its own topic.
    question = TOPICS[topic].question[language]
    examples = _faq_examples()
    assert question in examples.get((topic, language), set()), (topic, language, question)
    others = [key for key, texts in examples.items() if question in texts and key[0] != topic]
    assert others == []

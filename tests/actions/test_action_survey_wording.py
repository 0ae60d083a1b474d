"""The survey asked in the lead's words (cxm_store.survey_texts), payloads unchanged."""
import datetime as dt

import pytest

from action_helpers import message, run_action
from actions.feedback import ActionOfferSurvey, ActionSurveyAnswer
from cxm_store import schema
from cxm_store.survey_texts import save_wording

AFTER_A_REQUEST = [{"event": "session_started"}, {"event": "user", "text": "x", "parse_data": {"intent": {"name": "faq"}}}]


@pytest.fixture
def reworded(tmp_path, monkeypatch) -> None:
    """A store where a lead reworded the Indonesian 'was it resolved?' question (two titles)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    monkeypatch.setenv("CXM_DATABASE_URL", url)
    save_wording("resolved", "id", "Masalahnya sudah beres, Kak?", ["Beres", "Belum"], "lead", dt.datetime(2026, 11, 1))


def test_the_bot_asks_in_the_leads_words_with_the_built_in_payloads(reworded, make_tracker, dispatcher, domain) -> None:
    run_action(ActionOfferSurvey(), dispatcher, make_tracker(events=AFTER_A_REQUEST), domain)
    (asked,) = dispatcher.messages
    built_in = next(v for v in domain["responses"]["utter_ask_survey_resolved"]
                    if v["condition"][0]["value"] == "id")["buttons"]
    assert asked["text"] == "Masalahnya sudah beres, Kak?"
    assert [b["title"] for b in asked["buttons"]] == ["Beres", "Belum"] + [b["title"] for b in built_in[2:]]
    assert [b["payload"] for b in asked["buttons"]] == [b["payload"] for b in built_in]


def test_an_english_customer_gets_the_built_in_question_when_only_indonesian_was_reworded(
    reworded, make_tracker, dispatcher, domain
) -> None:
    run_action(ActionOfferSurvey(), dispatcher, make_tracker(slots={"language": "en"}, events=AFTER_A_REQUEST), domain)
    assert dispatcher.messages == [message("utter_ask_survey_resolved")]


def test_a_question_asked_again_keeps_the_leads_words_it_was_first_asked_in(
    reworded, make_tracker, dispatcher, domain
) -> None:
    """'7' on the 1-5 CSAT is unclear: the re-ask repeats the lead's version 1, not the built-in text,
    nor version 2 saved after the customer first read the question."""
    save_wording("csat", "id", "Seberapa puas Kakak?", ["😡", "🙁", "😐", "🙂", "😍"], "lead", dt.datetime(2026, 11, 1))
    first_asked = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
    save_wording("csat", "id", "Kasih nilai dong, Kak", [], "lead", dt.datetime(2026, 11, 3))
    asked = {"event": "slot", "name": "survey_question", "value": "csat", "timestamp": first_asked.timestamp()}
    tracker = make_tracker(
        slots={"survey_question": "csat", "survey_retry": False},
        latest_message={"text": "7", "intent": {"name": "rate"}, "entities": []},
        events=AFTER_A_REQUEST + [asked],
    )
    run_action(ActionSurveyAnswer(), dispatcher, tracker, domain)
    reask, question = dispatcher.messages
    assert reask == message("utter_reask_score", low=1, high=5)
    assert question["text"] == "Seberapa puas Kakak?"
    assert [b["title"] for b in question["buttons"]][:5] == ["😡", "🙁", "😐", "🙂", "😍"]

"""The follow-up survey: reading answers, and the exact events and questions of each step."""
import pytest
from rasa_sdk.events import SlotSet

from action_helpers import message, parse_data, run_action
from actions.feedback import ActionOfferSurvey, ActionStopSurvey, ActionSurveyAnswer, end_survey
from actions.survey_answers import read_score


@pytest.mark.parametrize(
    "text, kind, score, declined",
    [
        ("4", "csat", 4, False),
        ("empat", "csat", 4, False),
        ("bagus banget", "csat", 5, False),
        ("mantap", "csat", 5, False),
        ("😀", "csat", 5, False),
        ("4/5", "csat", 4, False),
        ("kasih 5 deh", "csat", 5, False),
        ("⭐⭐⭐", "csat", 3, False),
        ("7", "csat", None, False),  # out of range: asked again, not clamped
        ("2 atau 3", "csat", None, False),
        ("asdf", "csat", None, False),
        ("skip aja", "csat", None, True),
        ("6", "ces", 6, False),
        ("sangat mudah", "ces", 7, False),
        ("0", "nps", 0, False),
        ("sepuluh", "nps", 10, False),
        ("no thanks", "nps", None, True),
    ],
)
def test_read_score(text, kind, score, declined) -> None:
    reading = read_score(text, kind)
    assert (reading.score, reading.declined) == (score, declined)


def user(intent: str, text: str = "x") -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def test_offer_after_a_request_asks_whether_it_was_resolved(make_tracker, dispatcher, domain) -> None:
    tracker = make_tracker(events=[{"event": "session_started"}, user("faq"), user("thanks")])
    events = run_action(ActionOfferSurvey(), dispatcher, tracker, domain)
    assert events == [
        SlotSet("conversation_outcome", "resolved"),
        SlotSet("survey_question", "resolved"),
        SlotSet("survey_retry", False),
    ]
    assert dispatcher.messages == [message("utter_ask_survey_resolved")]


def test_no_survey_after_small_talk_only(make_tracker, dispatcher, domain) -> None:
    tracker = make_tracker(events=[user("faq"), {"event": "session_started"}, user("greet"), user("thanks")])
    assert run_action(ActionOfferSurvey(), dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


def test_no_second_survey_in_one_conversation(make_tracker, dispatcher, domain) -> None:
    tracker = make_tracker(slots={"survey_resolved": 1}, events=[user("faq")])
    assert run_action(ActionOfferSurvey(), dispatcher, tracker, domain) == []


def test_after_an_agent_the_outcome_is_left_to_the_handoff(make_tracker, dispatcher, domain) -> None:
    tracker = make_tracker(slots={"handoff_agent": "rina"}, events=[user("greet")])
    events = run_action(ActionOfferSurvey(), dispatcher, tracker, domain)
    assert events == [SlotSet("survey_question", "resolved"), SlotSet("survey_retry", False)]


def answer(make_tracker, dispatcher, domain, question, text, intent="rate", retry=False, entities=None, **slots):
    tracker = make_tracker(
        slots={"survey_question": question, "survey_retry": retry, **slots},
        latest_message=parse_data(text, intent, entities=entities),
    )
    return run_action(ActionSurveyAnswer(), dispatcher, tracker, domain)


def test_resolved_yes_then_csat(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "resolved", "ya", intent="affirm")
    assert events == [SlotSet("survey_resolved", 1), SlotSet("survey_question", "csat"), SlotSet("survey_retry", False)]
    assert dispatcher.messages == [message("utter_ask_csat")]


def test_resolved_no_marks_unresolved_and_goes_on(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "resolved", "belum", intent="deny")
    assert events == [
        SlotSet("survey_resolved", 0),
        SlotSet("conversation_outcome", "unresolved"),
        SlotSet("survey_question", "csat"),
        SlotSet("survey_retry", False),
    ]
    assert dispatcher.messages == [message("utter_survey_unresolved"), message("utter_ask_csat")]


def test_csat_button_payload_then_ces(make_tracker, dispatcher, domain) -> None:
    score = [{"entity": "score", "value": 5}]
    events = answer(make_tracker, dispatcher, domain, "csat", '/rate{"score": 5}', entities=score)
    assert events == [SlotSet("survey_csat", 5), SlotSet("survey_question", "ces"), SlotSet("survey_retry", False)]
    assert dispatcher.messages == [message("utter_ask_ces")]


def test_out_of_range_is_asked_again_once(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "csat", "7")
    assert events == [SlotSet("survey_retry", True)]
    assert dispatcher.messages == [message("utter_reask_score", low=1, high=5), message("utter_ask_csat")]


def test_second_unclear_answer_drops_the_survey_politely(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "csat", "hmm entahlah", intent="nlu_fallback", retry=True)
    assert events == end_survey()
    assert dispatcher.messages == [message("utter_survey_dropped")]


def test_decline_ends_the_survey(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "ces", "skip", intent="decline_survey")
    assert events == [SlotSet("survey_ces", "declined"), *end_survey()]
    assert dispatcher.messages == [message("utter_survey_declined")]


def test_ces_then_nps_for_a_new_customer(make_tracker, dispatcher, domain, orders_db) -> None:
    events = answer(make_tracker, dispatcher, domain, "ces", "6")
    assert events == [SlotSet("survey_ces", 6), SlotSet("survey_question", "nps"), SlotSet("survey_retry", False)]
    assert dispatcher.messages == [message("utter_ask_nps")]


def test_nps_is_skipped_when_the_store_cannot_tell(make_tracker, dispatcher, domain) -> None:
    # The autouse fixture points the store at an unmigrated database.
    events = answer(make_tracker, dispatcher, domain, "ces", "6")
    assert events == [SlotSet("survey_ces", 6), SlotSet("survey_question", "comment"),
                      SlotSet("survey_retry", False), SlotSet("survey_comment_pending", True)]


def test_comment_ends_with_thanks(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "comment", "kurirnya ramah", intent="thanks")
    assert events == [SlotSet("survey_comment", "kurirnya ramah"), *end_survey()]
    assert dispatcher.messages == [message("utter_survey_thanks")]


def test_stop_survey_clears_the_pending_question(make_tracker, dispatcher, domain) -> None:
    tracker = make_tracker(slots={"survey_question": "csat"})
    assert run_action(ActionStopSurvey(), dispatcher, tracker, domain) == [
        SlotSet("survey_question", None), SlotSet("survey_retry", False), SlotSet("survey_comment_pending", False)]


def test_typed_refusal_declines_whatever_the_intent(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "resolved", "gak mau isi survei", intent="deny")
    assert events == [SlotSet("survey_resolved", "declined"), *end_survey()]


def test_a_long_comment_mentioning_gak_mau_is_kept(make_tracker, dispatcher, domain) -> None:
    text = "kurirnya gak mau naik ke lantai 3, tolong diperbaiki"
    events = answer(make_tracker, dispatcher, domain, "comment", text, intent="complain")
    assert events[0] == SlotSet("survey_comment", text)


# --- Answers however they come (issue 10) -------------------------------------

@pytest.mark.parametrize(
    "text, score",
    [("4 bintang", 4), ("lumayan lah", 3), ("5 stars", 5), ("meh", 3), ("ga puas", 2), ("not satisfied", 2)],
)
def test_free_text_readings(text, score) -> None:
    assert read_score(text, "csat").score == score


def test_rating_at_the_resolved_question_is_the_csat_and_moves_on(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "resolved", "4 bintang")
    assert events == [SlotSet("survey_csat", 4), SlotSet("survey_question", "ces"), SlotSet("survey_retry", False)]
    assert dispatcher.messages == [message("utter_ask_ces")]


def test_unhappy_answer_gets_an_apology_a_person_and_no_more_questions(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "resolved", "ga puas, lama bgt prosesnya", intent="complain")
    assert events == [
        SlotSet("survey_csat", 2),
        SlotSet("survey_comment", "ga puas, lama bgt prosesnya"),
        *end_survey(),
    ]
    assert dispatcher.messages == [message("utter_survey_sorry")]
    buttons = domain["responses"]["utter_survey_sorry"][0]["buttons"]
    assert buttons[0]["payload"] == "/request_human"


def test_remark_where_a_score_was_asked_is_the_comment(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "ces", "agen nya ramah sekali", intent="thanks")
    assert events[0] == SlotSet("survey_comment", "agen nya ramah sekali")
    # The comment is not asked for again at the end.
    assert SlotSet("survey_question", "comment") not in events
    assert message("utter_ask_survey_comment") not in dispatcher.messages


def test_out_of_range_number_is_still_asked_again(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "csat", "7")
    assert events == [SlotSet("survey_retry", True)]


def test_unhappy_no_at_the_resolved_question(make_tracker, dispatcher, domain) -> None:
    events = answer(make_tracker, dispatcher, domain, "resolved", "not satisfied, it took forever", intent="deny")
    assert events == [
        SlotSet("survey_resolved", 0),
        SlotSet("survey_csat", 2),
        SlotSet("survey_comment", "not satisfied, it took forever"),
        SlotSet("conversation_outcome", "unresolved"),
        *end_survey(),
    ]
    assert dispatcher.messages == [message("utter_survey_sorry")]

"""action_answer_faq: each question of a message answered, about the customer's order where it matters.

Demo orders (see tests/actions/test_action_orders.py): 00123 shipped (JNE),
00124 processing, 00125 delivered (eta = today - 2), 00126 cancelled,
00127 packed.
"""
import datetime as dt

import pytest
from rasa_sdk.events import SlotSet

from action_helpers import message, order_entity, parse_data, run_action
from actions.faq import ActionAnswerFaq
from actions.order_answers import format_date


@pytest.fixture
def action() -> ActionAnswerFaq:
    return ActionAnswerFaq()


def faq_message(text, topic, order=None, **extra):
    """A FAQ message as Rasa sends it: the ResponseSelector's topic, and the order entity if typed."""
    selector = {"faq": {"response": {"intent_response_key": topic}}}
    entities = [order_entity(text, order)] if order else []
    return parse_data(text, "faq", entities=entities, response_selector=selector, **extra)


def test_without_an_order_the_policy_answers(action, dispatcher, make_tracker, domain, orders_db):
    tracker = make_tracker(latest_message=faq_message("gimana cara batalin pesanan", "faq/cancel_order"))
    assert run_action(action, dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_faq/cancel_order")]


@pytest.mark.parametrize(
    ("order", "response"),
    [
        ("INV-2024-00124", "utter_order_cancel_possible"),
        ("INV-2024-00127", "utter_order_cancel_too_late"),
        ("INV-2024-00123", "utter_order_cancel_too_late"),
        ("INV-2024-00125", "utter_order_cancel_delivered"),
        ("INV-2024-00126", "utter_order_already_cancelled"),
    ],
)
def test_cancel_with_an_order_number_answers_for_its_status(
    action, dispatcher, make_tracker, domain, orders_db, order, response
):
    text = f"cancel {order} please"
    tracker = make_tracker(
        slots={"language": "en", "order_id": order},
        latest_message=faq_message(text, "faq/cancel_order", order),
    )
    events = run_action(action, dispatcher, tracker, domain)
    assert events == [SlotSet("order_id", order)]
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert dispatcher.messages[0]["order_id"] == order


def test_refund_of_a_cancelled_order_and_of_one_still_on_its_way(action, dispatcher, make_tracker, domain, orders_db):
    for order, response in [("INV-2024-00126", "utter_order_refund_cancelled"),
                            ("INV-2024-00123", "utter_order_refund_none")]:
        dispatcher.messages.clear()
        tracker = make_tracker(latest_message=faq_message(f"refund {order}?", "faq/refunds", order))
        run_action(action, dispatcher, tracker, domain)
        assert [m["response"] for m in dispatcher.messages] == [response]


def test_follow_up_uses_the_order_given_earlier(action, dispatcher, make_tracker, domain, orders_db):
    tracker = make_tracker(
        slots={"language": "en", "order_id": "INV-2024-00123"},
        latest_message=faq_message("so when will it arrive", "faq/delivery_late"),
    )
    run_action(action, dispatcher, tracker, domain)
    (answer,) = dispatcher.messages
    assert answer["response"] == "utter_order_status_shipped"
    assert (answer["order_id"], answer["tracking_number"]) == ("INV-2024-00123", "JNE1234567890")


def test_topic_that_does_not_depend_on_the_order_gets_the_policy(action, dispatcher, make_tracker, domain, orders_db):
    tracker = make_tracker(
        slots={"order_id": "INV-2024-00123"},
        latest_message=faq_message("voucher gak bisa dipakai", "faq/vouchers"),
    )
    assert run_action(action, dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_faq/vouchers")]


def test_return_window_of_a_delivered_order(action, dispatcher, make_tracker, domain, seeded_store):
    today = dt.date.today()
    seeded_store(today)
    tracker = make_tracker(latest_message=faq_message("retur INV-2024-00125 bisa?", "faq/returns", "INV-2024-00125"))
    run_action(action, dispatcher, tracker, domain)
    (answer,) = dispatcher.messages
    # Delivered two days ago: returns are open for 7 days after delivery.
    assert answer["response"] == "utter_order_return_window_open"
    assert answer["last_day"] == format_date(today - dt.timedelta(days=2) + dt.timedelta(days=7), "id")


def test_return_window_closed_after_seven_days(action, dispatcher, make_tracker, domain, seeded_store):
    seeded_store(dt.date.today() - dt.timedelta(days=10))
    tracker = make_tracker(latest_message=faq_message("return INV-2024-00125", "faq/returns", "INV-2024-00125"))
    run_action(action, dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_order_return_window_closed"


def test_unknown_order_is_said_not_found_before_the_policy(action, dispatcher, make_tracker, domain, orders_db):
    tracker = make_tracker(latest_message=faq_message("cancel INV-2024-99999", "faq/cancel_order", "INV-2024-99999"))
    assert run_action(action, dispatcher, tracker, domain) == []
    assert dispatcher.messages == [
        message("utter_order_not_found", order_id="INV-2024-99999"),
        message("utter_faq/cancel_order"),
    ]


def test_order_store_down_still_gets_the_policy(action, dispatcher, make_tracker, domain, monkeypatch):
    # The store's database refuses connections (nothing listens on port 9).
    monkeypatch.setenv("CXM_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/cxm")
    tracker = make_tracker(latest_message=faq_message("cancel INV-2024-00124", "faq/cancel_order", "INV-2024-00124"))
    assert run_action(action, dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_faq/cancel_order")]


def test_order_status_asked_beside_a_faq_question(action, dispatcher, make_tracker, domain, orders_db):
    text = "is INV-2024-00124 shipped? and can I still change the address"
    latest = faq_message(text, "faq/change_address", "INV-2024-00124",
                         questions=["check_order_status", "faq/change_address"])
    run_action(action, dispatcher, make_tracker(latest_message=latest), domain)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_order_status_processing", "utter_order_address_changeable",
    ]


def test_two_questions_get_two_answers_in_order(action, dispatcher, make_tracker, domain, orders_db):
    latest = faq_message(
        "bs cod ga? trs ongkir ke bekasi brp?", "faq/shipping_cost",
        questions=["faq/payment_methods", "faq/shipping_cost"],
    )
    run_action(action, dispatcher, make_tracker(latest_message=latest), domain)
    assert dispatcher.messages == [message("utter_faq/payment_methods"), message("utter_faq/shipping_cost")]


def _earlier(topic):
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": "faq", "full_retrieval_intent_name": topic}}}


@pytest.mark.parametrize(
    ("earlier", "text", "asked", "answered"),
    [
        ("faq/returns", "how many days do I have?", "faq/shipping_time", "utter_faq/returns"),
        ("faq/wrong_item", "how long until the right one comes?", "faq/shipping_time", "utter_faq/wrong_item"),
        # Shipping named outright is a shipping question, whatever came before.
        ("faq/returns", "how long does shipping to bali take?", "faq/shipping_time", "utter_faq/shipping_time"),
        ("faq/vouchers", "how long will it take?", "faq/shipping_time", "utter_faq/shipping_time"),
    ],
)
def test_bare_time_question_stays_on_the_previous_topic(
    action, dispatcher, make_tracker, domain, orders_db, earlier, text, asked, answered
):
    latest = faq_message(text, asked)
    tracker = make_tracker(latest_message=latest, events=[_earlier(earlier), {"event": "user", "text": text, "parse_data": latest}])
    run_action(action, dispatcher, tracker, domain)
    assert dispatcher.messages == [message(answered)]

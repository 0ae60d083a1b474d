"""action_check_order_status against a temporary SQLite store seeded with the demo orders.

Demo orders with today = 2026-08-29 (see cxm_store.orders.DEMO_ORDERS):

    INV-2024-00123  shipped     JNE       JNE1234567890  eta +2 = 31 Aug 2026  2 items
    INV-2024-00124  processing  -         -              eta +4 =  2 Sep 2026  1 item
    INV-2024-00125  delivered   SiCepat   SCP0099887766  eta -2 = 27 Aug 2026  3 items
    INV-2024-00126  cancelled   -         -              no eta                1 item
    INV-2024-00127  packed      J&T       -              eta +3 =  1 Sep 2026  1 item
    INV-2025-00001  shipped     AnterAja  ANT5556667778  eta +1 = 30 Aug 2026  4 items
"""
import datetime as dt

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from action_helpers import message, order_entity, parse_data, run_action
from actions.order_answers import format_date
from actions.orders import ActionCheckOrderStatus


@pytest.fixture
def action() -> ActionCheckOrderStatus:
    return ActionCheckOrderStatus()


def order_message(text, value):
    """A customer message naming an order number (the entity is ``value``)."""
    return parse_data(text, "check_order_status", entities=[order_entity(text, value)])


def tracker_for(make_tracker, text, value, language, order_slot=None):
    # Rasa's from_entity mapping has already copied the entity into the slot
    # by the time the action runs.
    return make_tracker(
        slots={"language": language, "order_id": value if order_slot is None else order_slot},
        latest_message=order_message(text, value),
    )


def test_name(action):
    assert action.name() == "action_check_order_status"


# --- One answer per status, in both languages ---------------------------------

STATUS_CASES = [
    # order id, language, response, courier, tracking, eta, items
    ("INV-2024-00123", "id", "utter_order_status_shipped", "JNE", "JNE1234567890", "31 Agu 2026", 2),
    ("INV-2024-00123", "en", "utter_order_status_shipped", "JNE", "JNE1234567890", "31 Aug 2026", 2),
    ("INV-2024-00124", "id", "utter_order_status_processing", "-", "-", "2 Sep 2026", 1),
    ("INV-2024-00124", "en", "utter_order_status_processing", "-", "-", "2 Sep 2026", 1),
    ("INV-2024-00125", "id", "utter_order_status_delivered", "SiCepat", "SCP0099887766", "27 Agu 2026", 3),
    ("INV-2024-00125", "en", "utter_order_status_delivered", "SiCepat", "SCP0099887766", "27 Aug 2026", 3),
    ("INV-2024-00126", "id", "utter_order_status_cancelled", "-", "-", "belum tersedia", 1),
    ("INV-2024-00126", "en", "utter_order_status_cancelled", "-", "-", "not available yet", 1),
    ("INV-2024-00127", "id", "utter_order_status_packed", "J&T", "-", "1 Sep 2026", 1),
    ("INV-2024-00127", "en", "utter_order_status_packed", "J&T", "-", "1 Sep 2026", 1),
    ("INV-2025-00001", "id", "utter_order_status_shipped", "AnterAja", "ANT5556667778", "30 Agu 2026", 4),
    ("INV-2025-00001", "en", "utter_order_status_shipped", "AnterAja", "ANT5556667778", "30 Aug 2026", 4),
]


@pytest.mark.parametrize(
    ("order_id", "language", "response", "courier", "tracking", "eta", "items"),
    STATUS_CASES,
    ids=[f"{c[2].rsplit('_', 1)[1]}-{c[0]}-{c[1]}" for c in STATUS_CASES],
)
def test_status_of_each_demo_order(
    action, dispatcher, make_tracker, domain, orders_db,
    order_id, language, response, courier, tracking, eta, items,
):
    text = f"cek pesanan {order_id}" if language == "id" else f"where is my order {order_id}"
    tracker = tracker_for(make_tracker, text, order_id, language)

    events = run_action(action, dispatcher, tracker, domain)

    assert events == [SlotSet("order_id", order_id)]
    assert dispatcher.messages == [
        message(
            response,
            order_id=order_id,
            courier=courier,
            tracking_number=tracking,
            eta=eta,
            item_count=items,
        )
    ]


@pytest.mark.parametrize(
    ("language", "eta"), [("en", "22 Nov 2026"), ("id", "22 Nov 2026")]
)
def test_eta_follows_the_store_date(
    action, dispatcher, make_tracker, domain, seeded_store, language, eta
):
    seeded_store(dt.date(2026, 11, 20))
    tracker = tracker_for(make_tracker, "INV-2024-00123", "INV-2024-00123", language)

    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("order_id", "INV-2024-00123")]
    assert dispatcher.messages == [
        message(
            "utter_order_status_shipped",
            order_id="INV-2024-00123",
            courier="JNE",
            tracking_number="JNE1234567890",
            eta=eta,
            item_count=2,
        )
    ]


@pytest.mark.parametrize(
    ("today", "id_eta", "en_eta"),
    [
        (dt.date(2026, 5, 10), "14 Mei 2026", "14 May 2026"),
        (dt.date(2026, 10, 1), "5 Okt 2026", "5 Oct 2026"),
        (dt.date(2026, 12, 29), "2 Jan 2027", "2 Jan 2027"),  # over the new year
    ],
)
def test_eta_month_names_per_language(
    action, make_tracker, domain, seeded_store, today, id_eta, en_eta
):
    # INV-2024-00124 (processing) is due four days after "today".
    seeded_store(today)
    for language, eta in (("id", id_eta), ("en", en_eta)):
        dispatcher_ = CollectingDispatcher()
        tracker = tracker_for(make_tracker, "INV-2024-00124", "INV-2024-00124", language)
        run_action(action, dispatcher_, tracker, domain)
        assert [m["eta"] for m in dispatcher_.messages] == [eta]


# --- How the number was typed --------------------------------------------------

@pytest.mark.parametrize(
    "typed",
    [
        "inv 2024 123",
        "INV/2024/00123",
        "inv-2024-123",
        "Inv_2024_0123",
        " inv.2024.00123 ",
        "INV2024 00123",
    ],
)
def test_loose_typing_is_canonicalised(action, dispatcher, make_tracker, domain, orders_db, typed):
    text = f"status {typed} dong"
    tracker = tracker_for(make_tracker, text, typed, "id")

    events = run_action(action, dispatcher, tracker, domain)

    assert events == [SlotSet("order_id", "INV-2024-00123")]
    assert dispatcher.messages == [
        message(
            "utter_order_status_shipped",
            order_id="INV-2024-00123",
            courier="JNE",
            tracking_number="JNE1234567890",
            eta="31 Agu 2026",
            item_count=2,
        )
    ]


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("typed", ["INV-2024-99999", "inv 2023 123", "INV-2025-00002"])
def test_unknown_order(action, dispatcher, make_tracker, domain, orders_db, typed, language):
    tracker = tracker_for(make_tracker, typed, typed, language)

    events = run_action(action, dispatcher, tracker, domain)

    canonical = {"INV-2024-99999": "INV-2024-99999", "inv 2023 123": "INV-2023-00123",
                 "INV-2025-00002": "INV-2025-00002"}[typed]
    assert events == [SlotSet("order_id", None)]
    assert dispatcher.messages == [message("utter_order_not_found", order_id=canonical)]


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    "typed",
    ["inv-24-12", "INV-2024-1234567", "INV-2024-123456", "INV-20-00123", "inv"],
)
def test_malformed_number(action, dispatcher, make_tracker, domain, orders_db, typed, language):
    tracker = tracker_for(make_tracker, f"cek {typed}", typed, language)

    events = run_action(action, dispatcher, tracker, domain)

    assert events == [SlotSet("order_id", None)]
    # The customer sees the number exactly as they typed it.
    assert dispatcher.messages == [message("utter_order_id_malformed", order_id=typed)]


def test_malformed_number_overrides_an_earlier_good_one(
    action, dispatcher, make_tracker, domain, orders_db
):
    tracker = tracker_for(
        make_tracker, "inv-24-12", "inv-24-12", "en", order_slot="INV-2024-00123"
    )
    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("order_id", None)]
    assert dispatcher.messages == [message("utter_order_id_malformed", order_id="inv-24-12")]


# --- No number in the message --------------------------------------------------

@pytest.mark.parametrize("language", ["id", "en"])
def test_asks_for_the_number_when_none_given(
    action, dispatcher, make_tracker, domain, orders_db, language
):
    text = "cek status pesanan saya" if language == "id" else "where is my order"
    tracker = make_tracker(
        slots={"language": language}, latest_message=parse_data(text, "check_order_status")
    )

    assert run_action(action, dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_ask_order_id")]


@pytest.mark.parametrize(("language", "eta"), [("id", "27 Agu 2026"), ("en", "27 Aug 2026")])
def test_uses_the_order_given_earlier(
    action, dispatcher, make_tracker, domain, orders_db, language, eta
):
    tracker = make_tracker(
        slots={"language": language, "order_id": "INV-2024-00125"},
        latest_message=parse_data("gimana status pesanan saya?", "check_order_status"),
    )

    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("order_id", "INV-2024-00125")]
    assert dispatcher.messages == [
        message(
            "utter_order_status_delivered",
            order_id="INV-2024-00125",
            courier="SiCepat",
            tracking_number="SCP0099887766",
            eta=eta,
            item_count=3,
        )
    ]


def test_new_number_wins_over_the_earlier_one(action, dispatcher, make_tracker, domain, orders_db):
    tracker = tracker_for(
        make_tracker, "and INV-2024-00126?", "INV-2024-00126", "en", order_slot="INV-2024-00123"
    )

    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("order_id", "INV-2024-00126")]
    assert dispatcher.messages == [
        message(
            "utter_order_status_cancelled",
            order_id="INV-2024-00126",
            courier="-",
            tracking_number="-",
            eta="not available yet",
            item_count=1,
        )
    ]


def test_first_of_several_numbers_is_checked(action, dispatcher, make_tracker, domain, orders_db):
    text = "INV-2024-00124 atau INV-2024-00125"
    tracker = make_tracker(
        slots={"language": "id", "order_id": "INV-2024-00125"},
        latest_message=parse_data(
            text,
            "check_order_status",
            entities=[order_entity(text, "INV-2024-00124"), order_entity(text, "INV-2024-00125")],
        ),
    )

    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("order_id", "INV-2024-00124")]
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_status_processing"]


# --- Store unavailable ---------------------------------------------------------

UNAVAILABLE_URLS = {
    "sqlite-missing-dir": "sqlite:///{tmp}/no/such/dir/cxm.db",
    "postgres-refused": "postgresql://nobody@127.0.0.1:1/x",
    "sqlite-not-migrated": "sqlite:///{tmp}/empty.db",
}


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("url", list(UNAVAILABLE_URLS.values()), ids=list(UNAVAILABLE_URLS))
def test_store_unavailable(
    action, dispatcher, make_tracker, domain, monkeypatch, tmp_path, caplog, url, language
):
    monkeypatch.setenv("CXM_DATABASE_URL", url.format(tmp=tmp_path))
    tracker = tracker_for(make_tracker, "inv 2024 123", "inv 2024 123", language)

    events = run_action(action, dispatcher, tracker, domain)

    # The canonical number is kept so "try again" needs no retyping.
    assert events == [SlotSet("order_id", "INV-2024-00123")]
    assert dispatcher.messages == [
        message("utter_order_lookup_unavailable", order_id="INV-2024-00123")
    ]
    assert "Order look-up failed for INV-2024-00123" in caplog.text


def test_malformed_number_needs_no_store(action, dispatcher, make_tracker, domain, monkeypatch):
    monkeypatch.setenv("CXM_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/x")
    tracker = tracker_for(make_tracker, "inv-24-12", "inv-24-12", "id")

    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("order_id", None)]
    assert dispatcher.messages == [message("utter_order_id_malformed", order_id="inv-24-12")]


# --- Date formatting -------------------------------------------------------------

@pytest.mark.parametrize(
    ("month", "indonesian", "english"),
    [
        (1, "Jan", "Jan"), (2, "Feb", "Feb"), (3, "Mar", "Mar"), (4, "Apr", "Apr"),
        (5, "Mei", "May"), (6, "Jun", "Jun"), (7, "Jul", "Jul"), (8, "Agu", "Aug"),
        (9, "Sep", "Sep"), (10, "Okt", "Oct"), (11, "Nov", "Nov"), (12, "Des", "Dec"),
    ],
)
def test_format_date(month, indonesian, english):
    day = dt.date(2026, month, 7)
    assert format_date(day, "id") == f"7 {indonesian} 2026"
    assert format_date(day, "en") == f"7 {english} 2026"


def test_format_missing_date():
    assert format_date(None, "id") == "belum tersedia"
    assert format_date(None, "en") == "not available yet"


# --- A bare number after an order-aware question: the same question about it ----------

def user_event(text, topic=None):
    intent = {"name": "faq", "full_retrieval_intent_name": topic} if topic else {"name": "check_order_status"}
    return {"event": "user", "text": text, "parse_data": {"intent": intent, "entities": []}}


@pytest.mark.parametrize(
    ("before", "topic", "follow_up", "order_id", "language", "response"),
    [
        ("cara batalin pesanan INV-2024-00124", "faq/cancel_order", "trus kalau INV-2024-00127?",
         "INV-2024-00127", "id", "utter_order_cancel_too_late"),
        ("refund INV-2024-00126 udh masuk blm", "faq/refunds", "kalo yg INV-2024-00123 gmn kak",
         "INV-2024-00123", "id", "utter_order_refund_none"),
        ("can I still cancel INV-2024-00124?", "faq/cancel_order", "and what about INV-2024-00126?",
         "INV-2024-00126", "en", "utter_order_already_cancelled"),
        # A question of its own is answered as asked.
        ("cara batalin pesanan INV-2024-00124", "faq/cancel_order", "trus INV-2024-00127 sampai mana?",
         "INV-2024-00127", "id", "utter_order_status_packed"),
        # After a topic whose answer is the status anyway, the status.
        ("berapa lama pengiriman ke bekasi", "faq/shipping_time", "kalau INV-2024-00127?",
         "INV-2024-00127", "id", "utter_order_status_packed"),
    ],
)
def test_a_bare_order_number_carries_the_previous_question(
    action, dispatcher, make_tracker, domain, orders_db, before, topic, follow_up, order_id, language, response
):
    latest = order_message(follow_up, order_id)
    tracker = make_tracker(
        slots={"language": language, "order_id": order_id},
        latest_message=latest,
        events=[user_event(before, topic), {"event": "user", "text": follow_up, "parse_data": latest}],
    )
    assert run_action(action, dispatcher, tracker, domain) == [SlotSet("order_id", order_id)]
    assert [m.get("response") for m in dispatcher.messages][0] == response
    assert dispatcher.messages[0]["order_id"] == order_id

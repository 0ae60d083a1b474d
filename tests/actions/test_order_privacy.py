"""Issue 12, order look-up by a stranger: only the customer who placed an order hears its details.

Demo order INV-2024-00123 (shipped, JNE, tracking JNE1234567890) was placed
with 081234567890 / budi@example.com (cxm_store.orders.DEMO_CONTACTS).
"""
from rasa_sdk.executor import CollectingDispatcher

from action_helpers import order_entity, parse_data, run_action
from actions import order_lookup
from actions.faq import ActionAnswerFaq
from actions.orders import ActionCheckOrderStatus

ORDER, TRACKING = "INV-2024-00123", "JNE1234567890"


def ask(make_tracker, domain, sender, text, intent="check_order_status", action=None):
    dispatcher = CollectingDispatcher()
    latest = parse_data(text, intent, entities=[order_entity(text, ORDER)])
    tracker = make_tracker(slots={"language": "id", "order_id": ORDER}, latest_message=latest, sender_id=sender)
    run_action(action or ActionCheckOrderStatus(), dispatcher, tracker, domain)
    return [m.get("tracking_number") or m.get("text") or m.get("response") for m in dispatcher.messages], dispatcher


def rendered(domain, message):
    """The Indonesian text of a response as the customer reads it."""
    params = {key: value for key, value in message.items() if key != "response"}
    return domain["responses"][message["response"]][0]["text"].format(**params)


def test_a_stranger_hears_only_the_general_status(make_tracker, domain, orders_db):
    said, dispatcher = ask(make_tracker, domain, "stranger-1", f"cek pesanan {ORDER}")
    assert dispatcher.messages[0]["response"] == "utter_order_status_shipped"
    assert dispatcher.messages[0]["eta"] and dispatcher.messages[0]["tracking_number"] == "(khusus pemesan)"
    assert TRACKING not in str(dispatcher.messages)
    assert said[1] == order_lookup.OWNER_ONLY["id"]
    # What the customer reads: the number's place says why it is missing, not "No. resi: -".
    shown = rendered(domain, dispatcher.messages[0])
    assert "No. resi: (khusus pemesan)." in shown and "-." not in shown
    # Nor through the FAQ's order-aware answers ("when will it arrive?").
    _, faq = ask(make_tracker, domain, "stranger-1", f"{ORDER} kapan sampai?", "faq/shipping_time",
                 ActionAnswerFaq())
    assert TRACKING not in str(faq.messages)


def test_the_customer_who_placed_it_sees_the_tracking_number_from_then_on(make_tracker, domain, orders_db):
    wrong, _ = ask(make_tracker, domain, "buyer-1", f"cek {ORDER}, hp saya 081299999999")
    assert TRACKING not in str(wrong)  # someone else's phone proves nothing
    said, _ = ask(make_tracker, domain, "buyer-1", f"cek {ORDER}, hp saya 0812-3456-7890")
    assert said == [TRACKING]
    later, _ = ask(make_tracker, domain, "buyer-1", f"{ORDER} sampai mana?")
    assert later == [TRACKING]
    other, _ = ask(make_tracker, domain, "stranger-2", f"cek {ORDER}")
    assert TRACKING not in str(other)


def test_walking_order_numbers_is_stopped_per_sender(make_tracker, domain, orders_db):
    for _ in range(order_lookup.LIMITER.limit):
        said, _ = ask(make_tracker, domain, "walker", f"cek {ORDER}")
        assert said[0] == "(khusus pemesan)"
    said, _ = ask(make_tracker, domain, "walker", f"cek {ORDER}")
    assert said == [order_lookup.TOO_MANY["id"]]
    said, _ = ask(make_tracker, domain, "someone-else", f"cek {ORDER}")
    assert said[0] == "(khusus pemesan)"  # the limit is per sender

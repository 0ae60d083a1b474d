"""action_link_accounts: a code shown on Telegram and typed on the web links the two chats.

The action calls the store's identity service only; these tests check what
the customer hears in each language and what the store then knows.
"""
import re

from action_helpers import message, order_entity, parse_data, run_action
from rasa_sdk.executor import CollectingDispatcher

from actions.link_accounts import ActionLinkAccounts
from cxm_store.db import engine_for
from cxm_store.touchpoints import customer_id_for


def _run(make_tracker, domain, text, channel, sender, language="id", entities=None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"language": language},
        latest_message=parse_data(text, "link_accounts", entities=entities),
        events=[{"event": "user", "text": text, "input_channel": channel}],
        sender_id=sender,
    )
    assert run_action(ActionLinkAccounts(), dispatcher, tracker, domain) == []
    return dispatcher.messages


def test_code_on_telegram_typed_on_the_web_links_them(make_tracker, domain, orders_db):
    (shown,) = _run(make_tracker, domain, "hubungkan akun saya", "telegram", "tg-77")
    assert shown["response"] == "utter_link_code" and shown["minutes"] == 10
    assert re.fullmatch(r"\d{4}-\d{4}", shown["code"])
    (done,) = _run(make_tracker, domain, f"link {shown['code']}", "webchat", "web-77", "en")
    assert done == message("utter_link_done", channels="Telegram, web chat")
    engine = engine_for(orders_db)
    assert customer_id_for("web", "web-77", engine=engine) == customer_id_for(
        "telegram", "tg-77", engine=engine)


def test_a_wrong_code_is_refused(make_tracker, domain, orders_db):
    (refused,) = _run(make_tracker, domain, "hubungkan 0000-0001", "webchat", "web-78")
    assert refused == message("utter_link_invalid_code", channels="")


def test_order_with_its_contact_links_to_whoever_proved_it_first(make_tracker, domain, orders_db):
    # The fixture's customer (on a tracker without a channel: "unknown") proved
    # every demo order with its contact; the web and Telegram chats that prove
    # INV-2024-00125 the same way become that customer.
    text = "link my accounts, order INV-2024-00125 email andi@example.com"
    entities = [order_entity(text, "INV-2024-00125")]
    (first,) = _run(make_tracker, domain, text, "webchat", "web-79", "en", entities)
    assert first == message("utter_link_done", channels="unknown, web chat")
    (second,) = _run(make_tracker, domain, text, "telegram", "tg-79", "en", entities)
    assert second == message("utter_link_done", channels="Telegram, unknown, web chat")
    engine = engine_for(orders_db)
    assert customer_id_for("web", "web-79", engine=engine) == customer_id_for(
        "telegram", "tg-79", engine=engine)


def test_order_with_someone_elses_contact_links_nothing(make_tracker, domain, orders_db):
    text = "hubungkan akun, pesanan INV-2024-00125 hp 081234567890"
    entities = [order_entity(text, "INV-2024-00125")]
    (answer,) = _run(make_tracker, domain, text, "telegram", "tg-80", "id", entities)
    assert answer == message("utter_link_not_proved", channels="")

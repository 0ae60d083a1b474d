"""Multi-turn conversations over the REST webhook against the real servers.

Each conversation is what a customer would do; each assertion is what they
would read: an answer to their question, in their language.
"""
import uuid
from typing import Callable, List

import pytest

pytestmark = pytest.mark.stack

Chat = Callable[[str, str], list]


def texts(replies: list) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def new_customer() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"


def converse(chat: Chat, turns: List[str]) -> List[str]:
    """Send each turn as one customer; return the joined reply text per turn."""
    sender = new_customer()
    return [texts(chat(sender, turn)) for turn in turns]


def test_indonesian_customer_gets_answers_in_indonesian(chat: Chat) -> None:
    greeting, shipping, order, unknown, thanks = converse(chat, [
        "halo kak",
        "brp ongkir ke bandung ya kak?",
        "pesanan saya INV-2024-00123 udh sampai mana?",
        "kalau yg INV-2024-99999 gmn?",
        "oke makasih kak",
    ])
    assert "Halo Kak" in greeting
    assert "Ongkir dihitung dari berat paket" in shipping
    # A stranger to the order: its status, not its tracking number (issue 12).
    assert "sudah dikirim dengan JNE" in order and "JNE1234567890" not in order
    assert "INV-2024-99999 tidak ditemukan" in unknown
    assert "Sama-sama" in thanks


def test_english_customer_gets_answers_in_english(chat: Chat) -> None:
    greeting, refund, ask, order, bye = converse(chat, [
        "hi there",
        "how many days until my money comes back after a return?",
        "can you check my order status",
        "it's inv 2024 124",
        "ok bye",
    ])
    assert "I'm Sera" in greeting
    assert "Refunds are processed within 1–3 working days" in refund
    assert "Could you share your order number?" in ask
    assert "Order INV-2024-00124 is being processed" in order
    assert "Goodbye" in bye


def test_malay_phrasing_is_understood_and_answered_in_indonesian(chat: Chat) -> None:
    (answer,) = converse(chat, ["boleh saya tahu berapa lama penghantaran ke sabah?"])
    assert "hari kerja" in answer


def test_language_follows_a_customer_who_switches(chat: Chat) -> None:
    first, second, neutral, third = converse(chat, [
        "metode pembayaran apa aja kak?",
        "sorry, do you accept credit cards?",
        "ok",
        "makasih ya kak",
    ])
    assert "Pilihan pembayaran di Serambi" in first
    assert "Here's how you can pay at Serambi" in second
    assert "Sure! Tell me what I can help you with." in neutral  # "ok" keeps English
    assert "Sama-sama" in third


def test_malformed_and_missing_order_numbers_get_helpful_replies(chat: Chat) -> None:
    malformed, missing = converse(chat, ["cek pesanan inv-24-12", "status pesanan saya dong"])
    assert 'nomor "inv-24-12" sepertinya belum lengkap' in malformed
    assert "Boleh minta nomor pesanannya" in missing


@pytest.mark.parametrize(
    "message",
    ["", "   ", "👍😀", "<b>hi</b><script>alert(1)</script>", "x" * 4000, "ok " * 1333,
     "Съешь же ещё этих мягких французских булок"],
    # Up to the message limit (MAX_MESSAGE_CHARS, 4000); longer ones are refused
    # with 413 (tests/security/test_channels.py).
    ids=["empty", "blank", "emoji", "markup", "4000-letters", "4000-words", "russian"],
)
def test_any_input_gets_an_answer(chat: Chat, message: str) -> None:
    replies = chat(new_customer(), message)
    assert replies and all(r.get("text") for r in replies)


def test_two_misses_in_a_row_offer_a_person(chat: Chat) -> None:
    sender = new_customer()
    first = chat(sender, "qwzx vbnm")
    second = chat(sender, "zxqv wpfkj")
    assert "Maaf Kak, saya kurang paham" in texts(first)
    assert len(first[0]["buttons"]) == 2
    assert "Mau saya sambungkan ke tim CS kami?" in texts(second)
    assert [b["payload"] for b in second[0]["buttons"]] == ["/request_human", "/deny"]


def test_clarification_button_answers_the_topic(chat: Chat) -> None:
    sender = new_customer()
    menu = chat(sender, "kamu bisa bantu apa aja?")
    shipping = next(b for b in menu[0]["buttons"] if b["title"] == "Lama pengiriman")
    answer = texts(chat(sender, shipping["payload"]))
    assert "hari kerja" in answer


@pytest.mark.parametrize("sender", ["tg-12345", "web-abcdef", "TG-1", ""])
def test_api_clients_cannot_use_other_channels_sender_ids(stack, sender: str) -> None:
    import urllib.error

    from tests.conftest import post_json

    with pytest.raises(urllib.error.HTTPError) as refused:
        post_json(f"{stack.settings.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": "halo"})
    assert refused.value.code == 400


def test_web_chat_refuses_ids_that_are_not_its_own(stack) -> None:
    import urllib.error

    from tests.conftest import post_json

    with pytest.raises(urllib.error.HTTPError) as refused:
        post_json(f"{stack.settings.rasa_url}/webhooks/webchat/webhook", {"sender": "tg-12345", "message": "halo"})
    assert refused.value.code == 400

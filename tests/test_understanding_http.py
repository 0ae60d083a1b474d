"""Customers who write their own way, over the REST webhook against the real servers.

What a customer reads when they put an order number beside what they want,
ask a follow-up, ask for the other language, acknowledge with one word, ask
two things at once, or answer the survey in their own words.
"""
import pytest

from tests.test_conversation_http import Chat, converse

pytestmark = pytest.mark.stack


def test_cancel_with_an_order_number_answers_about_that_order(chat: Chat) -> None:
    processing, shipped = converse(chat, [
        "tolong batalin pesanan INV-2024-00124 ya kak",
        "kalau INV-2024-00123 bisa dibatalkan juga?",
    ])
    assert "Pesanan INV-2024-00124 masih diproses, jadi masih bisa dibatalkan" in processing
    assert "Pesanan INV-2024-00123 sudah dikemas/dikirim" in shipped
    assert "sudah tidak bisa dibatalkan" in shipped


def test_refund_question_about_a_cancelled_order(chat: Chat) -> None:
    (refund,) = converse(chat, ["hi, where is the refund for INV-2024-00126?"])
    assert "Order INV-2024-00126 was cancelled, so its refund is under way" in refund


def test_refund_question_about_an_order_that_was_not_cancelled(chat: Chat) -> None:
    (refund,) = converse(chat, ["has my money for INV-2024-00123 been refunded yet?"])
    assert "Order INV-2024-00123 hasn't been cancelled or returned" in refund


def test_follow_up_question_keeps_the_order(chat: Chat) -> None:
    status, follow_up = converse(chat, [
        "where is my order INV-2024-00123?",
        "it's late already, when will it get here?",
    ])
    assert "Order INV-2024-00123 has shipped" in status
    assert "INV-2024-00123" in follow_up and "Estimated delivery" in follow_up


def test_explicit_switch_to_english_is_honoured(chat: Chat) -> None:
    greeting, switched, thanks = converse(chat, [
        "halo kak",
        "could you reply in english please",
        "ok thx",
    ])
    assert "Halo Kak" in greeting
    assert "let's continue in English" in switched
    assert "You're welcome" in thanks


def test_one_english_word_does_not_turn_an_indonesian_chat(chat: Chat) -> None:
    answer, thanks = converse(chat, [
        "kak barang saya dateng rusak, gimana ya",
        "oke thx",
    ])
    assert "Kak" in answer
    assert "Sama-sama" in thanks


@pytest.mark.parametrize("ack", ["y", "gpp", "wkwk", "mantap", "👍"])
def test_short_acknowledgement_gets_a_short_answer_not_the_clarification(chat: Chat, ack: str) -> None:
    _, first, second = converse(chat, ["berapa ongkir ke medan kak?", ack, ack])
    for reply in (first, second):
        assert "saya kurang paham" not in reply
        assert "sambungkan ke tim CS" not in reply
        assert "Kak" in reply  # still Indonesian


@pytest.mark.parametrize("ack", ["nice", "understood"])
def test_english_acknowledgement_gets_a_short_english_answer(chat: Chat, ack: str) -> None:
    _, first, second = converse(chat, ["how much is shipping to medan?", ack, ack])
    for reply in (first, second):
        assert "not sure I understood" not in reply
        assert "customer service team" not in reply
        assert "Kak" not in reply  # still English


def test_ok_after_a_clarification_asks_again_and_only_yes_to_the_offer_hands_off(chat: Chat) -> None:
    _, clarification, ok, _, offer, yes = converse(chat, [
        "halo kak",
        "qwrtp zxcvbn",
        "oke",
        "jklhgf mnbvcx",
        "plmokn ijbuhv",
        "iya",
    ])
    assert "saya kurang paham" in clarification
    assert "pilih salah satu di atas" in ok and "Mau tinggalkan pesan?" not in ok
    assert "Mau saya sambungkan ke tim CS" in offer
    assert "Mau tinggalkan pesan?" in yes  # the person (nobody is online in the test stack)


def test_two_questions_in_one_message_get_both_answers(chat: Chat) -> None:
    (both,) = converse(chat, ["bisa bayar cod gak kak? trus ongkir ke bekasi brp?"])
    assert "Pilihan pembayaran di Serambi" in both
    assert "Ongkir dihitung dari berat paket" in both


@pytest.mark.parametrize("message, what_to_do, the_person", [
    # Read as a whole as the damaged parcel; the person asked for in a clause.
    ("halo, paket saya rusak pas nyampe, mau ngomong sama orang aja", "maaf barangnya sampai rusak",
     "Mau tinggalkan pesan?"),
    # Read as a whole as a request for a person; the story in a clause.
    ("paket saya rusak, mau ngomong sama orang aja", "maaf barangnya sampai rusak", "Mau tinggalkan pesan?"),
    ("I want to talk to a human, the item arrived broken", "arrived damaged", "leave a message?"),
])
def test_a_problem_told_beside_a_request_for_a_person_gets_both(chat: Chat, message, what_to_do, the_person) -> None:
    (reply,) = converse(chat, [message])
    assert what_to_do in reply  # what to do now
    assert the_person in reply  # the person (nobody is online in the test stack)


def test_rating_typed_at_the_resolved_question_moves_the_survey_on(chat: Chat) -> None:
    _, survey, after_rating = converse(chat, [
        "cara pakai voucher gimana kak?",
        "oke makasih kak",
        "4 bintang",
    ])
    assert "Apakah pertanyaan Kakak sudah terjawab?" in survey
    assert "Seberapa mudah" in after_rating  # the CES question: the rating was taken as CSAT


def test_unhappy_survey_answer_gets_an_apology_and_a_person(chat: Chat) -> None:
    sender_turns = ["garansi barang elektronik berapa lama?", "ok makasih", "ga puas, lama bgt prosesnya"]
    *_, unhappy = converse(chat, sender_turns)
    assert "Mohon maaf pengalaman Kakak kurang menyenangkan" in unhappy
    assert "Mau saya sambungkan ke tim CS" in unhappy

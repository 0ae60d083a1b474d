"""The Telegram channel in this process, with the real python-telegram-bot client
against the fake Bot API server (no Rasa: ``on_new_message`` is a stand-in).
"""
import asyncio
import time
from typing import Any, Awaitable, Callable, Dict, List

import pytest
from rasa.core.channels.channel import UserMessage
from telegram import Update

from bot.channels.telegram import (
    EMPTY_TEXT_REPLY, MAX_TEXT_LENGTH, NOT_TEXT_REPLY, TelegramInput,
    chat_id_for, sender_id_for, split_text,
)
from tests.telegram.conftest import SECRET, TOKEN
from tests.telegram.fake_api import FakeTelegram, Updates

LONG_LINE = ("Estimasi pengiriman ke Surabaya 2–4 hari kerja, Kak. " * 3).strip()


def run(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(coroutine)


def channel(fake: FakeTelegram, **kwargs: Any) -> TelegramInput:
    kwargs.setdefault("webhook_secret", SECRET)
    kwargs.setdefault("backoff", 0.05)
    return TelegramInput(token=TOKEN, base_url=fake.base_url, **kwargs)


def new_chat() -> int:
    return int(time.time() * 1000) % 10**9 + 10**9


class Recorder:
    """Stands in for Rasa: records each user message and answers it by echo."""

    def __init__(self, reply: bool = True) -> None:
        self.messages: List[UserMessage] = []
        self.reply = reply

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.reply:
            await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


async def handle_all(tg: TelegramInput, on_new_message: Callable, *raw: Dict[str, Any]) -> List[bool]:
    accepted = [tg.accept(Update.de_json(u, tg.bot), on_new_message) for u in raw]
    await asyncio.gather(*tg._tasks)
    return accepted


# ---------------------------------------------------------------- configuration


def test_without_a_token_the_channel_is_inactive_and_sends_nothing() -> None:
    for credentials in (None, {}, {"token": "", "webhook_secret": "", "base_url": "", "mode": ""}):
        tg = TelegramInput.from_credentials(credentials)
        assert not tg.active and tg.bot is None
        assert tg.get_output_channel() is None  # Rasa then collects the messages instead
        assert tg.blueprint(Recorder()).name == "telegram_webhook"


def test_the_client_talks_to_the_configured_base_url_only(fake_telegram: FakeTelegram) -> None:
    tg = channel(fake_telegram)
    assert tg.bot.base_url == f"{fake_telegram.base_url}{TOKEN}"
    assert "api.telegram.org" not in tg.bot.base_url
    assert TelegramInput(token=TOKEN).bot.base_url.startswith("https://api.telegram.org/bot")


def test_mode_follows_configuration() -> None:
    assert TelegramInput(token=TOKEN, webhook_secret=SECRET).mode == "webhook"
    assert TelegramInput(token=TOKEN).mode == "polling"
    assert TelegramInput(token=TOKEN, webhook_secret=SECRET, mode="polling").mode == "polling"
    assert TelegramInput(token=TOKEN, mode="Webhook").mode == "webhook"


def test_secret_is_compared_exactly() -> None:
    tg = TelegramInput(token=TOKEN, webhook_secret=SECRET)
    assert tg.secret_matches(SECRET)
    assert not tg.secret_matches(SECRET + "x")
    assert not tg.secret_matches(None)
    assert not tg.secret_matches("")
    assert not TelegramInput(token=TOKEN).secret_matches("")  # no secret configured: refuse all


def test_sender_ids_are_namespaced_telegram_chats() -> None:
    assert sender_id_for(123456789) == "tg-123456789"
    assert chat_id_for("tg-123456789") == 123456789
    # A bare number could be a REST client's sender id: never a Telegram chat.
    assert chat_id_for("123456789") is None
    assert chat_id_for("tg-１２３") is None and chat_id_for("tg-12 3") is None
    assert chat_id_for("webchat-visitor") is None


# ---------------------------------------------------------------- output


def test_long_text_is_split_at_line_and_word_boundaries() -> None:
    text = "\n".join(f"{i:04d} " + LONG_LINE for i in range(60))  # ~10,000 chars
    assert len(text) > 9_000
    pieces = split_text(text)
    assert len(pieces) >= 3
    assert all(len(p.encode("utf-16-le")) // 2 <= MAX_TEXT_LENGTH for p in pieces)
    assert all(p.splitlines()[0][:4].isdigit() for p in pieces)  # each piece starts at a line
    assert "\n".join(pieces) == text

    words = " ".join(["kata"] * 3000)  # one line: split between words
    pieces = split_text(words)
    assert all(len(p) <= MAX_TEXT_LENGTH and not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    assert " ".join(pieces) == words

    emoji = "🚚" * 3000  # 2 UTF-16 units each, one unbreakable word
    assert all(len(p.encode("utf-16-le")) // 2 <= MAX_TEXT_LENGTH for p in split_text(emoji))
    assert "".join(split_text(emoji)) == emoji
    assert split_text("halo") == ["halo"]


def test_a_10000_char_reply_arrives_in_pieces_with_the_buttons_on_the_last(fake_telegram: FakeTelegram) -> None:
    chat = new_chat()
    text = "\n".join(f"{i:04d} " + LONG_LINE for i in range(60))
    tg = channel(fake_telegram)
    run(tg.get_output_channel().send_response(
        sender_id_for(chat), {"text": text, "buttons": [{"title": "Retur barang", "payload": "/faq_returns"}]}
    ))
    sent = fake_telegram.calls_to("sendMessage", chat)
    assert len(sent) == len(split_text(text)) >= 3
    assert all(len(c.params["text"]) <= MAX_TEXT_LENGTH for c in sent)
    assert "\n".join(c.params["text"] for c in sent) == text
    assert [("reply_markup" in c.params) for c in sent] == [False] * (len(sent) - 1) + [True]
    assert sent[-1].params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Retur barang", "callback_data": "/faq_returns"}]]
    }


def test_markdown_and_html_are_sent_literally(fake_telegram: FakeTelegram) -> None:
    chat = new_chat()
    text = 'Harga *spesial* _hari_ ini: <b>Rp10.000</b> & [promo](http://x.y) `kode` </i>'
    run(channel(fake_telegram).get_output_channel().send_text_message(sender_id_for(chat), text))
    (sent,) = fake_telegram.calls_to("sendMessage", chat)
    assert sent.params["text"] == text
    assert "parse_mode" not in sent.params and "entities" not in sent.params


def test_flood_control_waits_and_still_delivers(fake_telegram: FakeTelegram) -> None:
    chat = new_chat()
    out = channel(fake_telegram).get_output_channel()
    fake_telegram.fail_next(2, status=429, retry_after=1)
    started = time.monotonic()
    run(out.send_text_message(sender_id_for(chat), "Pesanan sudah dikirim"))
    elapsed = time.monotonic() - started
    attempts = fake_telegram.calls_to("sendMessage", chat)
    assert len(attempts) == 3
    assert attempts[-1].at - attempts[0].at >= 1.9 and elapsed >= 1.9  # waited retry_after twice
    assert isinstance(attempts[-1].result, dict) and attempts[-1].result["text"] == "Pesanan sudah dikirim"


def test_server_errors_are_retried_with_backoff_then_given_up(fake_telegram: FakeTelegram) -> None:
    chat = new_chat()
    out = channel(fake_telegram).get_output_channel()
    fake_telegram.fail_next(2, status=502)
    run(out.send_text_message(sender_id_for(chat), "satu"))
    assert [isinstance(c.result, dict) and c.result.get("ok") is False for c in fake_telegram.calls_to("sendMessage", chat)] == [True, True, False]

    other = new_chat()
    fake_telegram.fail_next(10, status=502)
    run(out.send_text_message(sender_id_for(other), "dua"))  # logged, not raised
    assert len(fake_telegram.calls_to("sendMessage", other)) == 4  # 1 + 3 retries


def test_images_are_sent_as_photos(fake_telegram: FakeTelegram) -> None:
    chat = new_chat()
    run(channel(fake_telegram).get_output_channel().send_response(
        sender_id_for(chat), {"text": "Contoh label", "image": "https://example.invalid/label.png"}
    ))
    assert fake_telegram.texts_to(chat) == ["Contoh label"]
    (photo,) = fake_telegram.calls_to("sendPhoto", chat)
    assert photo.params["photo"] == "https://example.invalid/label.png"


def test_long_button_payloads_fit_telegram_callback_data(fake_telegram: FakeTelegram) -> None:
    chat = new_chat()
    payload = "/feedback" + '{"comment": "' + "x" * 80 + '"}'
    out = channel(fake_telegram).get_output_channel()
    run(out.send_response(sender_id_for(chat), {"text": "?", "buttons": [{"title": "Kirim", "payload": payload}]}))
    (sent,) = fake_telegram.calls_to("sendMessage", chat)
    data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    assert out.payloads.payload(data) == payload


# ---------------------------------------------------------------- input (no Rasa)


def test_text_messages_reach_the_bot_with_the_customer_identity(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    tg, bot = channel(fake_telegram), Recorder()
    run(handle_all(tg, bot, updates.message(chat, "  cek pesanan INV-2024-00123 ", language_code="id")))
    (message,) = bot.messages
    assert message.text == "cek pesanan INV-2024-00123"
    assert message.sender_id == f"tg-{chat}" and message.input_channel == "telegram"
    meta = message.metadata["telegram"]
    assert meta["user_id"] == chat and meta["username"] == f"budi{chat}" and meta["language_code"] == "id"
    assert fake_telegram.texts_to(chat) == ["echo: cek pesanan INV-2024-00123"]


def test_the_same_update_is_handled_once(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    tg, bot = channel(fake_telegram), Recorder()
    update = updates.message(chat, "halo")
    assert run(handle_all(tg, bot, update, update, dict(update))) == [True, False, False]
    assert len(bot.messages) == 1 and len(fake_telegram.texts_to(chat)) == 1


def test_a_chats_messages_are_handled_in_order(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    seen: List[str] = []

    async def slow_bot(message: UserMessage) -> None:
        await asyncio.sleep(0.2 if message.text == "satu" else 0)
        seen.append(message.text)

    run(handle_all(channel(fake_telegram), slow_bot, *(updates.message(chat, t) for t in ("satu", "dua", "tiga"))))
    assert seen == ["satu", "dua", "tiga"]


@pytest.mark.parametrize("content", [
    {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False}},
    {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
    {"video": {"file_id": "v", "file_unique_id": "v", "width": 1, "height": 1, "duration": 3}},
    {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "invoice.pdf"}},
    {"location": {"latitude": -6.2, "longitude": 106.8}},
    {"contact": {"phone_number": "+62812", "first_name": "Budi"}},
], ids=["sticker", "voice", "video", "document", "location", "contact"])
def test_non_text_messages_get_a_polite_reply_without_the_bot(
    fake_telegram: FakeTelegram, updates: Updates, content: Dict[str, Any]
) -> None:
    chat = new_chat()
    bot = Recorder()
    run(handle_all(channel(fake_telegram), bot, updates.message(chat, None, **content)))
    assert bot.messages == []
    assert fake_telegram.texts_to(chat) == [NOT_TEXT_REPLY]
    assert "saya baru bisa membaca pesan teks" in NOT_TEXT_REPLY and "I can only read text messages" in NOT_TEXT_REPLY


def test_blank_text_gets_a_polite_reply_without_the_bot(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    bot = Recorder()
    run(handle_all(channel(fake_telegram), bot, updates.message(chat, " \n\t ")))
    assert bot.messages == [] and fake_telegram.texts_to(chat) == [EMPTY_TEXT_REPLY]


def test_text_over_the_message_limit_gets_a_polite_reply_without_the_bot(
    fake_telegram: FakeTelegram, updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "4000")
    chat = new_chat()
    bot = Recorder()
    tg = channel(fake_telegram)
    run(handle_all(tg, bot, updates.message(chat, "a" * 4001), updates.message(chat, "b" * 4000)))
    assert [len(m.text) for m in bot.messages] == [4000]  # at the limit it still reaches the bot
    refusal, echo = fake_telegram.texts_to(chat)
    assert "maksimal 4000 karakter" in refusal and "at most 4000 characters" in refusal
    assert echo.startswith("echo: bbb")


def test_commands_never_reach_rasa_as_payloads(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    bot = Recorder(reply=False)
    run(handle_all(
        channel(fake_telegram), bot,
        updates.message(chat, "/start", language_code="en"),
        updates.message(chat, "/start@SerambiTestBot promo", language_code="id"),
        updates.message(chat, "/help"),
        updates.message(chat, '/request_human{"order_id": "x"}'),
    ))
    assert [m.text for m in bot.messages] == ["hello", "halo", "/help", "/help"]


def test_edited_messages_are_read_as_new_messages(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    bot = Recorder(reply=False)
    update = updates.message(chat, "cek INV-2024-00123")
    update["edited_message"] = {**update.pop("message"), "edit_date": int(time.time())}
    run(handle_all(channel(fake_telegram), bot, update))
    (message,) = bot.messages
    assert message.text == "cek INV-2024-00123" and message.metadata["telegram"]["edited"] is True


def test_group_chats_are_ignored(fake_telegram: FakeTelegram, updates: Updates) -> None:
    group = -new_chat()
    update = updates.message(group, "halo")
    update["message"]["chat"] = {"id": group, "type": "group", "title": "Arisan"}
    bot = Recorder()
    run(handle_all(channel(fake_telegram), bot, update))
    assert bot.messages == [] and fake_telegram.texts_to(group) == []


def _sent_with_keyboard(fake: FakeTelegram, tg: TelegramInput, chat: int) -> Dict[str, Any]:
    buttons = [{"title": "Cek status pesanan", "payload": "/check_order_status"},
               {"title": "Retur barang", "payload": "gimana cara retur barang?"}]
    run(tg.get_output_channel().send_response(sender_id_for(chat), {"text": "Pilih:", "buttons": buttons}))
    return fake.calls_to("sendMessage", chat)[-1].result


def test_a_button_press_sends_its_payload_answers_and_removes_the_keyboard(
    fake_telegram: FakeTelegram, updates: Updates
) -> None:
    chat = new_chat()
    tg, bot = channel(fake_telegram), Recorder(reply=False)
    shown = _sent_with_keyboard(fake_telegram, tg, chat)
    press = updates.callback(chat, shown, "gimana cara retur barang?")
    again = updates.callback(chat, shown, "/check_order_status")  # a second tap on the same keyboard
    run(handle_all(tg, bot, press, again))
    assert [m.text for m in bot.messages] == ["gimana cara retur barang?"]
    assert bot.messages[0].sender_id == f"tg-{chat}"
    answers = [c.params for c in fake_telegram.calls_to("answerCallbackQuery")
               if c.params["callback_query_id"] in (press["callback_query"]["id"], again["callback_query"]["id"])]
    assert len(answers) == 2 and "text" not in answers[0] and "text" in answers[1]
    (edit,) = fake_telegram.calls_to("editMessageReplyMarkup", chat)
    assert int(edit.params["message_id"]) == shown["message_id"] and "reply_markup" not in edit.params


def test_forged_button_data_is_refused(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    tg, bot = channel(fake_telegram), Recorder(reply=False)
    shown = _sent_with_keyboard(fake_telegram, tg, chat)
    forged = updates.callback(chat, shown, '/request_human{"handoff_agent": "x"}')
    run(handle_all(tg, bot, forged))
    assert bot.messages == []
    (answer,) = [c for c in fake_telegram.calls_to("answerCallbackQuery")
                 if c.params["callback_query_id"] == forged["callback_query"]["id"]]
    assert "expired" in answer.params["text"]
    assert fake_telegram.calls_to("editMessageReplyMarkup", chat) == []


def test_polling_fetches_updates_and_replies(fake_telegram: FakeTelegram, updates: Updates) -> None:
    chat = new_chat()
    tg = channel(fake_telegram, mode="polling", poll_timeout=1)
    bot = Recorder()
    first, second = updates.message(chat, "halo"), updates.message(chat, "ongkir?")
    fake_telegram.queue_update(first)
    fake_telegram.queue_update(second)

    async def poll_a_while() -> None:
        poller = asyncio.create_task(tg.poll(bot))
        for _ in range(100):
            if len(fake_telegram.texts_to(chat)) >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # one more getUpdates, acknowledging what was read
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        await asyncio.gather(*tg._tasks)

    run(poll_a_while())
    assert fake_telegram.texts_to(chat) == ["echo: halo", "echo: ongkir?"]
    assert [m.text for m in bot.messages] == ["halo", "ongkir?"]  # once each
    polls = fake_telegram.calls_to("getUpdates")
    assert any(int(c.params.get("offset") or 0) == second["update_id"] + 1 for c in polls)
    assert fake_telegram.calls_to("deleteWebhook")


# ---------------------------------------------------------------- credentials.yml and set-up


def test_credentials_block_with_empty_variables_leaves_the_channel_inactive(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.shared.exceptions import RasaException
    from rasa.shared.utils.io import read_yaml

    from tests.telegram.conftest import CREDENTIALS_BLOCK

    names = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE_URL", "TELEGRAM_MODE")
    for name in names:
        monkeypatch.setenv(name, "")
    (credentials,) = read_yaml(CREDENTIALS_BLOCK).values()
    tg = TelegramInput.from_credentials(credentials)
    assert not tg.active and tg.get_output_channel() is None

    # Unset (not empty), Rasa refuses the file: the launcher must pass them empty.
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    with pytest.raises(RasaException):
        read_yaml(CREDENTIALS_BLOCK)


def test_set_webhook_command_registers_url_secret_and_update_types(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.channels import telegram

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake_telegram.base_url)
    assert telegram.main(["set-webhook", "https://cx.example.invalid/webhooks/telegram/webhook"]) == 0
    (call,) = fake_telegram.calls_to("setWebhook")
    assert call.params["url"] == "https://cx.example.invalid/webhooks/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert telegram.main(["set-webhook", "http://insecure.invalid/x"]) == 2


def test_rating_scales_share_rows_and_topics_get_a_row_each(fake_telegram: FakeTelegram) -> None:
    out = channel(fake_telegram).get_output_channel()
    csat = [{"title": f"{n} 🙂", "payload": f'/rate{{"score": {n}}}'} for n in range(1, 6)]
    csat.append({"title": "Lewati", "payload": "/decline_survey"})
    rows = out.keyboard(csat).inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["1 🙂", "2 🙂", "3 🙂", "4 🙂", "5 🙂", "Lewati"]]
    assert rows[0][4].callback_data == '/rate{"score": 5}'

    nps = [{"title": str(n), "payload": f'/rate{{"score": {n}}}'} for n in range(11)]
    assert [len(row) for row in out.keyboard(nps).inline_keyboard] == [6, 5]

    menu = [{"title": "Cek status pesanan", "payload": "/check_order_status"},
            {"title": "Ya", "payload": "/affirm"}, {"title": "Bicara dengan CS", "payload": "/request_human"}]
    assert [len(row) for row in out.keyboard(menu).inline_keyboard] == [1, 1, 1]

"""Customers on Telegram, end to end: updates POSTed to the real Rasa server as
Telegram would, replies read from the fake Bot API server the channel talks to.
"""
import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

import pytest

from bot.channels.message_rate import SLOW_DOWN
from bot.channels.telegram import NOT_TEXT_REPLY, SECRET_HEADER
from tests.conftest import rasa_api
from tests.telegram.conftest import SECRET, TOKEN, TelegramStack
from tests.telegram.fake_api import FakeTelegram, Updates

pytestmark = pytest.mark.stack

_chats = iter(range(700_000_001, 800_000_000))


def new_chat() -> int:
    return next(_chats)


def post(url: str, body: Any, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Customer:
    """One Telegram customer: sends updates, waits for what the bot sends back."""

    def __init__(self, stack: TelegramStack, fake: FakeTelegram, language_code: str = "id") -> None:
        self.stack, self.fake, self.language_code = stack, fake, language_code
        self.chat = new_chat()
        self.updates = Updates()
        self.webhook = f"{stack.settings.rasa_url}/webhooks/telegram/webhook"

    def deliver(self, update: Dict[str, Any], secret: Optional[str] = SECRET) -> Tuple[int, Any]:
        return post(self.webhook, update, {SECRET_HEADER: secret} if secret is not None else {})

    def texts(self) -> List[str]:
        return self.fake.texts_to(self.chat)

    def say(self, text: Optional[str], expect: str, **content: Any) -> str:
        """Send a message; return all that arrived until a reply containing ``expect``."""
        before = len(self.texts())
        status, _ = self.deliver(self.updates.message(self.chat, text, self.language_code, **content))
        assert status == 200
        return self.wait_for(expect, before)

    def wait_for(self, expect: str, before: int) -> str:
        def arrived() -> Optional[str]:
            new = "\n".join(self.texts()[before:])
            return new if expect in new else None

        return self.fake.wait_for(arrived, timeout=60, what=f"{expect!r} for chat {self.chat}")


def test_the_channel_is_up_in_webhook_mode(tg_stack: TelegramStack) -> None:
    with urllib.request.urlopen(f"{tg_stack.settings.rasa_url}/webhooks/telegram/", timeout=10) as reply:
        assert json.load(reply) == {"status": "ok", "active": True, "mode": "webhook"}


def test_indonesian_customer_gets_answers_on_telegram(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    customer = Customer(tg_stack, fake_telegram, "id")
    assert "Halo Kak" in customer.say("/start", "Halo Kak")
    assert "Ongkir dihitung dari berat paket" in customer.say("brp ongkir ke bandung ya kak?", "Ongkir dihitung")
    order = customer.say("cek pesanan INV-2024-00123", "dikirim dengan JNE")
    assert "sudah dikirim dengan JNE" in order
    assert "Sama-sama" in customer.say("oke makasih kak", "Sama-sama")
    sent = fake_telegram.calls_to("sendMessage", customer.chat)
    assert all("parse_mode" not in c.params for c in sent)


def test_start_greets_an_english_telegram_user_in_english(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    customer = Customer(tg_stack, fake_telegram, "en")
    assert "I'm Sera" in customer.say("/start", "I'm Sera")


def test_help_menu_buttons_work(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    customer = Customer(tg_stack, fake_telegram, "id")
    customer.say("/help", "Saya bisa bantu hal-hal ini")
    menu = next(c for c in reversed(fake_telegram.calls_to("sendMessage", customer.chat)) if "reply_markup" in c.params)
    keyboard = menu.params["reply_markup"]["inline_keyboard"]
    titles = [row[0]["text"] for row in keyboard]
    assert "Metode pembayaran" in titles and "Bicara dengan CS" in titles
    payment = next(row[0] for row in keyboard if row[0]["text"] == "Metode pembayaran")

    before = len(customer.texts())
    press = customer.updates.callback(customer.chat, menu.result, payment["callback_data"])
    assert customer.deliver(press)[0] == 200
    assert "Pilihan pembayaran di Serambi" in customer.wait_for("Pilihan pembayaran", before)
    answers = [c for c in fake_telegram.calls_to("answerCallbackQuery")
               if c.params["callback_query_id"] == press["callback_query"]["id"]]
    assert len(answers) == 1
    (edit,) = fake_telegram.calls_to("editMessageReplyMarkup", customer.chat)
    assert int(edit.params["message_id"]) == menu.result["message_id"]


def test_wrong_or_missing_secret_is_refused_and_nothing_is_sent(
    tg_stack: TelegramStack, fake_telegram: FakeTelegram
) -> None:
    customer = Customer(tg_stack, fake_telegram)
    assert customer.deliver(customer.updates.message(customer.chat, "halo"), secret="wrong")[0] == 403
    assert customer.deliver(customer.updates.message(customer.chat, "halo"), secret=SECRET[:-1])[0] == 403
    assert customer.deliver(customer.updates.message(customer.chat, "halo"), secret=None)[0] == 403
    time.sleep(3)
    assert customer.texts() == []


def test_a_redelivered_update_gets_one_reply(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    customer = Customer(tg_stack, fake_telegram)
    update = customer.updates.message(customer.chat, "metode pembayaran apa aja kak?")
    assert customer.deliver(update)[0] == 200
    assert customer.deliver(update)[0] == 200
    customer.wait_for("Pilihan pembayaran", 0)
    time.sleep(3)
    assert sum("Pilihan pembayaran" in t for t in customer.texts()) == 1


def test_flood_control_delays_but_does_not_lose_the_reply(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    customer = Customer(tg_stack, fake_telegram)
    fake_telegram.fail_next(1, status=429, retry_after=1)
    assert "Halo Kak" in customer.say("halo kak", "Halo Kak")
    attempts = fake_telegram.calls_to("sendMessage", customer.chat)
    assert attempts[0].result["error_code"] == 429
    assert attempts[1].params["text"] == attempts[0].params["text"]
    assert attempts[1].at - attempts[0].at >= 0.95


def test_a_flood_from_one_chat_is_asked_to_slow_down(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    customer = Customer(tg_stack, fake_telegram)
    for n in range(30):  # a person's pace is far below 30 a minute, the default limit
        assert customer.deliver(customer.updates.message(customer.chat, f"halo {n}"))[0] == 200
    assert SLOW_DOWN in customer.say("halo lagi", "Pelan-pelan")


def test_a_sticker_gets_the_polite_text_reply(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    customer = Customer(tg_stack, fake_telegram)
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False, "emoji": "👍"}
    assert customer.say(None, "pesan teks", sticker=sticker) == NOT_TEXT_REPLY
    assert "Halo Kak" in customer.say("halo", "Halo Kak")  # and the conversation goes on


def test_a_message_sent_through_rasas_api_reaches_the_customer(
    tg_stack: TelegramStack, fake_telegram: FakeTelegram
) -> None:
    customer = Customer(tg_stack, fake_telegram)
    customer.say("halo", "Halo Kak")
    path = f"/conversations/tg-{customer.chat}/tracker/events?execute_side_effects=true&output_channel=telegram"
    before = len(customer.texts())
    rasa_api(
        tg_stack.settings, path,
        [{"event": "bot", "text": "Halo Kak, saya Rina dari tim CS. *Ada* yang bisa dibantu?",
          "metadata": {"agent": "rina"}}],
    )
    assert customer.wait_for("saya Rina dari tim CS", before).endswith("*Ada* yang bisa dibantu?")

    before = len(customer.texts())
    buttons = [{"title": "👍 Puas", "payload": "/affirm"}, {"title": "👎 Kurang", "payload": "/deny"}]
    rasa_api(tg_stack.settings, path, [{"event": "bot", "text": "Puas dengan bantuan kami?", "data": {"buttons": buttons}}])
    customer.wait_for("Puas dengan bantuan kami?", before)
    last = fake_telegram.calls_to("sendMessage", customer.chat)[-1]
    assert [row[0]["callback_data"] for row in last.params["reply_markup"]["inline_keyboard"]] == ["/affirm", "/deny"]


def test_nothing_but_the_fake_server_was_called(tg_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    assert fake_telegram.calls and all(c.token == TOKEN for c in fake_telegram.calls)
    log = (tg_stack.log_dir / "rasa.log").read_text(errors="replace")
    assert "api.telegram.org" not in log
    assert TOKEN not in log  # the token is in every Bot API URL: no request URL is logged

"""Issue 12, channel spoofing end to end: a REST client naming a Telegram chat never reaches it.

Rasa's stock REST channel took ``input_channel`` from the request body, so
``{"sender": "<chat id>", "input_channel": "telegram"}`` was stored as a
Telegram customer, and an agent's reply was pushed to that real chat. Here,
on the stack with the Telegram channel (fake Bot API server), a push
addressed to such a conversation sends nothing to Telegram, while the same
push to the chat's own ``tg-`` conversation arrives.
"""
from bot.channels.telegram import sender_id_for
from tests.conftest import rasa_api
from tests.telegram.conftest import TelegramStack
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.test_telegram_channel import new_chat
from tests.telegram.test_telegram_stack import post

AGENT_REPLY = [{"event": "bot", "text": "Halo Kak, saya Rina dari tim CS.", "metadata": {"agent": "rina"}}]


def push(stack: TelegramStack, sender: str, output_channel: str) -> None:
    rasa_api(
        stack.settings,
        f"/conversations/{sender}/tracker/events?execute_side_effects=true&output_channel={output_channel}",
        AGENT_REPLY,
    )


def test_a_rest_client_posing_as_telegram_never_reaches_that_chat(
    tg_stack: TelegramStack, fake_telegram: FakeTelegram
) -> None:
    chat = new_chat()
    status, _ = post(
        f"{tg_stack.settings.rasa_url}/webhooks/rest/webhook",
        {"sender": str(chat), "message": "halo", "input_channel": "telegram"},
    )
    assert status == 200
    tracker = rasa_api(tg_stack.settings, f"/conversations/{chat}/tracker")
    assert tracker["latest_input_channel"] == "rest"
    push(tg_stack, str(chat), "latest")
    push(tg_stack, str(chat), "telegram")  # even when told to use Telegram outright
    assert fake_telegram.calls_to("sendMessage", chat) == []

    push(tg_stack, sender_id_for(chat), "telegram")  # the chat's own conversation does reach it
    assert fake_telegram.texts_to(chat) == [AGENT_REPLY[0]["text"]]

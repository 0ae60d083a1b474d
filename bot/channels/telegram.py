"""The Telegram channel: customers chat with the assistant in Telegram.

Built on python-telegram-bot's ``Bot`` (HTTP client only, no ``Application``),
so its API address is configurable (``base_url``): the tests point it at a fake
Bot API server, and nothing in this module talks to Telegram at start-up.

Configured in credentials.yml (Rasa substitutes the environment variables)::

    bot.channels.telegram.TelegramInput:
      token: ${TELEGRAM_BOT_TOKEN}
      webhook_secret: ${TELEGRAM_WEBHOOK_SECRET}
      base_url: ${TELEGRAM_API_BASE_URL}
      mode: ${TELEGRAM_MODE}

With no token the channel stays inactive: its routes answer, nothing is sent.

Modes:
    webhook  Telegram POSTs updates to ``/webhooks/telegram/webhook`` with the
             secret in ``X-Telegram-Bot-Api-Secret-Token``; anything else gets 403.
             Register the URL once with ``python -m bot.channels.telegram set-webhook URL``.
    polling  For a machine without a public URL: a background task started with
             the server calls ``getUpdates``. Only one process per token may poll.
    (empty)  polling when no webhook secret is set, webhook otherwise.

Routes under ``/webhooks/telegram``:
    GET  /          {"status": "ok", "active": bool, "mode": str}
    POST /webhook   a Telegram ``Update``; answered at once, handled in the background

Conversations: one per private chat, sender id ``tg-<chat id>`` (in a private
chat the chat id is the customer's Telegram user id, so the same customer keeps
one conversation over time, on every device). Group chats are ignored.
"""
import asyncio
import hmac
import logging
import sys
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Optional,
    Set,
    Text,
)

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import (
    Bot,
    CallbackQuery,
    Message,
    Update,
)
from telegram.error import (
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
)

from bot.channels.json_body import json_object
from bot.channels.message_length import length_problem, max_message_chars
from bot.channels.message_rate import SLOW_DOWN, MessageRate
from bot.channels.photos import conversation_language
from bot.channels.telegram_output import TelegramOutput
from bot.channels.telegram_photos import file_url_for, is_photo, receive_photo
from bot.channels.telegram_support import (  # noqa: F401 (tests import some of them here)
    ALLOWED_UPDATES,
    BUTTON_EXPIRED_REPLY,
    CHANNEL_NAME,
    COMMAND_START,
    DEFAULT_BASE_URL,
    EMPTY_TEXT_REPLY,
    FIRST_BACKOFF_SECONDS,
    HELP_PAYLOAD,
    MAX_TEXT_LENGTH,
    MODES,
    NOT_TEXT_REPLY,
    POLL_TIMEOUT_SECONDS,
    SECRET_HEADER,
    SECRET_PATTERN,
    START_GREETING,
    KeyedLocks,
    LongPayloads,
    RecentIds,
    chat_id_for,
    command_of,
    deliver,
    pressed_button,
    retry_after,
    sender_id_for,
    split_text,
    update_metadata,
)
from bot.channels.webchat import clean_message_text

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- input


class TelegramInput(InputChannel):
    """Rasa input channel for Telegram (webhook or polling)."""

    def __init__(
        self,
        token: Optional[Text] = None,
        webhook_secret: Optional[Text] = None,
        base_url: Optional[Text] = None,
        mode: Optional[Text] = None,
        poll_timeout: int = POLL_TIMEOUT_SECONDS,
        backoff: float = FIRST_BACKOFF_SECONDS,
    ) -> None:
        self.token = (token or "").strip()
        self.webhook_secret = (webhook_secret or "").strip()
        self.base_url = (base_url or "").strip() or DEFAULT_BASE_URL
        requested = (mode or "").strip().lower()
        if requested and requested not in MODES:
            logger.error("Telegram: unknown mode %r (webhook or polling); using webhook", requested)
            requested = "webhook"
        self.mode = requested or ("webhook" if self.webhook_secret else "polling")
        self.poll_timeout = poll_timeout
        self.backoff = backoff
        self.max_chars, self.rate = max_message_chars(), MessageRate()
        self.payloads = LongPayloads()
        self.recent_updates = RecentIds()
        self.pressed_keyboards = RecentIds()
        self.chat_locks = KeyedLocks()
        self._tasks: Set[asyncio.Task] = set()
        self._poller: Optional[asyncio.Task] = None
        self.app: Optional[Sanic] = None
        self.bot: Optional[Bot] = (
            Bot(self.token, base_url=self.base_url, base_file_url=file_url_for(self.base_url)) if self.token else None
        )
        if self.bot:
            # httpx logs each request URL at INFO, and Bot API URLs hold the token.
            httpx_logger = logging.getLogger("httpx")
            if httpx_logger.getEffectiveLevel() < logging.WARNING:
                httpx_logger.setLevel(logging.WARNING)
        if not self.bot:
            logger.info("Telegram channel inactive: no bot token (TELEGRAM_BOT_TOKEN)")
        elif self.mode == "webhook" and not SECRET_PATTERN.match(self.webhook_secret):
            logger.error(
                "Telegram webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -); "
                "every webhook call is refused until it is set"
            )

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        credentials = credentials or {}
        return cls(
            token=credentials.get("token"),
            webhook_secret=credentials.get("webhook_secret"),
            base_url=credentials.get("base_url"),
            mode=credentials.get("mode"),
        )

    @property
    def active(self) -> bool:
        return self.bot is not None

    def get_output_channel(self) -> Optional[OutputChannel]:
        # None lets Rasa fall back to collecting the messages when inactive.
        return TelegramOutput(self.bot, self.payloads, self.backoff) if self.bot else None

    # ---- the blueprint

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("telegram_webhook", __name__)

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "active": self.active, "mode": self.mode})

        @telegram.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.active or self.mode != "webhook":
                return response.json({"error": "telegram webhook is not enabled"}, status=404)
            if not self.secret_matches(request.headers.get(SECRET_HEADER)):
                return response.json({"error": "forbidden"}, status=403)
            body = json_object(request)
            if body is None:
                return response.json({"error": "an update object is required"}, status=400)
            try:
                update = Update.de_json(body, self.bot)
            except Exception:  # a malformed update is not worth Telegram's retries
                logger.exception("Telegram: unreadable update ignored")
                return response.json({"ok": True})
            if type(update.update_id) is not int:  # PTB takes any JSON there; de-duplication needs a number
                logger.warning("Telegram: update without a numeric update_id ignored")
                return response.json({"ok": True})
            self.accept(update, on_new_message)
            return response.json({"ok": True})

        @telegram.listener("after_server_start")
        async def start_polling(app: Sanic, __: Any) -> None:
            self.app = app  # its agent knows the language each conversation is answered in
            if self.active and self.mode == "polling":
                self._poller = asyncio.create_task(self.poll(on_new_message))

        @telegram.listener("before_server_stop")
        async def stop(_: Sanic, __: Any) -> None:
            await self.close()

        return telegram

    def secret_matches(self, given: Optional[Text]) -> bool:
        if not self.webhook_secret or given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.webhook_secret.encode("utf-8"))

    def accept(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> bool:
        """Handle ``update`` in the background, unless it was seen already."""
        if not self.recent_updates.add(update.update_id):
            logger.info("Telegram update %s delivered again: ignored", update.update_id)
            return False
        task = asyncio.create_task(self.handle(update, on_new_message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def close(self) -> None:
        if self._poller:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        if self.bot:
            await self.bot.shutdown()

    # ---- polling

    async def poll(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Fetch updates with getUpdates until cancelled."""
        assert self.bot is not None
        logger.info("Telegram: polling for updates")
        # getUpdates is refused while a webhook is set.
        await deliver("deleteWebhook", lambda: self.bot.delete_webhook(), backoff=self.backoff)
        offset: Optional[int] = None
        failures = 0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                failures = 0
            except asyncio.CancelledError:
                raise
            except RetryAfter as error:
                await asyncio.sleep(retry_after(error))
                continue
            except (InvalidToken, Forbidden) as error:
                logger.error("Telegram polling stopped: %s", error)
                return
            except Exception as error:  # Conflict (another poller), network, server errors
                failures += 1
                delay = min(self.backoff * 2 ** min(failures - 1, 5), 30.0)
                level = logging.ERROR if isinstance(error, Conflict) else logging.WARNING
                logger.log(level, "Telegram getUpdates failed (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                continue
            for update in updates:
                offset = update.update_id + 1
                self.accept(update, on_new_message)

    # ---- one update

    async def handle(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Turn one update into a user message for Rasa (or a reply of our own)."""
        chat = update.effective_chat
        try:
            async with self.chat_locks.hold(chat.id if chat else None):
                if update.callback_query:
                    await self._handle_button(update, update.callback_query, on_new_message)
                elif update.message or update.edited_message:
                    await self._handle_message(update, on_new_message)
        except Exception:
            logger.exception("Telegram update %s could not be handled", update.update_id)

    async def _handle_message(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        edited = update.message is None
        message = update.edited_message if edited else update.message
        if message.chat.type != "private":
            logger.debug("Telegram: message in a %s chat ignored", message.chat.type)
            return
        sender = sender_id_for(message.chat.id)
        output = self.get_output_channel()
        if message.text is None and is_photo(message):
            if not edited:
                # The caption ("the screen arrived cracked") is the customer's words: the bot
                # answers them first, so the photo finds the claim they open.
                if (message.caption or "").strip():
                    await self._handle_text(update, message, message.caption, edited, on_new_message)
                user = update.effective_user
                known = await conversation_language(self.app, sender) if self.app else None
                await receive_photo(self.bot, message, sender, output, known, user.language_code if user else None)
            return
        if message.text is None:
            # Sticker, voice, video, document, location, contact... An
            # edited caption or live location was answered when first sent.
            if not edited:
                await output.send_text_message(sender, NOT_TEXT_REPLY)
            return
        await self._handle_text(update, message, message.text, edited, on_new_message)

    async def _handle_text(
        self, update: Update, message: Message, typed: Text, edited: bool,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """Hand what the customer typed (a message or a photo's caption) to Rasa, or answer it here."""
        sender = sender_id_for(message.chat.id)
        output = self.get_output_channel()
        text = clean_message_text(typed)
        if not text:
            await output.send_text_message(sender, EMPTY_TEXT_REPLY)
            return
        refused = length_problem(text, self.max_chars) or (None if self.rate.allows(self.name(), sender) else SLOW_DOWN)
        if refused:
            await output.send_text_message(sender, refused)
            return
        command = command_of(text)
        if command is not None:
            # A customer's "/..." must never reach Rasa as an intent payload.
            if command == COMMAND_START:
                language = (update.effective_user.language_code or "") if update.effective_user else ""
                text = START_GREETING["en" if language.lower().startswith("en") else "id"]
            else:
                text = HELP_PAYLOAD
        await on_new_message(
            UserMessage(
                text, output, sender, input_channel=self.name(),
                metadata=update_metadata(update, message, edited=edited, command=command),
            )
        )

    async def _handle_button(
        self, update: Update, query: CallbackQuery, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        output = self.get_output_channel()
        message = query.message
        pressed = pressed_button(query)
        payload = self.payloads.payload(pressed.callback_data) if pressed else None
        if pressed and payload is None:  # a long payload from before a restart
            payload = pressed.text
        key = (message.chat.id, message.message_id) if isinstance(message, Message) else None
        if payload is None or key is None or key in self.pressed_keyboards or message.chat.type != "private":
            await output.answer_callback(query.id, BUTTON_EXPIRED_REPLY)
            return
        self.pressed_keyboards.add(key)
        await output.answer_callback(query.id)
        # One answer per keyboard: a survey can't be answered twice.
        await output.remove_keyboard(message.chat.id, message.message_id)
        await on_new_message(
            UserMessage(
                payload, output, sender_id_for(message.chat.id), input_channel=self.name(),
                metadata=update_metadata(update, message, button=pressed.text),
            )
        )


# --------------------------------------------------------------------------- set-up command


async def _set_webhook(url: Text) -> int:
    from bot import settings

    config = settings.load()
    token, secret = config.telegram_bot_token, config.telegram_webhook_secret
    if not token or not SECRET_PATTERN.match(secret):
        print("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -).")
        return 2
    async with Bot(token, base_url=config.telegram_api_base_url or DEFAULT_BASE_URL) as bot:
        await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        info = await bot.get_webhook_info()
    print(f"Webhook set: {info.url} (pending updates: {info.pending_update_count})")
    return 0


def main(argv: List[Text]) -> int:
    """``python -m bot.channels.telegram set-webhook https://HOST/webhooks/telegram/webhook``"""
    if len(argv) != 2 or argv[0] != "set-webhook" or not argv[1].startswith("https://"):
        print(main.__doc__)
        return 2
    return asyncio.run(_set_webhook(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

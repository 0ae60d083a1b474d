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
import datetime as dtm
import hashlib
import hmac
import logging
import re
import sys
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import (
    Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Set, Text, TypeVar,
)

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import (
    Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update,
)
from telegram.error import (
    BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError,
)

from bot.channels.message_length import length_problem, max_message_chars
from bot.channels.sender_ids import TELEGRAM_PREFIX
from bot.channels.telegram_photos import file_url_for, is_photo, receive_photo
from bot.channels.webchat import clean_message_text

logger = logging.getLogger(__name__)

T = TypeVar("T")

CHANNEL_NAME = "telegram"
SENDER_PREFIX = TELEGRAM_PREFIX
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MODES = ("webhook", "polling")
CHAT_ID_PATTERN = re.compile(r"-?[0-9]{1,20}")

# Telegram's limits.
MAX_TEXT_LENGTH = 4096  # per message, counted here in UTF-16 code units (conservative)
MAX_CALLBACK_DATA_BYTES = 64
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# Delivery: waits Telegram asks for (flood control) are honoured up to this many
# times and this long each; network errors are retried with a doubling backoff.
MAX_FLOOD_RETRIES = 5
MAX_FLOOD_WAIT_SECONDS = 120.0
MAX_NETWORK_RETRIES = 3
FIRST_BACKOFF_SECONDS = 1.0

POLL_TIMEOUT_SECONDS = 25
RECENT_UPDATES_KEPT = 10_000
LONG_PAYLOADS_KEPT = 5_000
LONG_PAYLOAD_PREFIX = "tg#"

COMMAND_START = "start"
HELP_COMMANDS = {"help", "menu", "bantuan"}
HELP_PAYLOAD = "/help"
# /start is sent as a greeting in the customer's Telegram language, so the
# language detector sets the reply language from the first turn.
START_GREETING = {"en": "hello", "id": "halo"}

NOT_TEXT_REPLY = (
    "Maaf Kak, saya baru bisa membaca pesan teks. Silakan ketik pertanyaan Kakak ya. 🙏\n"
    "Sorry, I can only read text messages. Please type your question."
)
EMPTY_TEXT_REPLY = (
    "Pesannya kosong, Kak. Silakan ketik pertanyaan Kakak. 😊\n"
    "That message was empty. Please type your question."
)
BUTTON_EXPIRED_REPLY = "Pilihan ini sudah tidak berlaku. / This option has expired."
BUTTONS_ONLY_TEXT = "👇"
SHORT_BUTTON_CHARS = 6
SHORT_BUTTONS_PER_ROW = 6


# --------------------------------------------------------------------------- helpers


def sender_id_for(chat_id: int) -> Text:
    """Rasa sender id of a Telegram private chat."""
    return f"{SENDER_PREFIX}{chat_id}"


def chat_id_for(recipient_id: Text) -> Optional[int]:
    """Telegram chat id of a sender id this channel made (``tg-<id>``), else None.

    Only ``tg-`` ids with ASCII digits: a bare number ("123456789") can come
    from the REST webhook, and a push to it would reach a stranger's chat.
    """
    raw = str(recipient_id)
    number = raw[len(SENDER_PREFIX):]
    if not raw.startswith(SENDER_PREFIX) or not CHAT_ID_PATTERN.fullmatch(number):
        return None
    return int(number)


def _utf16_len(text: Text) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: Text, limit: int = MAX_TEXT_LENGTH) -> List[Text]:
    """Cut ``text`` into messages Telegram accepts, at line, then word boundaries.

    Each piece is at most ``limit`` UTF-16 code units (how Telegram counts).
    A single word longer than the limit is cut where it must be.
    """
    if _utf16_len(text) <= limit:
        return [text]
    pieces: List[Text] = []
    rest = text
    while _utf16_len(rest) > limit:
        head = _longest_prefix(rest, limit)
        cut = max(head.rfind("\n"), -1)
        if cut <= 0:
            cut = max(head.rfind(" "), -1)
        if cut <= 0:
            cut = len(head)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip("\n ")
    if rest.strip():
        pieces.append(rest)
    return pieces


def _longest_prefix(text: Text, limit: int) -> Text:
    """The longest prefix of ``text`` of at most ``limit`` UTF-16 code units."""
    low, high = 0, min(len(text), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if _utf16_len(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def _seconds(value: Any) -> float:
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def _retry_after(error: RetryAfter) -> float:
    # The private timedelta avoids PTB's deprecation warning on the int attribute.
    return _seconds(getattr(error, "_retry_after", None) or error.retry_after)


class RecentIds:
    """The last ``size`` ids seen: tells a first delivery from a redelivery."""

    def __init__(self, size: int = RECENT_UPDATES_KEPT) -> None:
        self._size = size
        self._ids: "OrderedDict[Any, None]" = OrderedDict()

    def add(self, key: Any) -> bool:
        """Remember ``key``; return False if it was already there."""
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, key: Any) -> bool:
        return key in self._ids


class LongPayloads:
    """Button payloads too long for Telegram's 64-byte callback data, by key.

    Kept in memory: after a restart the pressed button's title is sent instead.
    """

    def __init__(self, size: int = LONG_PAYLOADS_KEPT) -> None:
        self._size = size
        self._payloads: "OrderedDict[Text, Text]" = OrderedDict()

    def callback_data(self, payload: Text) -> Text:
        if len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES and not payload.startswith(
            LONG_PAYLOAD_PREFIX
        ):
            return payload
        key = LONG_PAYLOAD_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        if len(self._payloads) > self._size:
            self._payloads.popitem(last=False)
        return key

    def payload(self, data: Text) -> Optional[Text]:
        """The payload behind callback ``data`` (None if it was a long one now forgotten)."""
        if data.startswith(LONG_PAYLOAD_PREFIX):
            return self._payloads.get(data)
        return data


class KeyedLocks:
    """One lock per chat: a chat's updates are handled one after the other, in order."""

    def __init__(self) -> None:
        self._locks: Dict[Any, asyncio.Lock] = {}
        self._holders: Dict[Any, int] = {}

    @asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key]
                del self._locks[key]


async def deliver(
    what: Text,
    call: Callable[[], Awaitable[T]],
    *,
    flood_retries: int = MAX_FLOOD_RETRIES,
    network_retries: int = MAX_NETWORK_RETRIES,
    backoff: float = FIRST_BACKOFF_SECONDS,
) -> Optional[T]:
    """Run one Bot API call, waiting out flood control and retrying network errors.

    Returns the call's result, or None when it could not be made (logged).
    A timed-out send may have reached Telegram: retrying it can, rarely,
    show a message twice, which beats losing it.
    """
    floods = failures = 0
    while True:
        try:
            return await call()
        except RetryAfter as error:
            wait = _retry_after(error)
            floods += 1
            if floods > flood_retries or wait > MAX_FLOOD_WAIT_SECONDS:
                logger.error("Telegram %s dropped: flood control (retry after %.0f s)", what, wait)
                return None
            logger.warning("Telegram flood control on %s: waiting %.1f s", what, wait)
            await asyncio.sleep(wait)
        except (BadRequest, Forbidden, InvalidToken) as error:
            # Not worth retrying: the chat is gone, the bot is blocked, the
            # message is malformed or the token is wrong.
            logger.error("Telegram %s failed: %s: %s", what, type(error).__name__, error)
            return None
        except NetworkError as error:
            failures += 1
            if failures > network_retries:
                logger.error("Telegram %s failed after %d attempts: %s", what, failures, error)
                return None
            delay = backoff * 2 ** (failures - 1)
            logger.warning("Telegram %s: %s; retrying in %.1f s", what, error, delay)
            await asyncio.sleep(delay)
        except TelegramError as error:
            logger.error("Telegram %s failed: %s: %s", what, type(error).__name__, error)
            return None


# --------------------------------------------------------------------------- output


class TelegramOutput(OutputChannel):
    """Sends the assistant's messages to a Telegram chat.

    Text goes out as plain text (no parse mode), so "*", "_", "<b>" in a reply
    are shown as typed and cannot break or inject formatting.
    """

    def __init__(self, bot: Bot, payloads: Optional[LongPayloads] = None, backoff: float = FIRST_BACKOFF_SECONDS) -> None:
        self.bot = bot
        self.payloads = payloads or LongPayloads()
        self.backoff = backoff

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    async def _deliver(self, what: Text, call: Callable[[], Awaitable[T]]) -> Optional[T]:
        return await deliver(what, call, backoff=self.backoff)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        chat_id = chat_id_for(recipient_id)
        if chat_id is None:
            logger.warning("Not a Telegram recipient, message dropped: %r", recipient_id)
            return
        text = message.get("text") or ""
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if text or buttons:
            await self.send_message(chat_id, text or BUTTONS_ONLY_TEXT, buttons)
        if message.get("image"):
            await self.send_photo(chat_id, message["image"])
        if message.get("attachment"):
            await self.send_message(chat_id, str(message["attachment"]), [])
        if message.get("custom") or message.get("elements"):
            logger.debug("Telegram: custom/elements message not shown to %s", recipient_id)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    def keyboard(self, buttons: List[Dict[Text, Any]]) -> Optional[InlineKeyboardMarkup]:
        """Rasa buttons as an inline keyboard.

        A button a row, except that consecutive short ones (a 1-5 or 0-10 scale)
        share rows of up to ``SHORT_BUTTONS_PER_ROW``.
        """
        rows: List[List[InlineKeyboardButton]] = []
        packing = False
        for button in buttons:
            title = str(button.get("title") or button.get("payload") or "").strip()
            if not title:
                continue
            if button.get("url"):
                key = InlineKeyboardButton(title, url=str(button["url"]))
            else:
                payload = str(button.get("payload") or title)
                key = InlineKeyboardButton(title, callback_data=self.payloads.callback_data(payload))
            short = len(title) <= SHORT_BUTTON_CHARS
            if short and packing and len(rows[-1]) < SHORT_BUTTONS_PER_ROW:
                rows[-1].append(key)
            else:
                rows.append([key])
            packing = short
        return InlineKeyboardMarkup(rows) if rows else None

    async def send_message(self, chat_id: int, text: Text, buttons: List[Dict[Text, Any]]) -> None:
        """Send ``text`` (split if too long) with the buttons on the last piece."""
        pieces = split_text(text)
        markup = self.keyboard(buttons) if buttons else None
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            await self._deliver(
                "sendMessage",
                lambda piece=piece, last=last: self.bot.send_message(
                    chat_id=chat_id, text=piece, reply_markup=markup if last else None,
                    parse_mode=None,
                ),
            )

    async def send_photo(self, chat_id: int, url: Text) -> None:
        sent = await self._deliver(
            "sendPhoto", lambda: self.bot.send_photo(chat_id=chat_id, photo=url)
        )
        if sent is None:  # Telegram could not fetch it: the link still helps.
            await self.send_message(chat_id, url, [])

    async def answer_callback(self, query_id: Text, text: Optional[Text] = None) -> None:
        # Telegram drops answers after ~15 s, so no long waits here.
        await deliver(
            "answerCallbackQuery",
            lambda: self.bot.answer_callback_query(query_id, text=text),
            flood_retries=1, network_retries=1, backoff=self.backoff,
        )

    async def remove_keyboard(self, chat_id: int, message_id: int) -> None:
        await self._deliver(
            "editMessageReplyMarkup",
            lambda: self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            ),
        )


# --------------------------------------------------------------------------- input


def _metadata(update: Update, message: Message, **extra: Any) -> Dict[Text, Any]:
    user = update.effective_user
    return {
        CHANNEL_NAME: {
            "update_id": update.update_id,
            "chat_id": message.chat.id,
            "message_id": message.message_id,
            "user_id": user.id if user else None,
            "username": user.username if user else None,
            "language_code": user.language_code if user else None,
            **extra,
        }
    }


def _command(text: Text) -> Optional[Text]:
    """The command of a message like "/start@SerambiBot xyz", lower-case, or None."""
    if not text.startswith("/"):
        return None
    word = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    return word.split("@", 1)[0].lower()


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
        self.max_chars = max_message_chars()
        self.payloads = LongPayloads()
        self.recent_updates = RecentIds()
        self.pressed_keyboards = RecentIds()
        self.chat_locks = KeyedLocks()
        self._tasks: Set[asyncio.Task] = set()
        self._poller: Optional[asyncio.Task] = None
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
            body = request.json
            if not isinstance(body, dict):
                return response.json({"error": "an update object is required"}, status=400)
            try:
                update = Update.de_json(body, self.bot)
            except Exception:  # a malformed update is not worth Telegram's retries
                logger.exception("Telegram: unreadable update ignored")
                return response.json({"ok": True})
            self.accept(update, on_new_message)
            return response.json({"ok": True})

        @telegram.listener("after_server_start")
        async def start_polling(_: Sanic, __: Any) -> None:
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
                await asyncio.sleep(_retry_after(error))
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
                user = update.effective_user
                await receive_photo(self.bot, message, sender, output, user.language_code if user else None)
            return
        if message.text is None:
            # Sticker, voice, video, document, location, contact... An
            # edited caption or live location was answered when first sent.
            if not edited:
                await output.send_text_message(sender, NOT_TEXT_REPLY)
            return
        text = clean_message_text(message.text)
        if not text:
            await output.send_text_message(sender, EMPTY_TEXT_REPLY)
            return
        too_long = length_problem(text, self.max_chars)
        if too_long:
            await output.send_text_message(sender, too_long)
            return
        command = _command(text)
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
                metadata=_metadata(update, message, edited=edited, command=command),
            )
        )

    async def _handle_button(
        self, update: Update, query: CallbackQuery, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        output = self.get_output_channel()
        message = query.message
        pressed = _pressed_button(query)
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
                metadata=_metadata(update, message, button=pressed.text),
            )
        )


def _pressed_button(query: CallbackQuery) -> Optional[InlineKeyboardButton]:
    """The button of the query's message whose data the query carries.

    Telegram sends the message as it stored it, so this accepts only data from
    a keyboard the bot sent: a crafted callback cannot inject a payload.
    """
    message = query.message
    if not isinstance(message, Message) or not message.reply_markup or query.data is None:
        return None
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            if button.callback_data is not None and button.callback_data == query.data:
                return button
    return None


# --------------------------------------------------------------------------- set-up command


async def _set_webhook(url: Text) -> int:
    import os

    token = os.environ.get("TELEGRAM_BOT_TOKEN", "")
    secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")
    if not token or not SECRET_PATTERN.match(secret):
        print("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -).")
        return 2
    async with Bot(token, base_url=os.environ.get("TELEGRAM_API_BASE_URL") or DEFAULT_BASE_URL) as bot:
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

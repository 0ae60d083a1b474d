"""Telegram channel limits and helpers.

Sender ids, text splitting in UTF-16 units, duplicate updates, long button
payloads, per-chat locks, retried delivery, and what an update carries.
"""
import asyncio
import datetime as dtm
import hashlib
import logging
import re
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    List,
    Optional,
    Text,
    TypeVar,
)

from telegram import CallbackQuery, InlineKeyboardButton, Message, Update
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels.sender_ids import TELEGRAM_PREFIX

# One log for the whole channel, whichever module writes.
logger = logging.getLogger("bot.channels.telegram")


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


def retry_after(error: RetryAfter) -> float:
    # The private timedelta avoids PTB's deprecation warning on the int attribute.
    return _seconds(getattr(error, "retry_after", None) or error.retry_after)


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
            wait = retry_after(error)
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


# --------------------------------------------------------------------------- input helpers


def update_metadata(update: Update, message: Message, **extra: Any) -> Dict[Text, Any]:
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


def command_of(text: Text) -> Optional[Text]:
    """The command of a message like "/start@SerambiBot xyz", lower-case, or None."""
    if not text.startswith("/"):
        return None
    word = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    return word.split("@", 1)[0].lower()


def pressed_button(query: CallbackQuery) -> Optional[InlineKeyboardButton]:
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

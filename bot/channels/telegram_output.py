"""Telegram output: Rasa's replies as messages, photos and inline keyboards.

Flood control and network errors are retried (``telegram_support.deliver``).
"""
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Optional,
    Text,
)

from rasa.core.channels.channel import OutputChannel
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.channels.telegram_support import (  # noqa: F401
    ALLOWED_UPDATES,
    BUTTON_EXPIRED_REPLY,
    BUTTONS_ONLY_TEXT,
    CHANNEL_NAME,
    CHAT_ID_PATTERN,
    COMMAND_START,
    DEFAULT_BASE_URL,
    EMPTY_TEXT_REPLY,
    FIRST_BACKOFF_SECONDS,
    HELP_COMMANDS,
    HELP_PAYLOAD,
    LONG_PAYLOAD_PREFIX,
    LONG_PAYLOADS_KEPT,
    MAX_CALLBACK_DATA_BYTES,
    MAX_FLOOD_RETRIES,
    MAX_FLOOD_WAIT_SECONDS,
    MAX_NETWORK_RETRIES,
    MAX_TEXT_LENGTH,
    MODES,
    NOT_TEXT_REPLY,
    POLL_TIMEOUT_SECONDS,
    RECENT_UPDATES_KEPT,
    SECRET_HEADER,
    SECRET_PATTERN,
    SENDER_PREFIX,
    SHORT_BUTTON_CHARS,
    SHORT_BUTTONS_PER_ROW,
    START_GREETING,
    KeyedLocks,
    LongPayloads,
    RecentIds,
    T,
    chat_id_for,
    deliver,
    logger,
    retry_after,
    sender_id_for,
    split_text,
)

# --------------------------------------------------------------------------- output


class TelegramOutput(OutputChannel):
    """Sends the assistant's messages to a Telegram chat.

    Text goes out as plain text (no parse mode), so "*", "_", "<b>" in a reply
    are shown as typed and cannot break or inject formatting.
    """

    def __init__(
        self, bot: Bot, payloads: Optional[LongPayloads] = None, backoff: float = FIRST_BACKOFF_SECONDS
    ) -> None:
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

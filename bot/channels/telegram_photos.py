"""Photos customers send on Telegram: downloaded from the Bot API, checked, cleaned, kept, thanked.

The largest size Telegram offers is fetched (``getFile`` + the file URL,
under the channel's own API address so the fake Bot API of the tests serves
it too), cleaned by :mod:`bot.channels.photos` and handed to the image sink.
A photo over the limit is refused before it is downloaded when Telegram
states its size.
"""
import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Optional, Text

from telegram.error import TelegramError

from bot.channels.photos import MAX_PHOTO_BYTES, PhotoRefused, clean_photo, photo_sink, thanks

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
NOT_RECEIVED = {
    "id": "Maaf Kak, fotonya belum berhasil kami terima. Boleh dikirim ulang?",
    "en": "Sorry, we could not receive the photo. Could you send it again?",
}


def file_url_for(base_url: Text) -> Text:
    """The Bot API's file address beside ``base_url`` (``.../bot`` -> ``.../file/bot``)."""
    head, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}"


async def receive_photo(
    bot: Any, message: Any, sender: Text, output: Any, known: Optional[Text], device: Optional[Text]
) -> None:
    """Keep the photo of ``message`` (a photo, or an image sent as a file) and thank the customer.

    Args:
        bot: The channel's ``telegram.Bot``.
        message: The Telegram message with ``photo`` (or an image ``document``).
        sender: The customer's Rasa sender id.
        output: The channel's output, to answer the customer.
        known: The language the bot answers this customer in (None: not met yet).
        device: The customer's Telegram language code, for a customer not met yet.
    """
    language = known or ("en" if (device or "").lower().startswith("en") else "id")
    attachment = max(message.photo, key=lambda size: size.width * size.height) if message.photo else message.document
    try:
        if attachment.file_size and attachment.file_size > MAX_PHOTO_BYTES:
            raise PhotoRefused("too_big")
        telegram_file = await bot.get_file(attachment.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
        loop = asyncio.get_running_loop()
        clean = await loop.run_in_executor(None, clean_photo, data)
    except PhotoRefused as refused:
        await output.send_text_message(sender, refused.message(language))
        return
    except TelegramError as error:
        logger.warning("Telegram photo of %s not downloaded: %s", sender, error)
        await output.send_text_message(sender, NOT_RECEIVED[language])
        return
    kept = await loop.run_in_executor(
        None, lambda: photo_sink()(CHANNEL, sender, clean, datetime.now(timezone.utc), thanks, language=known)
    )
    await output.send_text_message(sender, kept["thanks"])


def is_photo(message: Any) -> bool:
    """A photo, or a picture sent as a file."""
    document = getattr(message, "document", None)
    return bool(message.photo) or bool(document and (document.mime_type or "").startswith("image/"))

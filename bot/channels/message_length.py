"""The longest customer message a channel takes (``MAX_MESSAGE_CHARS``), and what the customer is told.

One limit for every channel: the REST webhook and the web chat answer a
longer message with an error the client can show; Telegram, where the
customer cannot see an HTTP status, gets this text as a chat reply. Nothing
over the limit reaches Rasa, the classifier or the store.
"""
from typing import Optional, Text

from bot import settings


def max_message_chars() -> int:
    """The configured limit, in characters (read when a channel is built)."""
    return settings.load().max_message_chars


def too_long_reply(limit: int) -> Text:
    """The bilingual answer to a message over ``limit`` characters."""
    return (
        f"Pesannya terlalu panjang, Kak: maksimal {limit} karakter. "
        "Boleh dikirim lebih singkat atau dibagi jadi beberapa pesan?\n"
        f"That message is too long: at most {limit} characters, please. "
        "Could you shorten it or split it into several messages?"
    )


def length_problem(text: Optional[Text], limit: int) -> Optional[Text]:
    """``too_long_reply`` when ``text`` is longer than ``limit``, else None."""
    if isinstance(text, str) and len(text) > limit:
        return too_long_reply(limit)
    return None

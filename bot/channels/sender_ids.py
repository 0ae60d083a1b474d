"""Which sender ids each channel may use.

Rasa keys a conversation by sender id alone, whatever the channel, so a client
that picks its own id could write into someone else's conversation. Each
channel that receives ids from outside owns a prefix: the web chat page
makes ``web-…`` ids, Telegram chats are ``tg-…``, and REST API clients may
use anything else.
"""
from typing import Text

WEB_PREFIX = "web-"
TELEGRAM_PREFIX = "tg-"
RESERVED_PREFIXES = (WEB_PREFIX, TELEGRAM_PREFIX)


def allowed_for_api(sender: Text) -> bool:
    """Whether a REST API client may use ``sender``."""
    return not sender.lower().startswith(RESERVED_PREFIXES)


def allowed_for_webchat(sender: Text) -> bool:
    """Whether the web chat page may use ``sender``."""
    return sender.startswith(WEB_PREFIX) and len(sender) > len(WEB_PREFIX)

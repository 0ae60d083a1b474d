"""Which sender ids each channel may use.

Rasa keys a conversation by sender id alone, whatever the channel, so a client
that picks its own id could write into someone else's conversation. Each
channel that receives ids from outside owns a prefix: the web chat page
makes ``web-…`` ids, Telegram chats are ``tg-…``, and REST API clients may
use anything else.

Ids are taken as sent, never normalised: an id with spaces, control or
invisible characters is refused, because trimming it (`` web-1`` to
``web-1``) after the prefix check would let it through into another
channel's conversations.
"""
import unicodedata
from typing import Optional, Text

WEB_PREFIX = "web-"
TELEGRAM_PREFIX = "tg-"
RESERVED_PREFIXES = (WEB_PREFIX, TELEGRAM_PREFIX)
MAX_SENDER_CHARS = 128  # the store's customer_identities.external_id


def sender_problem(sender: object) -> Optional[Text]:
    """Why ``sender`` is not a usable id (for the client), or None if it is.

    Refused: missing or empty, longer than :data:`MAX_SENDER_CHARS`, or with
    any whitespace, control, format (zero-width...) or unassigned character.
    """
    if not isinstance(sender, str) or not sender:
        return "sender is required"
    if len(sender) > MAX_SENDER_CHARS:
        return f"sender must be at most {MAX_SENDER_CHARS} characters"
    if any(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in sender):
        return "sender must not contain spaces, control or invisible characters"
    return None


def allowed_for_api(sender: Text) -> bool:
    """Whether a REST API client may use ``sender``."""
    return not sender.lower().startswith(RESERVED_PREFIXES)


def allowed_for_webchat(sender: Text) -> bool:
    """Whether the web chat page may use ``sender``."""
    return sender.startswith(WEB_PREFIX) and len(sender) > len(WEB_PREFIX)

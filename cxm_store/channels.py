"""Channel names: as the store reports them, and as the bot's input channels are called.

Customers are known per channel (``web``, ``rest``, ``telegram``); the bot's
Rasa input channels that carry them have their own names (``webchat``). Both
directions live here so capture, the survey and the console agree.
"""
from typing import Optional

from contract.vocabulary import BOT_TO_STORE_CHANNEL as _STORE_NAMES
from contract.vocabulary import STORE_TO_PUSH_CHANNEL as _PUSH_CHANNELS


def store_channel(bot_channel: Optional[str]) -> str:
    """The store's name for a bot input channel (unknown names are kept)."""
    return _STORE_NAMES.get(bot_channel or "", bot_channel or "unknown")


def push_channel(channel: str) -> Optional[str]:
    """The bot output channel that reaches customers of store ``channel``, or None."""
    return _PUSH_CHANNELS.get(channel)

"""The REST webhook for API clients: Rasa's REST channel, minus other channels' sender ids."""
from typing import Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.channels.sender_ids import allowed_for_api


class ApiInput(RestInput):
    """``POST /webhooks/rest/webhook`` ``{"sender", "message"}`` -> the bot's replies."""

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = await super()._extract_sender(req)
        if not isinstance(sender, str) or not sender.strip():
            raise InvalidUsage("sender is required")
        if not allowed_for_api(sender):
            raise InvalidUsage("sender ids starting with web- or tg- belong to other channels")
        return sender

"""The REST webhook for API clients: Rasa's REST channel, with the server deciding what the client may not.

* The channel is always ``rest``: Rasa's REST channel takes ``input_channel``
  from the request body, so a client could pass as Telegram and have agents'
  replies pushed to a real Telegram chat. Here the body's value is ignored.
* Sender ids are checked as sent (:mod:`bot.channels.sender_ids`): other
  channels' prefixes and malformed ids get 400.
* Messages over ``MAX_MESSAGE_CHARS`` get 413.
* With ``REST_WEBHOOK_TOKEN`` set, ``POST /webhook`` needs
  ``Authorization: Bearer <token>`` (401 otherwise).
"""
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage, PayloadTooLarge, Unauthorized
from sanic.request import Request

from bot import settings
from bot.channels.message_length import length_problem, max_message_chars
from bot.channels.sender_ids import allowed_for_api, sender_problem
from bot.http_auth import carries_token


class ApiInput(RestInput):
    """``POST /webhooks/rest/webhook`` ``{"sender", "message"}`` -> the bot's replies."""

    def __init__(self, token: Optional[Text] = None, max_chars: Optional[int] = None) -> None:
        self.token = settings.load().rest_webhook_token if token is None else token
        self.max_chars = max_message_chars() if max_chars is None else max_chars

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def authenticate(request: Request) -> None:
            if request.method == "POST" and not self.authorised(request):
                raise Unauthorized("Send the REST webhook token as 'Authorization: Bearer <token>'")

        return webhook

    def authorised(self, request: Request) -> bool:
        """True when no token is configured or the request carries it."""
        return not self.token or carries_token(request.headers.get("Authorization"), self.token)

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = await super()._extract_sender(req)
        problem = sender_problem(sender)
        if problem:
            raise InvalidUsage(problem)
        if not allowed_for_api(sender):
            raise InvalidUsage("sender ids starting with web- or tg- belong to other channels")
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        text = super()._extract_message(req)
        problem = length_problem(text, self.max_chars)
        if problem:
            raise PayloadTooLarge(problem)
        return text

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

"""The REST webhook for API clients: Rasa's REST channel, with the server deciding what the client may not.

* The channel is always ``rest``: Rasa's REST channel takes ``input_channel``
  from the request body, so a client could pass as Telegram and have agents'
  replies pushed to a real Telegram chat. Here the body's value is ignored.
* Sender ids are checked as sent (:mod:`bot.channels.sender_ids`): other
  channels' prefixes and malformed ids get 400.
* Messages over ``MAX_MESSAGE_CHARS`` get 413.
* Floods get 429 with ``Retry-After``: per sender and per client address
  (:mod:`bot.channels.message_rate`).
* With ``REST_WEBHOOK_TOKEN`` set, ``POST /webhook`` needs
  ``Authorization: Bearer <token>`` (401 otherwise).
* A message that could not be handled now (a store unreachable, the model
  still loading) gets ``503`` with ``Retry-After`` (:mod:`bot.channels.retryable`);
  Rasa's channel answered ``200 []``, an empty reply with no reason.
"""
from typing import Any, Awaitable, Callable, Optional, Text, Union

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage, PayloadTooLarge, Unauthorized
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot import settings
from bot.channels.json_body import json_object
from bot.channels.message_length import length_problem, max_message_chars
from bot.channels.message_rate import RETRY_AFTER_S, SLOW_DOWN, AddressRate, MessageRate
from bot.channels.retryable import handle_or_refuse, refusal
from bot.channels.sender_ids import allowed_for_api, sender_problem
from bot.http_auth import carries_token


class ApiInput(RestInput):
    """``POST /webhooks/rest/webhook`` ``{"sender", "message"}`` -> the bot's replies."""

    def __init__(
        self, token: Optional[Text] = None, max_chars: Optional[int] = None, address_rate: Optional[AddressRate] = None
    ) -> None:
        self.token = settings.load().rest_webhook_token if token is None else token
        self.max_chars = max_message_chars() if max_chars is None else max_chars
        self.rate = MessageRate()
        self.address_rate = address_rate or AddressRate()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Rasa's routes, with its POST /webhook replaced by one that refuses
        # what it could not handle instead of answering an empty list.
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            body = json_object(request)
            if body is None:
                raise InvalidUsage("the body must be a JSON object with sender and message")
            if not isinstance(body.get("message", ""), str) or not isinstance(body.get("metadata") or {}, dict):
                raise InvalidUsage("message must be text and metadata an object")
            sender = await self._extract_sender(request)
            text = self._extract_message(request)
            channel, metadata = self._extract_input_channel(request), self.get_metadata(request)
            if not self.rate.allows(channel, str(sender)):
                return refusal(SLOW_DOWN, status=429, retry_after=RETRY_AFTER_S)
            too_many = self.address_rate.refusal(self.address_rate.address(request), channel, str(sender))
            if too_many:
                return refusal(too_many.text(None), status=429, retry_after=too_many.retry_after_s)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender, channel, metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=channel, metadata=metadata)
            return await handle_or_refuse(request, on_new_message, message) or response.json(collector.messages)

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

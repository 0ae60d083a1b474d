"""The web chat: a page customers open in a browser, and the channel behind it.

The page posts each message and shows the replies returned with it. Messages
that are not replies to the customer (an agent writing from the console, a
follow-up survey) are pushed to the page over Server-Sent Events, which every
browser speaks natively, so the page needs no JavaScript library.

Routes under ``/webhooks/webchat``:
    GET  /             the chat page
    GET  /health       {"status": "ok"} once the model is loaded and pushes reach this process, else 503
    POST /webhook      {"sender": str, "message": str, "metadata": {}} -> [reply, ...]
                       (a flood, per sender or per client address, gets the reason as the reply:
                       bot/channels/message_rate.py)
    GET  /events/<sender>   text/event-stream of pushed messages

Pushed messages go through a :class:`bot.channels.push.PushHub`: in this
process by default, through Redis when ``WEBCHAT_PUSH_URL`` is set, so that
with several Rasa processes (or Sanic workers) a push reaches the stream
whichever process holds it. Each pushed event carries an ``id``; a page that
reconnects with the last one it saw (``Last-Event-ID``, or ``?after=`` when
the page opens a new stream itself) first gets what it missed.
"""
import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.message_length import length_problem, max_message_chars
from bot.channels.message_rate import SLOW_DOWN, AddressRate, MessageRate
from bot.channels.photos import conversation_language
from bot.channels.push import PushHub, hub_from_environment
from bot.channels.retryable import handle_or_refuse
from bot.channels.sender_ids import allowed_for_webchat, sender_problem
from bot.channels.webchat_photos import add_photo_route

logger = logging.getLogger(__name__)

PAGE = Path(__file__).parent / "webchat_page" / "index.html"
KEEPALIVE_SECONDS = 15


class WebchatOutput(OutputChannel):
    """Pushes messages to the customer's open chat pages."""

    def __init__(self, hub: PushHub) -> None:
        self._hub = hub

    @classmethod
    def name(cls) -> Text:
        return WebchatInput.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        # One pushed event per bot message keeps text and its buttons together.
        pushed = {k: v for k, v in message.items() if k in ("text", "buttons", "image", "custom") and v}
        if pushed:
            await self._hub.publish(recipient_id, {"recipient_id": recipient_id, **pushed})

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


def clean_message_text(raw: Any) -> Text:
    """Return the customer's text as the assistant should read it."""
    text = raw if isinstance(raw, str) else ""
    return text.strip()


def last_seen_push(request: Request) -> Optional[int]:
    """The id of the last push the page saw, if it says (``Last-Event-ID`` or ``?after=``)."""
    value = request.headers.get("Last-Event-ID") or request.args.get("after") or ""
    return int(value) if value.strip().isdigit() else None


class WebchatInput(InputChannel):
    """Rasa input channel for the Serambi web chat page."""

    def __init__(self, hub: Optional[PushHub] = None, address_rate: Optional[AddressRate] = None) -> None:
        self.hub = hub or hub_from_environment()
        self.max_chars = max_message_chars()
        self.rate = MessageRate()
        self.address_rate = address_rate or AddressRate()

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebchatInput":
        return cls()

    def get_output_channel(self) -> OutputChannel:
        return WebchatOutput(self.hub)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webchat = Blueprint("webchat_webhook", __name__)

        @webchat.route("/", methods=["GET"])
        async def page(_: Request) -> HTTPResponse:
            return await response.file(PAGE, mime_type="text/html; charset=utf-8")

        async def unready(request: Request, streams_only: bool) -> Optional[str]:
            # Readiness for a load balancer: Rasa listens before its model is
            # loaded (and then ignores messages), a push published by another
            # process must reach this one's streams, and a reply waits until
            # its events reached the broker (bot/event_broker.py). Streams
            # need the push channel only: a RabbitMQ outage stops answers,
            # not agents' replies to customers already talking to them.
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return "model not loaded"
            if not await self.hub.ready():
                return "push channel unavailable"
            broker = getattr(agent.tracker_store, "event_broker", None)
            if not streams_only and broker is not None and not broker.is_ready():
                return "event broker unavailable"
            return None

        @webchat.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            # ``?for=streams``: whether this process may hold push streams.
            problem = await unready(request, streams_only=request.args.get("for") == "streams")
            return response.json({"status": problem or "ok"}, status=503 if problem else 200)

        @webchat.listener("after_server_stop")
        async def close_hub(*_: Any) -> None:
            await self.hub.close()

        @webchat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            problem = sender_problem(sender)
            if problem or not allowed_for_webchat(sender):
                return response.json({"error": problem or "sender must be a web- id"}, status=400)
            text = clean_message_text(body.get("message"))
            too_long = length_problem(text, self.max_chars)
            if too_long:
                return response.json({"error": too_long}, status=413)
            if not self.rate.allows(self.name(), sender):
                # The page shows a reply, not an HTTP status: the customer reads why.
                return response.json([{"recipient_id": sender, "text": SLOW_DOWN}])
            too_many = self.address_rate.refusal(self.address_rate.address(request), self.name(), sender)
            if too_many:
                language = await conversation_language(request.app, sender)
                return response.json([{"recipient_id": sender, "text": too_many.text(language)}])
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            # 503 + Retry-After when it could not be handled now (bot/channels/retryable.py).
            return await handle_or_refuse(request, on_new_message, message) or response.json(collector.messages)

        @webchat.route("/events/<sender>", methods=["GET"])
        async def events(request: Request, sender: Text) -> Optional[HTTPResponse]:
            if not allowed_for_webchat(sender):
                return response.json({"error": "sender must be a web- id"}, status=400)
            try:
                subscription = await self.hub.subscribe(sender, after=last_seen_push(request))
            except ConnectionError as error:
                logger.warning("web chat stream for %s refused: %s", sender, error)
                return response.json({"error": "pushes unavailable, retry"}, status=503)
            try:
                stream = await request.respond(
                    content_type="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                )
                await stream.send(": connected\n\n")
                while True:
                    push = await subscription.next(KEEPALIVE_SECONDS)
                    if push is None:
                        await stream.send(": keepalive\n\n")
                    else:
                        await stream.send(f"id: {push.id}\ndata: {json.dumps(push.message)}\n\n")
            finally:
                self.hub.unsubscribe(subscription)

        add_photo_route(webchat)
        return webchat

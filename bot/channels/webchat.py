"""The web chat: a page customers open in a browser, and the channel behind it.

The page posts each message and shows the replies returned with it. Messages
that are not replies to the customer (an agent writing from the console, a
follow-up survey) are pushed to the page over Server-Sent Events, which every
browser speaks natively, so the page needs no JavaScript library.

Routes under ``/webhooks/webchat``:
    GET  /             the chat page
    GET  /health       {"status": "ok"}
    POST /webhook      {"sender": str, "message": str, "metadata": {}} -> [reply, ...]
    GET  /events/<sender>   text/event-stream of pushed messages

Pushed messages reach pages connected to this Rasa process; several Rasa
processes behind a load balancer need sticky sessions for the stream.
"""
import asyncio
import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Awaitable, Callable, DefaultDict, Dict, Optional, Set, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response

from bot.channels.sender_ids import allowed_for_webchat
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

PAGE = Path(__file__).parent / "webchat_page" / "index.html"
# Longer messages are cut: nobody types more in a chat, and the classifier's
# cost grows with length. The customer is still answered.
MAX_MESSAGE_CHARS = 2000
KEEPALIVE_SECONDS = 15


class PushHub:
    """Delivers pushed messages to the pages a sender has open."""

    def __init__(self) -> None:
        self._subscribers: DefaultDict[Text, Set[asyncio.Queue]] = defaultdict(set)

    def subscribe(self, sender: Text) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self._subscribers[sender].add(queue)
        return queue

    def unsubscribe(self, sender: Text, queue: asyncio.Queue) -> None:
        self._subscribers[sender].discard(queue)
        if not self._subscribers[sender]:
            del self._subscribers[sender]

    def publish(self, sender: Text, message: Dict[Text, Any]) -> None:
        for queue in self._subscribers.get(sender, ()):
            queue.put_nowait(message)


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
            self._hub.publish(recipient_id, {"recipient_id": recipient_id, **pushed})

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


def clean_message_text(raw: Any) -> Text:
    """Return the customer's text as the assistant should read it."""
    text = raw if isinstance(raw, str) else ""
    return text.strip()[:MAX_MESSAGE_CHARS]


class WebchatInput(InputChannel):
    """Rasa input channel for the Serambi web chat page."""

    def __init__(self) -> None:
        self.hub = PushHub()

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

        @webchat.route("/health", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webchat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if not isinstance(sender, str) or not allowed_for_webchat(sender.strip()):
                return response.json({"error": "sender must be a web- id"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    clean_message_text(body.get("message")),
                    collector,
                    sender.strip()[:128],
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
            return response.json(collector.messages)

        @webchat.route("/events/<sender>", methods=["GET"])
        async def events(request: Request, sender: Text) -> Optional[HTTPResponse]:
            if not allowed_for_webchat(sender):
                return response.json({"error": "sender must be a web- id"}, status=400)
            stream = await request.respond(
                content_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
            queue = self.hub.subscribe(sender)
            try:
                await stream.send(": connected\n\n")
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                    except asyncio.TimeoutError:
                        await stream.send(": keepalive\n\n")
                        continue
                    await stream.send(f"data: {json.dumps(message)}\n\n")
            finally:
                self.hub.unsubscribe(sender, queue)

        return webchat

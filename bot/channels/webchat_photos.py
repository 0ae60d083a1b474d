"""The web chat's photo upload: ``POST /webhooks/webchat/photo/<sender>``.

The body is the picture itself (any ``Content-Type``; the content decides) or
a multipart form with a ``photo`` file. The answer is in the language the bot
answers the conversation in; ``?lang=id|en`` (the browser's) only for a
customer the bot has not met yet. Answers: 200 ``{"messages": [{"text": <thanks>}],
"language"}``; 413 too big and 415 not a photo, each ``{"error": <what to tell
the customer>, "language"}`` with nothing stored; 400 bad sender.
"""
import asyncio
import logging
from datetime import datetime, timezone

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.photos import (
    MAX_PHOTO_BYTES,
    PhotoRefused,
    clean_photo,
    conversation_language,
    photo_sink,
    thanks,
)
from bot.channels.sender_ids import allowed_for_webchat

logger = logging.getLogger(__name__)

CHANNEL = "webchat"


def add_photo_route(webchat: Blueprint) -> None:
    """Add the upload route to the web chat's blueprint."""

    @webchat.route("/photo/<sender>", methods=["POST"])
    async def photo(request: Request, sender: str) -> HTTPResponse:
        if not allowed_for_webchat(sender):
            return response.json({"error": "sender must be a web- id"}, status=400)
        known = await conversation_language(request.app, sender)
        language = known or (request.args.get("lang") if request.args.get("lang") in ("id", "en") else "id")
        upload = request.files.get("photo") if request.files else None
        data = upload.body if upload else (request.body or b"")
        declared = int(request.headers.get("Content-Length") or 0)
        try:
            if declared > MAX_PHOTO_BYTES + 64 * 1024:  # the form's own bytes aside
                raise PhotoRefused("too_big")
            loop = asyncio.get_running_loop()
            clean = await loop.run_in_executor(None, clean_photo, data)
        except PhotoRefused as refused:
            status = 413 if refused.reason == "too_big" else 415
            return response.json({"error": refused.message(language), "language": language}, status=status)
        kept = await loop.run_in_executor(
            None, lambda: photo_sink()(CHANNEL, sender, clean, datetime.now(timezone.utc), thanks, language=known)
        )
        return response.json({
            "messages": [{"recipient_id": sender, "text": kept["thanks"]}], "language": kept["language"] or language,
        })

"""Customers' photos in the console (agents see them in the transcript).

Routes:
    GET /api/conversations/<id>/images
        ``{"images": [{"id", "at", "content_type", "width", "height", "claim_topic"}]}``
    GET /api/images/<id>                 the picture (as stored: metadata stripped)
Both follow the conversation's access rules: 404 for what an agent has no business with.
"""
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from cxm_store import customer_images
from team_app.api import ApiError, _readable_conversation, _reply
from team_app.security import require_role, run_db


def register(app: Sanic) -> None:
    @app.get("/api/conversations/<conversation_id:int>/images", name="api_conversation_images")
    @require_role()
    async def images(request: Request, conversation_id: int) -> HTTPResponse:
        await _readable_conversation(request, conversation_id)
        return _reply(request, {"images": await run_db(request, customer_images.conversation_images, conversation_id)})

    @app.get("/api/images/<image_id:int>", name="api_image")
    @require_role()
    async def image(request: Request, image_id: int) -> HTTPResponse:
        try:
            stored = await run_db(request, customer_images.get_image, image_id)
        except LookupError:
            raise ApiError(f"No image {image_id}", 404) from None
        await _readable_conversation(request, stored.conversation_id)
        if not stored.path.exists():
            raise ApiError(f"No image {image_id}", 404)
        reply = await response.file(stored.path, mime_type=stored.content_type)
        reply.headers["Cache-Control"] = "private, max-age=3600"
        return reply

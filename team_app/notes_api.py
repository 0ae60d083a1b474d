"""Notes and transfers in the console: agents-only, never sent to the customer.

Routes:
    GET  /api/conversations/<id>/notes     ``{"notes": [...]}`` notes and transfers, oldest first
    POST /api/handoffs/<id>/notes          ``{"text"}`` an agents-only note (my conversation, or lead/admin)
    POST /api/handoffs/<id>/transfer       ``{"to": username | null, "note": str}``: to another
                                           available agent, or back to the queue (``null``)
Every agent's page hears of it through a ``note`` live event (and ``queue`` on a transfer).
"""
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from cxm_store import handoff_notes
from cxm_store.events import HandoffTransferred, NoteAdded, record
from team_app import live
from team_app.api import ApiError, _handoff, _must_be_mine, _readable_conversation, _reply
from team_app.security import now, require_role, run_db, signed_in


def _body(request: Request) -> dict:
    return request.json if isinstance(request.json, dict) else {}


def register(app: Sanic) -> None:
    @app.get("/api/conversations/<conversation_id:int>/notes", name="api_notes")
    @require_role()
    async def notes(request: Request, conversation_id: int) -> HTTPResponse:
        """200 ``{"notes": [{"id", "at", "time", "kind", "author", "text", "from_agent", "to_agent"}]}``."""
        await _readable_conversation(request, conversation_id)
        return _reply(request, {"notes": await run_db(request, handoff_notes.conversation_notes, conversation_id)})

    @app.post("/api/handoffs/<handoff_id:int>/notes", name="api_add_note")
    @require_role()
    async def add_note(request: Request, handoff_id: int) -> HTTPResponse:
        """200 ``{"note_id"}``; 400 empty or too long; 409 not my conversation (agents)."""
        handoff = await _handoff(request, handoff_id)
        user = signed_in(request).user
        if user.role == "agent":
            _must_be_mine(request, handoff)
        try:
            note_id = await run_db(
                request, record, NoteAdded(handoff_id, user.username, _body(request).get("text"), now())
            )
        except ValueError as error:
            raise ApiError(str(error), 400) from None
        await live.publish(request, "note", conversation_id=handoff["conversation_id"])
        return _reply(request, {"note_id": note_id})

    @app.post("/api/handoffs/<handoff_id:int>/transfer", name="api_transfer")
    @require_role()
    async def transfer(request: Request, handoff_id: int) -> HTTPResponse:
        """200 ``{"transferred": true, "to": username | null}``; 409 not mine / agent not available."""
        handoff = await _handoff(request, handoff_id)
        _must_be_mine(request, handoff)
        body = _body(request)
        target = body.get("to") or None
        if target is not None and not isinstance(target, str):
            raise ApiError("to must be a username or null (back to the queue)", 400)
        try:
            me = signed_in(request).user.username
            await run_db(request, record, HandoffTransferred(handoff_id, me, target, body.get("note"), now()))
        except handoff_notes.TransferRefused as error:
            raise ApiError(str(error), 409) from None
        except ValueError as error:
            raise ApiError(str(error), 400) from None
        await live.publish(request, "note", conversation_id=handoff["conversation_id"])
        return _reply(request, {"transferred": True, "to": target})

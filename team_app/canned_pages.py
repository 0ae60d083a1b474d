"""Canned responses in the console: leads manage them, agents insert them with ``/``.

Routes:
    GET  /canned                      the list and the editor (lead, admin); ``?edit=<id>``
    POST /canned                      create or change one (form: id?, shortcut, language, title, text)
    POST /canned/<id>/delete          remove one
    GET  /api/canned?conversation_id=<id>[&language=id|en]
                                      responses for that conversation, variables filled
                                      (any console role); the customer's language by default
"""
from typing import Any, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from cxm_store import canned, handoffs
from team_app.api import ApiError, _readable_conversation
from team_app.security import now, require_role, run_db, signed_in

LANGUAGE_NAMES = {"id": "Indonesian", "en": "English"}


async def _editor(
    request: Request, status: int = 200, error: str = "", form: Optional[Any] = None
) -> HTTPResponse:
    from team_app import render

    responses = await run_db(request, canned.list_canned)
    editing = None
    if form is None and request.args.get("edit", "").isdigit():
        editing = next((r for r in responses if r.id == int(request.args["edit"])), None)
    return render(
        request, "canned.html", status=status, title="Canned responses", responses=responses,
        editing=editing, form=form or {}, error=error, languages=LANGUAGE_NAMES,
        variables=canned.VARIABLES,
    )


def register(app: Sanic) -> None:
    @app.get("/canned", name="canned_page")
    @require_role("lead", "admin")
    async def canned_page(request: Request) -> HTTPResponse:
        return await _editor(request)

    @app.post("/canned", name="canned_save")
    @require_role("lead", "admin")
    async def canned_save(request: Request) -> HTTPResponse:
        form = {key: request.form.get(key) or "" for key in ("id", "shortcut", "language", "title", "text")}
        try:
            await run_db(
                request, canned.save_canned, form["shortcut"], form["language"], form["title"], form["text"],
                signed_in(request).user.username, now(),
                canned_id=int(form["id"]) if form["id"].isdigit() else None,
            )
        except canned.CannedError as error:
            return await _editor(request, 400, str(error), form)
        except LookupError:
            return await _editor(request, 404, "That response was deleted meanwhile", form)
        return response.redirect("/canned", status=303)

    @app.post("/canned/<canned_id:int>/delete", name="canned_delete")
    @require_role("lead", "admin")
    async def canned_delete(request: Request, canned_id: int) -> HTTPResponse:
        await run_db(request, canned.delete_canned, canned_id)
        return response.redirect("/canned", status=303)

    @app.get("/api/canned", name="api_canned")
    @require_role()
    async def canned_for_conversation(request: Request) -> HTTPResponse:
        """200 ``{"language", "responses": [{"shortcut", "title", "language", "text"}]}``.

        ``text`` has ``{customer_name}``, ``{order_number}`` and ``{agent_name}``
        filled for the conversation; 404 as for the conversation itself.
        """
        raw = request.args.get("conversation_id", "")
        if not raw.isdigit():
            raise ApiError("conversation_id must be a conversation id", 400)
        conversation_id = int(raw)
        await _readable_conversation(request, conversation_id)
        context = await run_db(request, handoffs.conversation_context, conversation_id)
        language = request.args.get("language") or context.language or "id"
        if language not in canned.LANGUAGES:
            raise ApiError("language must be id or en", 400)
        values = {
            "customer_name": None,  # no channel gives us a name we may trust yet
            "order_number": context.order_number,
            "agent_name": signed_in(request).user.display_name,
        }
        rows = await run_db(request, canned.list_canned, language)
        return response.json({
            "language": language,
            "responses": [
                {"shortcut": r.shortcut, "title": r.title, "language": r.language,
                 "text": canned.fill(r.text, language, values)}
                for r in rows
            ],
        })

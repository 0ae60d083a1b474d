"""JSON API of the agent console. Every route needs a console login; POSTs need the CSRF token.

Errors are ``{"error": "<message for the agent>"}`` with a 4xx/5xx status.
Per-conversation routes follow :mod:`cxm_store.access`: what an agent has no
business with answers 404, exactly like an id that does not exist.
Times are ISO 8601 UTC (``...Z``); ``time`` fields are ``HH:MM`` in
``CXM_TIMEZONE`` for display.

Routes:
    GET  /api/queue                        waiting queue, my conversations, presence
    GET  /api/conversations/<id>           context + transcript of a conversation
    GET  /api/conversations/<id>/messages?after=<message id>   new transcript lines
    POST /api/handoffs/<id>/claim          take a waiting conversation
    POST /api/handoffs/<id>/reply          {"text": str} -> delivered to the customer
    POST /api/handoffs/<id>/resolve        hand back to the bot and offer the survey
    POST /api/me/availability              {"available": bool}
    POST /api/me/heartbeat                 the console is open (every 15 s)
    GET  /api/tickets                      messages left out of hours (lead, admin)
    GET  /api/users                        console accounts, no secrets (admin)
"""
import dataclasses
import logging
from datetime import datetime
from typing import Any, Dict
from zoneinfo import ZoneInfo

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa_client import RasaError
from contract.dialogue import ACTION_OFFER_SURVEY
from contract.vocabulary import CLAIMED
from cxm_store import access, auth, handoffs
from cxm_store.errors import Conflict, InvalidInput, NotFound
from cxm_store.events import AgentFirstReply, HandoffClaimed, HandoffResolved, record
from team_app.security import now, require_role, run_db, signed_in

logger = logging.getLogger(__name__)

MAX_REPLY_CHARS = 2000


class ApiError(SanicException):
    """Rasa did not take the agent's action (502); the store's refusals are cxm_store.errors."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message, status_code=status)


def _json(value: Any, zone: ZoneInfo) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        out = {k: _json(v, zone) for k, v in value.items()}
        if isinstance(value.get("at"), datetime):
            out["time"] = _local(value["at"], zone)
        return out
    if isinstance(value, (list, tuple)):
        return [_json(v, zone) for v in value]
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime("%H:%M")


def _reply(request: Request, body: Dict[str, Any], status: int = 200) -> HTTPResponse:
    return response.json(_json(body, ZoneInfo(request.app.ctx.settings.timezone)), status=status)


async def _handoff(request: Request, handoff_id: int) -> Dict[str, Any]:
    """The handoff, if it exists and the signed-in user may see it; else 404."""
    user = signed_in(request).user
    try:
        handoff = await run_db(request, handoffs.get_handoff, handoff_id)
    except LookupError:
        handoff = None
    if handoff is None or not access.may_act_on_handoff(handoff, user.username, user.role):
        raise NotFound(f"No handoff {handoff_id}")
    return handoff


async def _readable_conversation(request: Request, conversation_id: int) -> None:
    """404 unless the conversation exists and the signed-in user may read it."""
    user = signed_in(request).user
    allowed = await run_db(
        request, access.may_read_conversation, conversation_id, user.username, user.role
    )
    if not allowed:
        raise NotFound(f"No conversation {conversation_id}")


def _must_be_mine(request: Request, handoff: Dict[str, Any]) -> None:
    me = signed_in(request).user.username
    if handoff["status"] == "resolved":
        raise Conflict("This conversation is already resolved")
    if handoff["status"] != CLAIMED:
        raise Conflict("Claim this conversation first")
    if handoff["agent"] != me:
        raise Conflict(f"This conversation is with {handoff['agent']}")


async def _address(request: Request, handoff: Dict[str, Any]) -> handoffs.CustomerAddress:
    address = await run_db(request, handoffs.customer_address, handoff["conversation_id"])
    if address.rasa_channel is None or not address.sender_id:
        raise Conflict(f"Messages cannot be sent to customers on the {address.channel} channel")
    return address


def register(app: Sanic) -> None:
    """Register the console's JSON API: what agents read, what they do, their presence."""
    _register_reading(app)
    _register_handoff_actions(app)
    _register_presence(app)


def _register_reading(app: Sanic) -> None:
    @app.get("/api/queue", name="api_queue")
    @require_role()
    async def queue(request: Request) -> HTTPResponse:
        """Waiting queue (oldest first, with positions), my claimed conversations, presence.

        200 ``{"now", "me": {"username", "display_name", "role", "available"},
        "queue": [entry], "mine": [entry], "agents_online": [username],
        "within_business_hours": bool, "estimated_wait_seconds": float}``.
        """
        me = signed_in(request).user
        at = now()
        waiting = await run_db(request, handoffs.waiting_queue, at)
        mine = await run_db(request, handoffs.agent_conversations, me.username, at)
        online = await run_db(request, handoffs.agents_online, at)
        estimate = await run_db(request, handoffs.estimated_wait_seconds)
        return _reply(
            request,
            {
                "now": at,
                "me": dataclasses.asdict(me),
                "queue": waiting,
                "mine": mine,
                "agents_online": online,
                "within_business_hours": handoffs.within_business_hours(
                    at, request.app.ctx.settings
                ),
                "estimated_wait_seconds": estimate,
            },
        )

    @app.get("/api/conversations/<conversation_id:int>", name="api_conversation")
    @require_role()
    async def conversation(request: Request, conversation_id: int) -> HTTPResponse:
        """Context of a conversation: language, channel, topics, order number,
        transcript (PII-masked), earlier conversations with outcome and CSAT, handoffs.

        200 context; 404 unknown conversation, or one an agent has no business with.
        """
        await _readable_conversation(request, conversation_id)
        try:
            context = await run_db(request, handoffs.conversation_context, conversation_id)
        except LookupError:
            raise NotFound(f"No conversation {conversation_id}") from None
        return _reply(request, context)

    @app.get("/api/conversations/<conversation_id:int>/messages", name="api_messages")
    @require_role()
    async def messages(request: Request, conversation_id: int) -> HTTPResponse:
        """Transcript lines with id greater than ``?after=`` (default 0): ``{"messages": [...]}``.

        404 as for the conversation itself.
        """
        try:
            after = int(request.args.get("after", "0"))
        except ValueError:
            raise InvalidInput("after must be a message id") from None
        await _readable_conversation(request, conversation_id)
        lines = await run_db(request, handoffs.messages_since, conversation_id, after)
        return _reply(request, {"messages": lines})

    @app.get("/api/tickets", name="api_tickets")
    @require_role("lead", "admin")
    async def tickets(request: Request) -> HTTPResponse:
        """Messages customers left when nobody could take them, newest first (leads, admins).

        200 ``{"tickets": [{"handoff_id", "conversation_id", "contact", "message", "created_at"}]}``.
        """
        return _reply(request, {"tickets": await run_db(request, handoffs.open_tickets)})

    @app.get("/api/users", name="api_users")
    @require_role("admin")
    async def users(request: Request) -> HTTPResponse:
        """Console accounts without their password hashes (admins only). 200 ``{"users": [...]}``."""
        return _reply(request, {"users": await run_db(request, auth.list_users)})



def _register_handoff_actions(app: Sanic) -> None:
    @app.post("/api/handoffs/<handoff_id:int>/claim", name="api_claim")
    @require_role()
    async def claim(request: Request, handoff_id: int) -> HTTPResponse:
        """Take a waiting conversation. Of agents claiming at once exactly one wins.

        200 ``{"claimed": true, "handoff": {...}}``; 409 ``{"error"}`` when
        someone else has it (or it is no longer waiting); 404 unknown handoff.
        The loser of a race must learn who won, so this route names the
        holder; it shows no conversation content.
        """
        me = signed_in(request).user.username
        try:
            won = await run_db(request, record, HandoffClaimed(handoff_id, me, now()))
            handoff = await run_db(request, handoffs.get_handoff, handoff_id)
        except LookupError:
            raise NotFound(f"No handoff {handoff_id}") from None
        if not won:
            if handoff["status"] == CLAIMED and handoff["agent"] != me:
                raise Conflict(f"Already claimed by {handoff['agent']}")
            if handoff["agent"] == me and handoff["status"] == CLAIMED:
                return _reply(request, {CLAIMED: True, "handoff": handoff})
            raise Conflict(f"This conversation is no longer waiting ({handoff['status']})")
        return _reply(request, {CLAIMED: True, "handoff": handoff})

    @app.post("/api/handoffs/<handoff_id:int>/reply", name="api_reply")
    @require_role()
    async def reply(request: Request, handoff_id: int) -> HTTPResponse:
        """Send ``{"text": "..."}`` to the customer of a conversation I claimed.

        Delivered through Rasa (a ``bot`` event with the agent in its metadata,
        pushed on the customer's channel); the transcript line is written by
        the capture path from that event, not here. The first reply sets
        ``first_agent_reply_at`` (only once delivered).

        200 ``{"delivered": true, "first_reply": bool}``; 400 empty or too long;
        409 not mine / resolved / channel cannot receive; 502 ``{"error":
        "Message not delivered, retry"}`` when Rasa fails (nothing recorded).
        """
        body = request.json if isinstance(request.json, dict) else {}
        text = body.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise InvalidInput("Type a message first")
        if len(text) > MAX_REPLY_CHARS:
            raise InvalidInput(f"Messages are limited to {MAX_REPLY_CHARS} characters")
        handoff = await _handoff(request, handoff_id)
        _must_be_mine(request, handoff)
        address = await _address(request, handoff)
        user = signed_in(request).user
        try:
            await request.app.ctx.rasa.send_agent_reply(
                address.sender_id, address.rasa_channel, text, user.username, user.display_name
            )
        except RasaError as error:
            raise ApiError(f"Message not delivered, retry ({error})", 502) from None
        first = await run_db(request, record, AgentFirstReply(handoff_id, now()))
        return _reply(request, {"delivered": True, "first_reply": first})

    @app.post("/api/handoffs/<handoff_id:int>/resolve", name="api_resolve")
    @require_role()
    async def resolve(request: Request, handoff_id: int) -> HTTPResponse:
        """Close a conversation I claimed and give it back to the bot.

        1. Rasa events ``slot handoff_agent=<me>``, ``resume``, ``action_listen``
           (the bot listens again).
           If Rasa fails: 502, and the handoff stays claimed by me, so I can retry.
        2. The handoff is marked resolved.
        3. Rasa runs ``action_offer_survey``; a failure there is logged and
           reported as ``survey_offered: false``, the resolution stands.

        The hand-back goes first so that a Rasa outage never leaves a resolved
        handoff whose customer is still talking to a paused bot.

        200 ``{"resolved": true, "survey_offered": bool}``; 409 not mine; 502 Rasa down.
        """
        handoff = await _handoff(request, handoff_id)
        _must_be_mine(request, handoff)
        address = await _address(request, handoff)
        me = signed_in(request).user.username
        rasa = request.app.ctx.rasa
        try:
            await rasa.hand_back(address.sender_id, address.rasa_channel, me)
        except RasaError as error:
            raise ApiError(
                f"Could not hand the conversation back to the bot, retry ({error})", 502
            ) from None
        done = await run_db(request, record, HandoffResolved(handoff_id, now(), agent=me))
        if not done:
            raise Conflict("This conversation was resolved already")
        survey_offered = True
        try:
            await rasa.execute_action(address.sender_id, address.rasa_channel, ACTION_OFFER_SURVEY)
        except RasaError as error:
            survey_offered = False
            logger.warning("survey not offered after handoff %s: %s", handoff_id, error)
        return _reply(request, {"resolved": True, "survey_offered": survey_offered})


def _register_presence(app: Sanic) -> None:
    @app.post("/api/me/availability", name="api_availability")
    @require_role()
    async def availability(request: Request) -> HTTPResponse:
        """``{"available": bool}``: take conversations now, or be away. 200 ``{"available"}``."""
        body = request.json if isinstance(request.json, dict) else {}
        if not isinstance(body.get("available"), bool):
            raise InvalidInput("available must be true or false")
        user = signed_in(request).user
        await run_db(request, auth.set_available, user.id, body["available"], now())
        return _reply(request, {"available": body["available"]})

    @app.post("/api/me/heartbeat", name="api_heartbeat")
    @require_role()
    async def heartbeat(request: Request) -> HTTPResponse:
        """The console is open: updates ``last_seen_at``. 200 ``{"ok": true}``."""
        await run_db(request, auth.heartbeat, signed_in(request).user.id, now())
        return _reply(request, {"ok": True})

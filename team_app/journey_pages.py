"""Follow-ups, customer journeys, the funnel and the per-conversation export.

Routes:
    GET  /follow-ups                    open follow-ups (agents: theirs and unowned; leads: all),
                                        the most overdue first; ``?all=1`` closed ones too
    GET  /follow-ups/<id>               one follow-up: notes, its conversation, the customer's journey
    POST /follow-ups/<id>/take          the signed-in user owns it
    POST /follow-ups/<id>/assign        a lead gives it to ``owner``
    POST /follow-ups/<id>/note          add ``text``
    POST /follow-ups/<id>/close         close with ``outcome`` (reached, resolved, unreachable)
    GET  /journey/<customer_id>         a customer's timeline (lead, admin)
    GET  /loop                          closed-loop dashboard: follow-up figures, service-level
                                        breaches, the funnel; the dashboard's filters (lead, admin)
    GET  /api/journey?conversation_id=  the timeline of a conversation's customer, for the
                                        console's context panel (whoever may read the conversation)
    GET  /api/loop                      the /loop figures as JSON
    GET  /export/conversations.csv|json one row per conversation of the filters (lead, admin)
"""
import csv
import io
import json
from datetime import datetime, timezone
from typing import Any, Dict, Optional
from zoneinfo import ZoneInfo

from sanic import Sanic, response
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from cx_reports import journey
from cx_reports.follow_up_figures import follow_up_figures
from cx_reports.service_level_figures import service_level_breaches
from cxm_store import follow_ups, handoffs
from cxm_store.csv_cells import text_cell
from cxm_store.journey_models import FOLLOW_UP_OUTCOMES
from team_app.api import ApiError, _readable_conversation
from team_app.audit_trail import mark_transcript_read
from team_app.dashboard import parse_filters
from team_app.security import now, require_role, run_db, signed_in

LEADS = ("lead", "admin")


def _me(request: Request):
    return signed_in(request).user


def _filters(request: Request):
    # A bad filter answers 400 (BadFilter) like the dashboard's own routes.
    return parse_filters(request.args, request.app.ctx.settings.timezone)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return text_cell(value) if isinstance(value, str) else value


def _loop_figures(flt, moment: datetime, engine) -> Dict[str, Any]:
    return {
        "follow_ups": follow_up_figures(flt, moment, engine=engine),
        "service_levels": service_level_breaches(flt, moment, engine=engine),
        "funnel": journey.funnel(flt, engine=engine),
    }


def _export_rows(flt, engine) -> list:
    return list(journey.conversation_rows(flt, engine=engine))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


async def _follow_up_or_404(request: Request, follow_up_id: int):
    found = await run_db(request, follow_ups.follow_up, follow_up_id, now())
    user = _me(request)
    if found is None or (user.role not in LEADS and found.owner not in (None, user.username)):
        raise NotFound(f"No follow-up {follow_up_id}")
    return found


def register(app: Sanic) -> None:
    from team_app import render

    @app.get("/follow-ups", name="follow_ups_page")
    @require_role()
    async def follow_ups_page(request: Request) -> HTTPResponse:
        user = _me(request)
        show_all = request.args.get("all") == "1"
        rows = await run_db(request, follow_ups.list_follow_ups, now(), not show_all)
        if user.role not in LEADS:
            rows = [f for f in rows if f.owner in (None, user.username)]
        return render(request, "follow_ups.html", title="Follow-ups", follow_ups=rows,
                      show_all=show_all, local=_local(request))

    @app.get("/follow-ups/<follow_up_id:int>", name="follow_up_page")
    @require_role()
    async def follow_up_page(request: Request, follow_up_id: int) -> HTTPResponse:
        found = await _follow_up_or_404(request, follow_up_id)
        user = _me(request)
        # An agent reads the conversation once the follow-up is theirs (agents
        # otherwise read only the conversations they serve; cxm_store.access).
        readable = user.role in LEADS or found.owner == user.username
        transcript = None
        if readable:
            transcript = await run_db(request, handoffs.messages_since, found.conversation_id)
            mark_transcript_read(request, found.conversation_id)
        timeline = await run_db(request, journey.customer_journey, found.customer_id, now())
        return render(request, "follow_up.html", title=f"Follow-up #{follow_up_id}",
                      follow_up=found, transcript=transcript, journey=timeline,
                      outcomes=FOLLOW_UP_OUTCOMES, local=_local(request),
                      is_lead=user.role in LEADS)

    @app.post("/follow-ups/<follow_up_id:int>/<step:take|assign|note|close>",
              name="follow_up_step")
    @require_role()
    async def follow_up_step(request: Request, follow_up_id: int, step: str) -> HTTPResponse:
        await _follow_up_or_404(request, follow_up_id)
        user = _me(request)
        form = {key: (request.form.get(key) or "").strip() for key in ("owner", "text", "outcome")}
        if step == "take":
            await run_db(request, follow_ups.assign, follow_up_id, user.username)
        elif step == "assign":
            if user.role not in LEADS or not form["owner"]:
                raise ApiError("Only a lead assigns follow-ups, to a named owner", 403)
            await run_db(request, follow_ups.assign, follow_up_id, form["owner"][:80])
        elif step == "note":
            if not form["text"]:
                raise ApiError("A note needs text", 400)
            await run_db(request, follow_ups.add_note, follow_up_id, user.username,
                         form["text"][:2000], now())
        else:
            if form["outcome"] not in FOLLOW_UP_OUTCOMES:
                raise ApiError(f"outcome must be one of {', '.join(FOLLOW_UP_OUTCOMES)}", 400)
            await run_db(request, follow_ups.close, follow_up_id, form["outcome"],
                         user.username, now())
        return response.redirect(f"/follow-ups/{follow_up_id}", status=303)

    @app.get("/journey/<customer_id:int>", name="journey_page")
    @require_role(*LEADS)
    async def journey_page(request: Request, customer_id: int) -> HTTPResponse:
        timeline = await run_db(request, journey.customer_journey, customer_id, now())
        if not timeline["conversations"]:
            raise NotFound(f"No customer {customer_id}")
        return render(request, "journey.html", title=f"Customer #{customer_id}",
                      journey=timeline, local=_local(request))

    @app.get("/api/journey", name="api_journey")
    @require_role()
    async def api_journey(request: Request) -> HTTPResponse:
        raw = request.args.get("conversation_id", "")
        if not raw.isdigit():
            raise ApiError("conversation_id must be a conversation id", 400)
        await _readable_conversation(request, int(raw))
        customer_id = await run_db(request, journey.customer_of, int(raw))
        timeline = await run_db(request, journey.customer_journey, customer_id, now())
        return response.json(json.loads(json.dumps(timeline, default=_jsonable)))

    @app.get("/loop", name="loop_page")
    @require_role(*LEADS)
    async def loop_page(request: Request) -> HTTPResponse:
        f = _filters(request)
        figures = await run_db(request, _loop_figures, f.metric_filter, now())
        return render(request, "loop.html", title="Closed loop", f=f, figures=figures)

    @app.get("/api/loop", name="api_loop")
    @require_role(*LEADS)
    async def api_loop(request: Request) -> HTTPResponse:
        f = _filters(request)
        figures = await run_db(request, _loop_figures, f.metric_filter, now())
        return response.json(figures)

    @app.get(r"/export/<filename:conversations\.(?:csv|json)>", name="export_conversations")
    @require_role(*LEADS)
    async def export_conversations(request: Request, filename: str) -> HTTPResponse:
        fmt = filename.rsplit(".", 1)[1]
        f = _filters(request)
        rows = await run_db(request, _export_rows, f.metric_filter)
        name = f"conversations-{f.first_day}-{f.last_day}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "json":
            return response.json(rows, headers=headers)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(journey.EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([_cell(row[column]) for column in journey.EXPORT_COLUMNS])
        return response.text(out.getvalue(), content_type="text/csv; charset=utf-8",
                             headers=headers)


def _local(request: Request):
    """For templates: a stored (naive UTC) time as the shop's local ``YYYY-MM-DD HH:MM``."""
    zone = ZoneInfo(request.app.ctx.settings.timezone)

    def show(moment: Optional[datetime]) -> str:
        if moment is None:
            return ""
        return moment.replace(tzinfo=timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return show

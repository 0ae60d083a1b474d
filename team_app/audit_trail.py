"""The console's audit trail: transcript reads and exports logged, the log shown to admins,
and the retention purge run on a schedule.

What is logged (``cxm_store.audit``), by a response middleware so that no
handler can forget it, for every successful answer:

* ``read_transcript``: the console's conversation context, its whole
  transcript (``/api/conversations/<id>/messages`` without ``after``; the
  console's polling for new lines of a conversation already open is not a
  new read), the dashboard's transcript page, and a follow-up's page when it
  shows its conversation (the handler marks it: :func:`mark_transcript_read`);
* ``export``: every CSV download, with its filters.

Admins read the log at ``/console/audit`` (HTML) and ``/api/audit`` (JSON).

The purge (``cxm_store.retention``) runs in each console process at start
and every ``CXM_PURGE_INTERVAL_HOURS`` (24): `make run` and the scaled
topology both run the console, so retention needs no cron; two consoles
purging at once only find less to delete.
"""
import asyncio
from typing import Any, Optional, Tuple

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from cxm_store import audit, retention
from cxm_store.privacy_settings import PrivacySettings
from team_app.security import current_session, require_role, run_db

# Route name (without the app's prefix) -> (action, subject template).
AUDITED_ROUTES = {
    "api_conversation": ("read_transcript", "conversation {conversation_id}"),
    "api_messages": ("read_transcript", "conversation {conversation_id}"),
    "dashboard_transcript": ("read_transcript", "conversation {conversation_id}"),
    "api_dashboard_csv": ("export", "{table}"),
}


def mark_transcript_read(request: Request, conversation_id: int) -> None:
    """Log this request as a read of the conversation's transcript (for pages whose URL
    names something else, such as a follow-up, and show the transcript only sometimes).
    """
    request.ctx.transcript_read = conversation_id


def audited_action(request: Request) -> Optional[Tuple[str, str]]:
    """(action, subject) of a request the audit log must record, or None."""
    marked = getattr(request.ctx, "transcript_read", None)
    if marked is not None:
        return "read_transcript", f"conversation {marked}"
    route = getattr(request, "route", None)
    name = (route.name or "").rsplit(".", 1)[-1] if route else ""
    if name not in AUDITED_ROUTES:
        return None
    if name == "api_messages" and request.args.get("after", "0") not in ("", "0"):
        return None  # polling for new lines of a transcript already read
    action, subject = AUDITED_ROUTES[name]
    return action, subject.format(**request.match_info)


def register(app: Sanic, privacy: Optional[PrivacySettings] = None) -> None:
    """Add the audit middleware, the admins' audit pages and the purge schedule to ``app``."""
    privacy = privacy or PrivacySettings()

    @app.middleware("response")
    async def audit_reads(request: Request, reply: HTTPResponse) -> None:
        if not 200 <= reply.status < 300:
            return
        found = audited_action(request)
        session = current_session(request)
        if found is None or session is None:
            return
        action, subject = found
        detail = dict(request.args) or None
        await run_db(request, audit.record, session.user.username, action, subject, detail)

    @app.get("/api/audit", name="api_audit")
    @require_role("admin")
    async def api_audit(request: Request) -> HTTPResponse:
        """Newest audit entries first (``?action=`` filters, ``?limit=`` up to 1000); admins only."""
        limit = min(max(int(request.args.get("limit", "200") or 200), 1), 1000)
        entries = await run_db(request, audit.recent, limit, request.args.get("action") or None)
        return response.json({"entries": entries})

    @app.get("/console/audit", name="console_audit")
    @require_role("admin")
    async def audit_page(request: Request) -> HTTPResponse:
        from team_app import render  # the app's renderer (layout, nav, CSRF)

        entries = await run_db(request, audit.recent, 500, request.args.get("action") or None)
        return render(request, "audit.html", title="Audit log", entries=entries)

    if privacy.purge_interval_hours > 0:
        @app.listener("after_server_start")
        async def start_purges(app: Sanic, _loop: Any) -> None:
            app.ctx.purge_task = asyncio.get_running_loop().create_task(
                retention.run_schedule(app.ctx.engine, privacy))

        @app.listener("before_server_stop")
        async def stop_purges(app: Sanic, _loop: Any) -> None:
            app.ctx.purge_task.cancel()

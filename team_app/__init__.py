"""The agent console: a Sanic web app over the store and Rasa's HTTP API.

``create_app(settings)`` builds the app; ``python -m team_app`` runs it.
State lives on ``app.ctx``: ``settings``, ``engine`` (the store), ``rasa``
(:class:`~bot.rasa_client.RasaClient`), ``templates`` (Jinja2),
``login_throttle`` (:class:`~cxm_store.login_throttle.LoginThrottle`).

Pages (HTML): ``GET /login``, ``POST /login``, ``POST /logout``, ``GET /console``.
JSON API under ``/api/`` (see :mod:`team_app.api`). Access rules are in
:mod:`team_app.security`. One error handler answers every error: JSON
``{"error": ...}`` under ``/api/``, a short page elsewhere (and a redirect to
the login page when the session is missing).

Navigation (``NAV``) lists the sections of the app with the roles that see
them; the CX leads' dashboard is meant to be added there as one more entry.
"""
import logging
from itertools import count
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa_client import RasaClient
from cxm_store.db import engine_for
from cxm_store.errors import DomainError
from cxm_store.login_throttle import LoginThrottle
from team_app import (
    api,
    audit_trail,
    canned_pages,
    dashboard,
    images_api,
    journey_pages,
    live,
    notes_api,
    openapi,
    pages,
    survey_pages,
)
from team_app import settings as team_app_settings
from team_app.security import LoginRequired, current_session, load_session
from team_app.settings import TeamAppSettings

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

# (label, path, roles that see it): the layout's top navigation.
NAV = (
    ("Conversations", "/console", ("agent", "lead", "admin")),
    ("Dashboard", "/dashboard", ("lead", "admin")),
    ("Follow-ups", "/follow-ups", ("agent", "lead", "admin")),
    ("Closed loop", "/loop", ("lead", "admin")),
    ("Canned", "/canned", ("lead", "admin")),
    ("Survey", "/survey-texts", ("lead", "admin")),
    ("Audit log", "/console/audit", ("admin",)),
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

_names = count()


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """Render a Jinja2 template (autoescaped) with the signed-in user and the nav."""
    session = current_session(request)
    user = session.user if session else None
    page = request.app.ctx.templates.get_template(template).render(
        user=user,
        csrf_token=session.csrf_token if session else "",
        nav=[(label, path) for label, path, roles in NAV if user and user.role in roles],
        path=request.path,
        timezone=request.app.ctx.settings.timezone,
        **context,
    )
    return response.html(page, status=status)


def create_app(settings: Optional[TeamAppSettings] = None) -> Sanic:
    """Build the console app for ``settings`` (default: from the environment)."""
    settings = settings or team_app_settings.load()
    number = next(_names)
    app = Sanic("cxm_console" if number == 0 else f"cxm_console_{number}")
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    app.ctx.engine = engine_for(settings.database_url)
    app.ctx.rasa = RasaClient(settings.rasa_url, settings.rasa_auth_token)
    app.ctx.login_throttle = LoginThrottle()
    app.ctx.templates = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"])
    )

    @app.listener("before_server_start")
    async def open_rasa(app: Sanic, _loop: Any) -> None:
        await app.ctx.rasa.start()

    @app.listener("after_server_stop")
    async def close_rasa(app: Sanic, _loop: Any) -> None:
        await app.ctx.rasa.close()

    app.register_middleware(load_session, "request")

    @app.middleware("response")
    async def security_headers(request: Request, reply: HTTPResponse) -> None:
        reply.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        reply.headers.setdefault("X-Content-Type-Options", "nosniff")
        reply.headers.setdefault("Referrer-Policy", "same-origin")
        reply.headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/static/"):
            reply.headers.setdefault("Cache-Control", "no-store")

    @app.exception(Exception)
    async def on_error(request: Request, error: Exception) -> HTTPResponse:
        is_api = request.path.startswith("/api/")
        # Sanic's own errors and the store's typed refusals (cxm_store.errors) carry their status.
        status = error.status_code if isinstance(error, (SanicException, DomainError)) else 500
        if status == 500:
            logger.exception("error on %s %s", request.method, request.path, exc_info=error)
            message = "Something went wrong on our side; try again"
        else:
            message = str(error) or getattr(error, "message", "") or "Request failed"
        if isinstance(error, LoginRequired) and not is_api:
            # Keep the query string: a shared dashboard link survives the login.
            target = request.path + (f"?{request.query_string}" if request.query_string else "")
            return response.redirect(f"/login?next={quote(target)}", status=303)
        if is_api:
            return response.json({"error": message}, status=status)
        return render(request, "error.html", status=status, status_code=status, message=message)

    app.static("/static", str(STATIC), name="static")
    pages.register(app)
    api.register(app)
    live.register(app, settings.live_redis_url)
    canned_pages.register(app)
    notes_api.register(app)
    images_api.register(app)
    survey_pages.register(app)
    dashboard.register(app)
    audit_trail.register(app)
    openapi.register(app)
    journey_pages.register(app)
    return app

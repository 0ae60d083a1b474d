"""Who is signed in, what they may do, and the CSRF check on every state change.

Every console and API route is wrapped in :func:`require_role`; the few public
routes (login page, static files, health) are listed in :data:`PUBLIC_ROUTES`
and a test checks that nothing else is left open.

* No (or an expired) session: the browser is sent to ``/login``; ``/api/``
  gets 401 JSON.
* Wrong role: 403.
* Any method but GET/HEAD/OPTIONS must carry the session's CSRF token in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field (the cookie is also
  ``SameSite=Strict``, so a cross-site form never carries it anyway).
"""
import asyncio
import hmac
from datetime import datetime
from functools import partial, wraps
from typing import Any, Callable, Optional

from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.client_address import request_client_address, trusted_networks
from cxm_store import auth
from cxm_store.models import USER_ROLES

SESSION_COOKIE = "cxm_session"
LOGIN_CSRF_COOKIE = "cxm_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Routes anyone may open (by Sanic route name suffix): see tests/console/test_auth.py.
PUBLIC_ROUTES = ("login_page", "login_submit", "health", "static")
CONSOLE_ROLES = USER_ROLES  # agent, lead, admin all work conversations


class LoginRequired(SanicException):
    """No valid session: 401 for the API, a redirect to /login for pages."""

    status_code = 401
    message = "Please log in"


class Forbidden(SanicException):
    status_code = 403
    message = "You are not allowed to do this"


async def run_db(request: Request, function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking store call in a worker thread with the app's engine."""
    call = partial(function, *args, engine=request.app.ctx.engine, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(None, call)


def now() -> datetime:
    """The current time, naive UTC like every stored time."""
    return datetime.utcnow()


async def load_session(request: Request) -> None:
    """Request middleware: put the live session (or None) on ``request.ctx.session``."""
    request.ctx.session = None
    if request.path.startswith("/static/") or request.path == "/health":
        return
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        settings = request.app.ctx.settings
        request.ctx.session = await run_db(
            request,
            auth.resume_session,
            token,
            now(),
            settings.session_hours,
            settings.session_max_hours,
        )


def client_address(request: Request) -> str:
    """The client's IP: the peer's, or what a proxy named in ``TRUSTED_PROXIES`` says it saw
    (the rule the assistant's channels follow: ``bot/channels/client_address.py``).
    """
    return request_client_address(request, trusted_networks(request.app.ctx.settings.trusted_proxies))


def current_session(request: Request) -> Optional[auth.SessionView]:
    return getattr(request.ctx, "session", None)


def signed_in(request: Request) -> auth.SessionView:
    """The session of a request that ``require_role`` let through (LoginRequired without one)."""
    session = current_session(request)
    if session is None:
        raise LoginRequired()
    return session


def check_csrf(request: Request, expected: str) -> None:
    """Raise 403 unless the request carries ``expected`` as its CSRF token."""
    given = request.headers.get(CSRF_HEADER)
    if not given and request.content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = request.form.get(CSRF_FIELD)
    if not given or not hmac.compare_digest(given, expected):
        raise Forbidden("CSRF token missing or wrong: reload the page")


def require_role(*roles: str) -> Callable:
    """Decorate a handler so only signed-in users with one of ``roles`` reach it.

    With no roles, any signed-in console user is let in. Non-GET requests must
    also carry the session's CSRF token.
    """
    allowed = roles or CONSOLE_ROLES
    unknown = set(allowed) - set(USER_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorator(handler: Callable) -> Callable:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            session = current_session(request)
            if session is None:
                raise LoginRequired()
            if session.user.role not in allowed:
                raise Forbidden(f"This needs the role {' or '.join(allowed)}")
            if request.method not in SAFE_METHODS:
                check_csrf(request, session.csrf_token)
            return await handler(request, *args, **kwargs)

        guarded.required_roles = tuple(allowed)  # type: ignore[attr-defined]  # read by the route audit
        return guarded

    return decorator


def set_cookie(response: HTTPResponse, name: str, value: str, secure: bool, path: str = "/") -> None:
    """An HttpOnly, SameSite=Strict cookie (Secure unless configured off), gone when the browser closes."""
    response.cookies[name] = value
    response.cookies[name]["httponly"] = True
    response.cookies[name]["samesite"] = "Strict"
    response.cookies[name]["path"] = path
    if secure:
        response.cookies[name]["secure"] = True


def clear_cookie(response: HTTPResponse, name: str, secure: bool) -> None:
    set_cookie(response, name, "", secure)
    response.cookies[name]["max-age"] = 0

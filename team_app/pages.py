"""HTML pages: login, logout and the console shell (its data comes from the JSON API).

Routes:
    GET  /            -> redirect to /console
    GET  /health      {"status": "ok"} (public, for probes)
    GET  /login       the login form (public)
    POST /login       username, password, csrf_token (public; repeated failures from an
                      address are slowed down: 429 with Retry-After, see login_throttle)
    POST /logout      ends the session (CSRF protected)
    GET  /console     the agent console (agent, lead, admin)
"""
import secrets
from typing import Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from cxm_store import auth
from team_app.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    client_address,
    current_session,
    now,
    require_role,
    run_db,
    set_cookie,
)


def _safe_next(target: Optional[str]) -> str:
    # Only paths on this site: "//evil.example" or "http://..." would leave it.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def _login_form(request: Request, status: int = 200, error: str = "", username: str = "") -> HTTPResponse:
    from team_app import render

    token = secrets.token_urlsafe(24)
    page = render(
        request,
        "login.html",
        status=status,
        error=error,
        username=username,
        login_csrf=token,
        next=_safe_next(
            request.form.get("next") if request.method == "POST" else request.args.get("next")
        ),
    )
    set_cookie(page, LOGIN_CSRF_COOKIE, token, request.app.ctx.settings.secure_cookies, path="/login")
    return page


def register(app: Sanic) -> None:
    from team_app import render

    @app.get("/", name="root")
    @require_role()
    async def root(request: Request) -> HTTPResponse:
        return response.redirect("/console", status=303)

    @app.get("/health", name="health")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/login", name="login_page")
    async def login_page(request: Request) -> HTTPResponse:
        if current_session(request) is not None:
            return response.redirect(_safe_next(request.args.get("next")), status=303)
        return _login_form(request)

    @app.post("/login", name="login_submit")
    async def login_submit(request: Request) -> HTTPResponse:
        form = request.form
        username = (form.get("username") or "").strip()
        password = form.get("password") or ""
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
        given = form.get("csrf_token") or ""
        if not expected or not secrets.compare_digest(expected, given):
            return _login_form(request, 403, "Your login form expired; please try again.", username)
        throttle, address = request.app.ctx.login_throttle, client_address(request)
        wait = throttle.retry_after(address, username)
        if wait:
            page = _login_form(
                request, 429, f"Too many failed attempts. Try again in {wait} s.", username
            )
            page.headers["Retry-After"] = str(wait)
            return page
        result = await run_db(request, auth.authenticate, username, password)
        if not result.ok:
            throttle.failed(address, username)
            return _login_form(request, 401, "Wrong username or password.", username)
        throttle.succeeded(address, username)
        settings = request.app.ctx.settings
        token = await run_db(request, auth.start_session, result.user.id, now(), settings.session_hours)
        reply = response.redirect(_safe_next(form.get("next")), status=303)
        set_cookie(reply, SESSION_COOKIE, token, settings.secure_cookies)
        clear_cookie(reply, LOGIN_CSRF_COOKIE, settings.secure_cookies)
        reply.cookies[LOGIN_CSRF_COOKIE]["path"] = "/login"
        return reply

    @app.post("/logout", name="logout")
    @require_role()
    async def logout(request: Request) -> HTTPResponse:
        await run_db(request, auth.end_session, request.cookies.get(SESSION_COOKIE))
        reply = response.redirect("/login", status=303)
        clear_cookie(reply, SESSION_COOKIE, request.app.ctx.settings.secure_cookies)
        return reply

    @app.get("/console", name="console")
    @require_role("agent", "lead", "admin")
    async def console(request: Request) -> HTTPResponse:
        return render(request, "console.html", title="Conversations")

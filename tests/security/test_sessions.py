"""Issue 12, console sessions: Secure cookies by default, and an absolute lifetime.

Against real console processes: the suite's own (``CXM_SECURE_COOKIES=0``,
plain http on loopback) and one started with the defaults.
"""
import os
import re
from datetime import datetime, timedelta
from typing import Iterator

import pytest
import requests
from sqlalchemy import text

from bot.settings import BotSettings
from bot.stack import Stack
from cxm_store import auth
from tests.console.conftest import PASSWORD, Console, FakeRasa, running_console


@pytest.fixture(scope="module")
def default_console(tmp_path_factory: pytest.TempPathFactory, security_rasa: FakeRasa) -> Iterator[Console]:
    """A console with no cookie setting at all, as a deployment gets it."""
    with running_console(
        tmp_path_factory.mktemp("default-console"), security_rasa.url,
        int(os.environ.get("TEST_SECURITY_DEFAULT_CONSOLE_PORT", "8107")),
        name="default-console", CXM_SECURE_COOKIES="",
    ) as running:
        yield running


def test_cookies_are_secure_http_only_and_same_site_by_default(default_console: Console) -> None:
    username = default_console.user("agent")
    form = requests.get(f"{default_console.url}/login", timeout=15)
    login_cookie = form.headers["Set-Cookie"]
    assert "Secure" in login_cookie and "HttpOnly" in login_cookie and "SameSite=Strict" in login_cookie
    # A browser would send the Secure cookie back over https only; sent by hand here.
    csrf = re.search(r"cxm_login_csrf=([^;]+)", login_cookie).group(1)
    reply = requests.post(
        f"{default_console.url}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf},
        headers={"Cookie": f"cxm_login_csrf={csrf}"}, allow_redirects=False, timeout=15,
    )
    assert reply.status_code == 303
    session_cookie = next(c for c in reply.raw.headers.getlist("Set-Cookie") if c.startswith("cxm_session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in session_cookie


@pytest.mark.parametrize("host, configured, expected", [
    ("127.0.0.1", None, {"CXM_SECURE_COOKIES": "0"}),  # make run: plain http on this machine
    ("localhost", None, {"CXM_SECURE_COOKIES": "0"}),
    ("0.0.0.0", None, {}),  # reachable from elsewhere: Secure stays on
    ("192.168.1.20", None, {}),
    ("127.0.0.1", "1", {}),  # an explicit setting wins
])
def test_the_launcher_turns_secure_cookies_off_only_on_loopback(
    monkeypatch: pytest.MonkeyPatch, host: str, configured: str, expected: dict
) -> None:
    if configured is None:
        monkeypatch.delenv("CXM_SECURE_COOKIES", raising=False)
    else:
        monkeypatch.setenv("CXM_SECURE_COOKIES", configured)
    assert Stack(BotSettings(host=host)).console_environment() == expected


def test_a_busy_session_still_ends_after_its_absolute_lifetime(console: Console) -> None:
    username = console.user("agent")
    client = console.client(username)
    assert client.get("/api/queue").status_code == 200
    with console.engine.begin() as connection:
        # Logged in 12 hours ago and polled every few seconds since: still idle-fresh.
        connection.execute(
            text("UPDATE web_sessions SET created_at = :start, expires_at = :fresh"
                 " WHERE user_id = (SELECT id FROM users WHERE username = :username)"),
            {"start": datetime.utcnow() - timedelta(hours=12, seconds=1),
             "fresh": datetime.utcnow() + timedelta(hours=7), "username": username},
        )
    assert client.get("/api/queue").status_code == 401
    assert client.get("/console").status_code == 303


def test_polling_cannot_keep_a_session_alive_past_its_lifetime(store_engine) -> None:
    start = datetime(2024, 6, 3, 1, 0)
    user_id = auth.create_user("rina", "Rina", "right-password", "agent", engine=store_engine)
    token = auth.start_session(user_id, start, hours=8, engine=store_engine)
    alive_until = start
    moment = start
    while moment < start + timedelta(hours=14):
        moment += timedelta(minutes=10)
        if auth.resume_session(token, moment, 8, 12, engine=store_engine) is None:
            break
        alive_until = moment
    assert alive_until == start + timedelta(hours=11, minutes=50)
    assert auth.resume_session(token, moment, 8, 12, engine=store_engine) is None  # and gone for good

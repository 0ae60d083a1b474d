"""Issue 12, secrets and exposure of the running stack: the Rasa token, binding, CORS.

Against the stack the suite starts once (``tests/conftest.py``), started by
:class:`bot.stack.Stack` exactly as ``make run`` starts it.
"""
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

from bot import stack as stack_module
from bot.settings import BotSettings
from bot.stack import Stack, StackError

pytestmark = pytest.mark.stack


def command_lines() -> Dict[int, bytes]:
    """Every process's command line, as ``ps`` shows it."""
    lines = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines[int(entry.name)] = (entry / "cmdline").read_bytes()
            except OSError:  # the process ended meanwhile
                continue
    return lines


def get(url: str, headers: Optional[Dict[str, str]] = None) -> urllib.request.addinfourl:
    """GET ``url``; an HTTP error status is returned like a success, not raised."""
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30)
    except urllib.error.HTTPError as error:
        return error


def listening_addresses(port: int) -> Set[str]:
    """Local IPv4/IPv6 addresses with a socket listening on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def test_the_rasa_token_is_on_no_command_line(stack: Stack) -> None:
    token = stack.settings.rasa_auth_token.encode()
    lines = command_lines()
    rasa = [line for line in lines.values() if b"bot.rasa_server" in line
            and str(stack.settings.rasa_port).encode() in line]
    assert rasa, "the stack's Rasa process was not found"
    assert b"--auth-token" not in rasa[0]
    assert [pid for pid, line in lines.items() if token in line] == []


def test_the_rasa_api_takes_the_token_only_in_a_header(stack: Stack) -> None:
    status = f"{stack.settings.rasa_url}/status"
    token = stack.settings.rasa_auth_token
    assert get(status, {"Authorization": f"Bearer {token}"}).status == 200
    assert get(f"{status}?token={token}").status == 401  # a URL ends up in logs and proxies
    assert get(status).status == 401
    assert get(status, {"Authorization": "Bearer wrong"}).status == 401


def test_a_failed_start_does_not_print_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = BotSettings(rasa_auth_token="start-up-secret-123", rasa_port=9)
    monkeypatch.setattr(stack_module, "START_TIMEOUT_SECONDS", 1)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(StackError) as failed:
            Stack(settings)._wait_until_up(
                "Rasa server", idle, f"{settings.rasa_url}/status", token=settings.rasa_auth_token
            )
    finally:
        idle.kill()
        idle.wait()
    assert "did not answer" in str(failed.value) and "start-up-secret-123" not in str(failed.value)


def test_the_action_server_listens_on_loopback_only(stack: Stack) -> None:
    addresses = listening_addresses(stack.settings.action_port)
    assert addresses == {"0100007F"}  # 127.0.0.1; 0.0.0.0 would be 00000000


def test_the_action_server_stays_on_loopback_when_rasa_is_exposed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIND_HOST", "0.0.0.0")
    monkeypatch.delenv("ACTION_BIND_HOST", raising=False)
    exposed = BotSettings()
    assert exposed.host == "0.0.0.0" and exposed.action_host == "127.0.0.1"
    assert exposed.action_endpoint_url.startswith("http://127.0.0.1:")
    spawned: List[Dict[str, str]] = []

    class Recording(Stack):
        def _spawn(self, name, args, module="rasa", env=None):  # noqa: ANN001
            spawned.append({"name": name, **(env or {})})
            raise StackError("recorded, not started")

    monkeypatch.setattr(stack_module, "prepare_store", lambda url: None)
    with pytest.raises(StackError):
        Recording(exposed)._start_processes()
    assert spawned == [{"name": "actions", "SANIC_HOST": "127.0.0.1"}]
    monkeypatch.setenv("ACTION_BIND_HOST", "10.0.0.5")
    assert BotSettings().action_endpoint_url == "http://10.0.0.5:5055/webhook"


@pytest.mark.parametrize("origin, allowed", [("own", True), ("http://evil.example", False)])
def test_cors_allows_only_the_web_chat_origin(stack: Stack, origin: str, allowed: bool) -> None:
    origin = stack.settings.rasa_url if origin == "own" else origin
    reply = get(f"{stack.settings.rasa_url}/webhooks/rest/", {"Origin": origin})
    assert reply.status == 200
    assert (reply.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    assert reply.headers.get("Access-Control-Allow-Origin") != "*"

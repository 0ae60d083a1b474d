"""Fixtures of the Telegram channel tests: a fake Bot API server and a stack that uses it.

Nothing here, nor in the stack these tests start, may reach the real Telegram:
the channel's ``base_url`` is the fake server's, this process refuses any
connection off the loopback interface, and the Rasa process gets proxy
variables that send any stray HTTP(S) call to a closed local port.
"""
import ipaddress
import os
import socket
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from bot.settings import BotSettings
from bot.stack import Stack
from tests.conftest import ARTIFACTS, MODEL, ROOT
from tests.telegram.fake_api import FakeTelegram, Updates

TOKEN = "123456:TEST-telegram-token"
SECRET = "test-webhook-secret_42"
CREDENTIALS_BLOCK = """
# Telegram (bot/channels/telegram.py): inactive while TELEGRAM_BOT_TOKEN is empty.
bot.channels.telegram.TelegramInput:
  token: ${TELEGRAM_BOT_TOKEN}
  webhook_secret: ${TELEGRAM_WEBHOOK_SECRET}
  base_url: ${TELEGRAM_API_BASE_URL}
  mode: ${TELEGRAM_MODE}
"""
# Any HTTP(S) client that honours proxy variables ends up here: nothing listens.
DEAD_PROXY = "http://127.0.0.1:9"


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: would need DNS, refused


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection from this process that is not to 127.0.0.1 / ::1."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise ConnectionRefusedError(f"test guard: no connection to {address!r}")
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise ConnectionRefusedError(f"test guard: no connection to {address!r}")
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_leftover_failures(fake_telegram: FakeTelegram) -> Iterator[None]:
    """Errors a test asked the fake server for do not spill into the next test."""
    yield
    fake_telegram.clear_failures()


@pytest.fixture
def updates() -> Updates:
    return Updates()


class TelegramStack(Stack):
    """The stack, with credentials that include the Telegram channel."""

    def __init__(self, config: BotSettings, log_dir: Path, credentials: Path) -> None:
        super().__init__(config, log_dir=log_dir)
        self.credentials = credentials

    def _spawn(self, name: str, args: List[str], **kwargs: Any) -> Any:
        args = [str(self.credentials) if arg == "credentials.yml" else arg for arg in args]
        return super()._spawn(name, args, **kwargs)


def credentials_with_telegram(path: Path) -> Path:
    """credentials.yml, plus the Telegram block if it is not there yet."""
    text = (ROOT / "credentials.yml").read_text()
    if "bot.channels.telegram.TelegramInput" not in text:
        text += CREDENTIALS_BLOCK
    path.write_text(text)
    return path


def start_telegram_stack(
    tmp: Path, fake: FakeTelegram, mode: str, rasa_port: int, action_port: int,
    extra_env: Optional[Dict[str, str]] = None, name: Optional[str] = None,
) -> TelegramStack:
    """A stack with the Telegram channel; ``extra_env`` adds (or overrides) variables
    of its processes, ``name`` its log directory (default ``telegram-<mode>``)."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make test` (it trains first)")
    config = BotSettings(
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=rasa_port + 3000,
        model_path=str(MODEL),
        tracker_store_url=f"sqlite:///{tmp / 'tracker.db'}",
        cxm_database_url=f"sqlite:///{tmp / 'cxm.db'}",
        rasa_auth_token="test-token",
        extra_env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_MODE": mode,
            "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY, "ALL_PROXY": DEAD_PROXY,
            "http_proxy": DEAD_PROXY, "https_proxy": DEAD_PROXY, "all_proxy": DEAD_PROXY,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            **(extra_env or {}),
        },
    )
    log_dir = ARTIFACTS / "logs" / (name or f"telegram-{mode}")
    for old in log_dir.glob("*.log"):
        old.unlink()
    return TelegramStack(config, log_dir, credentials_with_telegram(tmp / "credentials.yml")).start()


@pytest.fixture(scope="session")
def tg_stack(tmp_path_factory: pytest.TempPathFactory, fake_telegram: FakeTelegram) -> Iterator[TelegramStack]:
    """The stack with the Telegram channel in webhook mode, talking to the fake server."""
    running = start_telegram_stack(
        tmp_path_factory.mktemp("tg-stack"), fake_telegram, "webhook",
        int(os.environ.get("TEST_TG_RASA_PORT", "5505")),
        int(os.environ.get("TEST_TG_ACTION_PORT", "5555")),
    )
    yield running
    running.stop()

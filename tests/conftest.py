"""Fixtures shared by the whole suite: the running stack, a REST client, a browser.

The stack is started once per test run on its own ports and its own SQLite
files, from the model `make test` trained, so every test talks to what
`make run` serves.
"""
import asyncio
import json
import os
import shutil
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.settings import ADDRESS_CONVERSATIONS_VARIABLE, ADDRESS_RATE_VARIABLE, BotSettings
from bot.stack import Stack
from cxm_store import schema

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
MODEL = ROOT / "models" / "serambi.tar.gz"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PG_ADMIN_URL = os.environ.get("CXM_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

Reply = List[Dict[str, Any]]


def require_service(reason: str) -> None:
    """Fail in CI, skip on a developer machine, when a needed service is missing."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def new_pg_database() -> Iterator[Callable[[], str]]:
    """A factory of fresh, migrated PostgreSQL databases, all dropped at session end.

    Created through ``CXM_TEST_PG_ADMIN_URL`` (default: the local ``postgres``
    database); unreachable PostgreSQL fails the run on CI and skips elsewhere.
    """
    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        admin.dispose()
        require_service(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error.orig}")
    created: List[str] = []

    def create() -> str:
        name = f"cxm_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        schema.upgrade(url)
        return url

    yield create
    for name in created:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the local Redis (``TEST_REDIS_URL``); missing Redis fails in CI, skips elsewhere."""
    from redis import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "not usable here"
        require_service(f"Redis unreachable at {REDIS_URL}: {error!r}")
    finally:
        client.close()
    return REDIS_URL


RABBITMQ_HOST = "127.0.0.1"


async def rabbitmq_channel_do(action: Callable[[Any], Any]) -> Any:
    """Run ``await action(channel)`` on the local RabbitMQ (guest/guest)."""
    import aio_pika

    connection = await aio_pika.connect(host=RABBITMQ_HOST, login="guest", password="guest")
    async with connection:
        return await action(await connection.channel())


def delete_capture_queues(exchange: str, queue: str) -> None:
    """Remove a test's exchange, its capture queue and that queue's ``.rejected`` queue."""

    async def delete(channel: Any) -> None:
        for name in (queue, f"{queue}.rejected"):
            await channel.queue_delete(name)
        await channel.exchange_delete(exchange)

    asyncio.run(rabbitmq_channel_do(delete))


@pytest.fixture(scope="session")
def rabbitmq() -> None:
    """The local RabbitMQ; missing RabbitMQ fails in CI, skips elsewhere."""

    async def nothing(_channel: Any) -> None:
        return None

    try:
        asyncio.run(rabbitmq_channel_do(nothing))
    except Exception as error:  # noqa: BLE001 - any failure means "not usable here"
        require_service(f"RabbitMQ unreachable at {RABBITMQ_HOST}:5672: {error!r}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The action server and Rasa server, running, on test ports and fresh SQLite files."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make test` (it trains first)")
    data = tmp_path_factory.mktemp("stack")
    config = BotSettings(
        # Own ports, so a `make run` on the default ones can stay up.
        rasa_port=int(os.environ.get("TEST_RASA_PORT", "5105")),
        action_port=int(os.environ.get("TEST_ACTION_PORT", "5155")),
        web_port=int(os.environ.get("TEST_WEB_PORT", "8155")),
        model_path=str(MODEL),
        tracker_store_url=f"sqlite:///{data / 'tracker.db'}",
        cxm_database_url=f"sqlite:///{data / 'cxm.db'}",
        # Unique, so a test can look for it in every process's command line.
        rasa_auth_token=f"test-token-{uuid.uuid4().hex}",
        # Agents work around the clock here, so handoffs never depend on when
        # the suite runs; out-of-hours behaviour has its own tests.
        # The suite is hundreds of customers from one address: the limits per
        # address are tested on channels of their own (tests/security/test_address_rate.py);
        # the one per sender stays on (tests/security/test_message_rate.py).
        extra_env={
            "CXM_BUSINESS_HOURS": "00:00-23:59:59", ADDRESS_RATE_VARIABLE: "0", ADDRESS_CONVERSATIONS_VARIABLE: "0",
        },
    )
    running = Stack(config, log_dir=ARTIFACTS / "logs").start()
    yield running
    running.stop()


def as_console(settings: BotSettings, call: Callable[[Any], Any]) -> Any:
    """Run ``call(client)`` with the console's Rasa client for a stack, as the console would.

    In a thread of its own: Playwright's sync API may hold this thread's event loop.
    """
    from concurrent.futures import ThreadPoolExecutor

    from bot.rasa_client import RasaClient

    async def run() -> Any:
        client = RasaClient(settings.rasa_url, settings.rasa_auth_token)
        await client.start()
        try:
            return await call(client)
        finally:
            await client.close()

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, run()).result()


@contextmanager
def web_app(name: str, port: int, env: Dict[str, str]) -> Iterator[str]:
    """Run ``python -m team_app`` on ``port`` with ``env``; yield its URL once healthy.

    Its output goes to tests/artifacts/logs/<name>.log.
    """
    import subprocess
    import sys
    import time

    (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "logs" / f"{name}.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "team_app", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while not _answers(f"{url}/health"):
                if process.poll() is not None:
                    pytest.fail(f"{name} exited with {process.returncode}; see tests/artifacts/logs/{name}.log")
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} did not start within 60 s")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return reply.status == 200
    except OSError:
        return False


def post_json(url: str, body: Dict[str, Any], timeout: float = 30) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.load(reply)


def rasa_api(settings: BotSettings, path: str, body: Any = None) -> Any:
    """Call the Rasa HTTP API of a stack as the console does (token in the Authorization header).

    GET without ``body``, POST with it; returns the decoded JSON answer.
    """
    request = urllib.request.Request(
        f"{settings.rasa_url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.rasa_auth_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


@pytest.fixture(scope="session")
def chat(stack: Stack) -> Callable[[str, str], Reply]:
    """Send one customer message over the REST webhook; return the bot's replies."""
    url = f"{stack.settings.rasa_url}/webhooks/rest/webhook"

    def send(sender: str, text: str) -> Reply:
        return post_json(url, {"sender": sender, "message": text})

    return send


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (no browser download).

    Per module: Playwright's sync API runs an event loop in this thread while
    it is open, which would break ``asyncio.run`` in the modules after it.
    """
    if not Path(CHROMIUM).exists():
        require_service("Debian chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--disable-component-update", "--disable-sync",
            ],
        )
        yield launched
        launched.close()

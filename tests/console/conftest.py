"""Console fixtures: a real ``python -m team_app`` process, a fake Rasa, HTTP clients.

The console runs as its own process on a test port (``TEST_CONSOLE_PORT``,
default 8105) over a fresh SQLite file; tests seed that same file through the
store API. ``RASA_URL`` points at :class:`FakeRasa`, a tiny HTTP server in
this process that records every request and answers as a test tells it to
(or is stopped, to play Rasa being down).

Store-level tests run on SQLite and PostgreSQL (``store_engine``), reusing the
PostgreSQL database factory of ``tests/store``.
"""
import json
import os
import re
import threading
import urllib.parse
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
from sqlalchemy import text

from cxm_store import auth, schema
from cxm_store.db import engine_for
from cxm_store.handoffs import request_handoff
from cxm_store.touchpoints import record_bot_message, record_customer_message
from tests.conftest import web_app
from tests.store.conftest import pg_scratch_url  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "correct horse battery"
RASA_TOKEN = "test-token"
ALL_TABLES = (
    "web_sessions", "users", "handoff_tickets", "handoffs", "survey_answers", "messages",
    "conversation_topics", "conversations", "customer_identities", "customers",
    "daily_rollups",  # TRUNCATE fires no row trigger: the rollup goes with its facts
    "handoff_durations", "follow_up_days", "service_level_days",
)


# --- Fake Rasa ---------------------------------------------------------------------


class FakeRasa:
    """Records POSTs like Rasa's HTTP API would receive them; answers 200 unless told otherwise."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.fail: Dict[str, int] = {}  # path suffix -> status to answer
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.port = 0
        self.lock = threading.Lock()

    def start(self) -> "FakeRasa":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parsed = urllib.parse.urlsplit(self.path)
                with fake.lock:
                    fake.requests.append(
                        {
                            "path": parsed.path,
                            "query": parsed.query,
                            "params": dict(urllib.parse.parse_qsl(parsed.query)),
                            "authorization": self.headers.get("Authorization"),
                            "body": json.loads(raw or b"null"),
                        }
                    )
                status = next(
                    (code for suffix, code in fake.fail.items() if parsed.path.endswith(suffix)), 200
                )
                payload = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: the port then refuses connections (Rasa down)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
        self.fail.clear()


@pytest.fixture(scope="session")
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa().start()
    yield fake
    fake.stop()


@pytest.fixture
def rasa(fake_rasa: FakeRasa) -> Iterator[FakeRasa]:
    """The fake Rasa, emptied and answering 200 (restarted if a test stopped it)."""
    if fake_rasa._server is None:
        fake_rasa.start()
    fake_rasa.reset()
    yield fake_rasa
    if fake_rasa._server is None:
        fake_rasa.start()
    fake_rasa.reset()


# --- The console process -------------------------------------------------------------


class Console:
    """The running console: its URL and the engine of its database."""

    def __init__(self, url: str, database_url: str) -> None:
        self.url = url
        self.database_url = database_url
        self.engine = engine_for(database_url)
        self._users = 0

    def user(self, role: str = "agent", display_name: Optional[str] = None) -> str:
        """Create a fresh user with :data:`PASSWORD`; return the username."""
        self._users += 1
        username = f"{role}{self._users}"
        auth.create_user(
            username, display_name or username.title(), PASSWORD, role, engine=self.engine
        )
        return username

    def client(self, username: Optional[str] = None) -> "Client":
        client = Client(self.url)
        if username:
            client.login(username, PASSWORD)
        return client


@contextmanager
def running_console(
    data: Path, rasa_url: str, port: int, name: str = "console", **env: str
) -> Iterator[Console]:
    """``python -m team_app`` on ``port`` over a fresh SQLite file in ``data``.

    Cookies without ``Secure`` (plain http on loopback) unless ``env`` says otherwise.
    """
    database_url = f"sqlite:///{data / 'cxm.db'}"
    schema.upgrade(database_url)
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CXM_DATABASE_URL": database_url,
        "RASA_URL": rasa_url,
        "RASA_AUTH_TOKEN": RASA_TOKEN,
        "CXM_SESSION_HOURS": "8",
        "CXM_SECURE_COOKIES": "0",
        # The console purges on a schedule: only this test's copies, never var/.
        "TRACKER_STORE_URL": f"sqlite:///{data / 'tracker.db'}",
        "CAPTURE_SPOOL_DIR": str(data / "spool"),
        "CXM_LOG_DIRS": str(data / "logs"),
        **env,
    }
    with web_app(name, port, environment) as url:
        yield Console(url, database_url)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory, fake_rasa: FakeRasa) -> Iterator[Console]:
    """``python -m team_app`` on a test port, fresh SQLite, RASA_URL at the fake."""
    port = int(os.environ.get("TEST_CONSOLE_PORT", "8105"))
    with running_console(tmp_path_factory.mktemp("console"), fake_rasa.url, port) as running:
        yield running


class Client:
    """A browser-like HTTP client: cookies, the login form, the CSRF header on API POSTs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.csrf: Optional[str] = None

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=15, **kwargs)

    def post(self, path: str, json_body: Any = None, csrf: Optional[str] = "session", **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        token = self.csrf if csrf == "session" else csrf
        if token:
            headers["X-CSRF-Token"] = token
        return self.http.post(
            self.base + path, json=json_body, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )

    def login_form(self) -> str:
        page = self.get("/login")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def submit_login(self, username: str, password: str) -> requests.Response:
        token = self.login_form()
        return self.http.post(
            self.base + "/login",
            data={"username": username, "password": password, "csrf_token": token, "next": "/console"},
            allow_redirects=False,
            timeout=15,
        )

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        reply = self.submit_login(username, password)
        assert reply.status_code == 303, reply.text
        console = self.get("/console")
        assert console.status_code == 200, console.text
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', console.text).group(1)
        return reply


# --- Seeding ---------------------------------------------------------------------------

_senders = iter(range(1, 10**6))


def seed_waiting(
    engine: Any,
    channel: str = "web",
    messages: Optional[List[str]] = None,
    waited: timedelta = timedelta(seconds=90),
    language: str = "id",
    reason: str = "customer_asked",
    sender: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Dict[str, Any]:
    """A customer conversation with a bot reply and a waiting handoff; returns its ids."""
    now = now or datetime.utcnow()
    sender = sender or f"{channel}-sender-{next(_senders)}-{os.getpid()}"
    start = now - waited - timedelta(minutes=2)
    texts = messages or ["Paket saya INV-2024-00123 belum sampai", "Saya mau bicara dengan agen"]
    conversation_id = None
    for index, line in enumerate(texts):
        conversation_id = record_customer_message(
            channel, sender, line, start + timedelta(seconds=20 * index), language,
            intent="check_order_status" if index == 0 else "human_handoff", engine=engine,
        )
    record_bot_message(
        conversation_id, "Baik, saya sambungkan ke agen kami.", now - waited, engine=engine
    )
    handoff_id = request_handoff(conversation_id, now - waited, reason=reason, engine=engine)
    return {"conversation_id": conversation_id, "handoff_id": handoff_id, "sender": sender}


@pytest.fixture
def clean_queue(console: Console) -> Console:
    """Empties the handoff queue (other tests' leftovers) so positions are predictable."""
    with console.engine.begin() as connection:
        connection.execute(text("UPDATE handoffs SET status = 'resolved' WHERE status = 'requested'"))
    return console


# --- Store databases on both engines ------------------------------------------------------


@pytest.fixture(params=("sqlite", "postgresql"))
def store_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An empty, migrated store database on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        schema.upgrade(url)
        return engine_for(url)
    url = request.getfixturevalue("pg_scratch_url")
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(ALL_TABLES)} RESTART IDENTITY CASCADE"))
    return engine

"""Dashboard fixtures: a synthetic demo history in a temp SQLite file, served by a real process.

``python -m team_app`` runs on ``TEST_DASHBOARD_PORT`` (default 8205)
over a store holding :data:`CONVERSATIONS` synthetic conversations
(``cxm_store.synthetic.generate``, seed 7) spread over the 120 days up to
today, plus a lead, an admin and an agent. Expected figures come from the
report CLI (``python -m cxm_store report --format json``) run as a subprocess
on the same file with the same window and filters.
"""
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest
import requests

from cxm_store import auth, schema, settings, shoptime, synthetic
from cxm_store.db import engine_for
from tests.conftest import web_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "correct horse battery"
CONVERSATIONS = 4000


@dataclass
class Dashboard:
    url: str
    database_url: str

    @property
    def engine(self) -> Any:
        return engine_for(self.database_url)

    def client(self, username: Optional[str] = None) -> "Client":
        client = Client(self.url)
        if username:
            client.login(username)
        return client

    def report(self, first: date, last: date, channel: Optional[str] = None,
               language: Optional[str] = None, by: Optional[str] = None) -> Dict[str, Any]:
        """The report CLI's JSON for days ``first``..``last`` (both included)."""
        command = [
            sys.executable, "-m", "cxm_store", "--database-url", self.database_url, "report",
            "--since", first.isoformat(), "--until", (last + timedelta(days=1)).isoformat(),
            "--format", "json",
        ]
        if channel:
            command += ["--channel", channel]
        if language:
            command += ["--language", language]
        if by:
            command += ["--by", by]
        done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


class Client:
    """requests with cookies and the login form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=60, **kwargs)

    def login(self, username: str) -> None:
        page = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        reply = self.http.post(
            self.base + "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/console"},
            allow_redirects=False, timeout=15,
        )
        assert reply.status_code == 303, reply.text


def today() -> date:
    """Today in the shop's time zone, the dashboard's "today"."""
    return shoptime.local_today(settings.shop_timezone())


def day_start(day: date) -> datetime:
    """Naive UTC instant at which the shop's local ``day`` begins."""
    return shoptime.local_midnight_utc(day, settings.shop_timezone())


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    data = tmp_path_factory.mktemp("dashboard")
    database_url = f"sqlite:///{data / 'cxm.db'}"
    schema.upgrade(database_url)
    engine = engine_for(database_url)
    end = datetime.combine(today() + timedelta(days=1), datetime.min.time())
    synthetic.generate(engine, CONVERSATIONS, end - timedelta(days=120), end, seed=7)
    for username, role in (("lead", "lead"), ("admin", "admin"), ("agent", "agent")):
        auth.create_user(username, username.title(), PASSWORD, role, engine=engine)
    port = int(os.environ.get("TEST_DASHBOARD_PORT", "8205"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CXM_DATABASE_URL": database_url,
           "RASA_URL": "http://127.0.0.1:9", "CXM_SESSION_HOURS": "8",
           "CXM_SECURE_COOKIES": "0"}  # plain http on loopback
    with web_app("dashboard", port, env) as url:
        yield Dashboard(url, database_url)


@pytest.fixture(scope="session")
def lead(dashboard: Dashboard) -> Client:
    return dashboard.client("lead")

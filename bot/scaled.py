"""Starts the scaled topology under supervisord: ``make run-scaled`` (docs/deploy.md).

HAProxy in front of two Rasa servers and two action servers, PostgreSQL for
the tracker store and the CX store, Redis for the lock store and the web-chat
pushes, RabbitMQ as Rasa's event broker with the capture consumer reading
it, and the console. ``deploy/supervisord.conf`` and ``deploy/haproxy.cfg``
describe the processes; this module creates the databases if missing,
migrates the CX store, sets the environment those files read, runs
supervisord and waits until every process is ready. The tests start the
topology through :class:`ScaledStack` too.

Supervisord was chosen over systemd units because it runs as an ordinary
process: containers, CI machines and this one have no systemd running.
"""
import csv
import io
import logging
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from pydantic import Field
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.settings import TELEGRAM_VARIABLES, env_or, tensorflow_env
from bot.stack import StackError, answers, port_in_use, prepare_store, serve
from cxm_store.settings import EnvSettings

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
START_TIMEOUT_SECONDS = 300


def _port_pair(first: Tuple[str, int], second: Tuple[str, int]) -> Tuple[int, int]:
    """The ports of the two servers of a kind: each its own variable (docs/deploy.md names them)."""
    one, two = (int(os.environ.get(name) or default) for name, default in (first, second))
    return one, two


class ScaledSettings(EnvSettings):
    """Ports and services of the scaled topology (environment, else these defaults)."""

    host: str = Field(default="127.0.0.1", env="BIND_HOST")
    rasa_port: int = Field(default=5005, env="RASA_PORT")
    rasa_ports: Tuple[int, int] = Field(
        default_factory=lambda: _port_pair(("RASA_1_PORT", 5011), ("RASA_2_PORT", 5012)), env="RASA_PORTS"
    )
    action_port: int = Field(default=5055, env="ACTION_PORT")
    action_ports: Tuple[int, int] = Field(
        default_factory=lambda: _port_pair(("ACTIONS_1_PORT", 5061), ("ACTIONS_2_PORT", 5062)), env="ACTIONS_PORTS"
    )
    web_port: int = Field(default=8000, env="WEB_PORT")
    capture_health_port: int = Field(default=5070, env="CAPTURE_HEALTH_PORT")
    haproxy_stats_port: int = Field(default=5080, env="HAPROXY_STATS_PORT")
    model_path: str = Field(default="models/serambi.tar.gz", env="RASA_MODEL")
    tracker_store_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/serambi_tracker", env="TRACKER_STORE_URL"
    )
    cxm_database_url: str = Field(default="postgresql://postgres@127.0.0.1:5432/serambi_cxm", env="CXM_DATABASE_URL")
    redis_host: str = Field(default="127.0.0.1", env="LOCK_STORE_HOST")
    redis_port: int = Field(default=6379, env="LOCK_STORE_PORT")
    webchat_push_url: str = Field(default="redis://127.0.0.1:6379/0", env="WEBCHAT_PUSH_URL")
    rabbitmq_host: str = Field(default="127.0.0.1", env="RABBITMQ_HOST")
    rabbitmq_port: int = Field(default=5672, env="RABBITMQ_PORT")
    capture_exchange: str = Field(default="serambi.events", env="CAPTURE_EXCHANGE")
    capture_queue: str = Field(default="serambi.capture", env="CAPTURE_QUEUE")
    # Guards Rasa's HTTP API; generated per start when unset, as in the embedded stack.
    rasa_auth_token: str = Field(default_factory=lambda: secrets.token_urlsafe(24), env="RASA_AUTH_TOKEN", repr=False)
    run_dir: Path = Field(default=ROOT / "var" / "scaled", env="SCALED_RUN_DIR")
    # Further variables for every process (tests pin business hours this way); never from the environment.
    extra_env: Dict[str, str] = Field(default_factory=dict, env="_SCALED_EXTRA_ENV_NOT_FROM_ENVIRONMENT")


    @property
    def rasa_url(self) -> str:
        """The load balancer: what customers and the console talk to."""
        return f"http://{self.host}:{self.rasa_port}"

    def ready_checks(self) -> List[Tuple[str, str]]:
        """(process, readiness URL) for every process of the topology."""
        local = "http://127.0.0.1"
        return [
            *[(f"rasa-{n}", f"{local}:{port}/webhooks/webchat/health") for n, port in enumerate(self.rasa_ports, 1)],
            *[(f"actions-{n}", f"{local}:{port}/health") for n, port in enumerate(self.action_ports, 1)],
            ("capture-consumer", f"{local}:{self.capture_health_port}/ready"),
            ("console", f"http://{self.host}:{self.web_port}/health"),
            ("haproxy", f"{self.rasa_url}/lb-health"),
        ]

    def servers_down_in_balancer(self) -> List[str]:
        """The servers HAProxy does not route to now (all of them if its stats do not answer)."""
        every = [f"rasa-{n}" for n in (1, 2)] + [f"actions-{n}" for n in (1, 2)]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.haproxy_stats_port}/stats;csv", timeout=2) as reply:
                rows = list(csv.reader(io.StringIO(reply.read().decode().lstrip("# "))))
        except OSError:
            return every
        # A Rasa server is in two backends (messages, push streams): UP in each.
        down = {row[1] for row in rows[1:] if len(row) > 17 and row[17] != "UP"}
        up = {row[1] for row in rows[1:] if len(row) > 17 and row[17] == "UP"}
        return [server for server in every if server in down or server not in up]

    def environment(self) -> Dict[str, str]:
        """What deploy/supervisord.conf, deploy/haproxy.cfg and deploy/endpoints.yml read.

        Secrets (``RASA_AUTH_TOKEN``, ``RABBITMQ_PASSWORD``) come from this
        process's own environment and are never written to a file.
        """
        return {
            **os.environ,
            # credentials.yml names the Telegram variables; empty leaves Telegram off.
            **{name: os.environ.get(name, "") for name in TELEGRAM_VARIABLES},
            "SERAMBI_ROOT": str(ROOT),
            "PYTHONPATH": str(ROOT),
            "PYTHON": sys.executable,
            "SCALED_RUN_DIR": str(self.run_dir),
            "BIND_HOST": self.host,
            "RASA_PORT": str(self.rasa_port),
            "RASA_1_PORT": str(self.rasa_ports[0]),
            "RASA_2_PORT": str(self.rasa_ports[1]),
            "ACTION_PORT": str(self.action_port),
            "ACTIONS_1_PORT": str(self.action_ports[0]),
            "ACTIONS_2_PORT": str(self.action_ports[1]),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "WEB_PORT": str(self.web_port),
            "CAPTURE_HEALTH_PORT": str(self.capture_health_port),
            "HAPROXY_STATS_PORT": str(self.haproxy_stats_port),
            "RASA_MODEL": self.model_path,
            "RASA_URL": self.rasa_url,
            "RASA_AUTH_TOKEN": self.rasa_auth_token,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "CXM_DATABASE_URL": self.cxm_database_url,
            "LOCK_STORE_HOST": self.redis_host,
            "LOCK_STORE_PORT": str(self.redis_port),
            "WEBCHAT_PUSH_URL": self.webchat_push_url,
            # HAProxy reaches the Rasa servers from loopback and names the client
            # in X-Forwarded-For (deploy/haproxy.cfg); the limits per address count that.
            "TRUSTED_PROXIES": env_or("TRUSTED_PROXIES", "127.0.0.1"),
            # Order look-up and login limits: one allowance across processes.
            "RATE_LIMIT_REDIS_URL": env_or("RATE_LIMIT_REDIS_URL", f"redis://{self.redis_host}:{self.redis_port}/0"),
            "RABBITMQ_HOST": self.rabbitmq_host,
            "RABBITMQ_PORT": str(self.rabbitmq_port),
            "RABBITMQ_USERNAME": env_or("RABBITMQ_USERNAME", "guest"),
            "RABBITMQ_PASSWORD": env_or("RABBITMQ_PASSWORD", "guest"),
            # A conversation's lock held by a Rasa process that died is free
            # again after this many seconds (Rasa's default, 60, outlasts
            # a client's patience); a turn takes well under one second.
            "TICKET_LOCK_LIFETIME": env_or("TICKET_LOCK_LIFETIME", "10"),
            # Messages a Rasa server handles at once (deploy/haproxy.cfg).
            "RASA_MAXCONN": env_or("RASA_MAXCONN", "4"),
            "CAPTURE_EXCHANGE": self.capture_exchange,
            "CAPTURE_QUEUE": self.capture_queue,
            **tensorflow_env(),
            **self.extra_env,
        }


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it does not exist (through the ``postgres`` database)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
                logger.info("created database %s", target.database)
    finally:
        admin.dispose()


class ScaledStack:
    """supervisord running deploy/supervisord.conf, started and stopped as one."""

    def __init__(self, settings: Optional[ScaledSettings] = None) -> None:
        self.settings = settings or ScaledSettings()
        self._supervisord: Optional[subprocess.Popen] = None

    def start(self) -> "ScaledStack":
        """Prepare the stores, start supervisord, wait until every process is ready."""
        s = self.settings
        ports = [
            s.rasa_port, *s.rasa_ports, s.action_port, *s.action_ports, s.web_port,
            s.capture_health_port, s.haproxy_stats_port,
        ]
        busy = [port for port in ports if port_in_use(s.host, port)]
        if busy:
            raise StackError(f"port(s) {busy} already in use: is another stack running?")
        for tool in ("supervisord", "haproxy"):
            if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
                raise StackError(f"{tool} is not installed (make run-scaled installs it)")
        for url in (s.tracker_store_url, s.cxm_database_url):
            ensure_database(url)
        prepare_store(s.cxm_database_url)
        s.run_dir.mkdir(parents=True, exist_ok=True)
        self._supervisord = subprocess.Popen(
            ["supervisord", "-n", "-c", str(DEPLOY / "supervisord.conf")],
            cwd=ROOT, env=s.environment(),
        )
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def not_ready(self) -> List[str]:
        """The processes whose readiness check does not answer 200 now, and the
        servers HAProxy does not route to yet.
        """
        waiting = [name for name, url in self.settings.ready_checks() if not answers(url)]
        return waiting or [f"haproxy->{name}" for name in self.settings.servers_down_in_balancer()]

    def wait_until_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._supervisord is not None and self._supervisord.poll() is not None:
                raise StackError(f"supervisord exited with code {self._supervisord.returncode}")
            waiting = self.not_ready()
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise StackError(f"not ready within {timeout:.0f} s: {', '.join(waiting)}")
            time.sleep(0.5)

    def pid(self, program: str) -> int:
        """The process id of a supervised program (0 when it is not running)."""
        reply = subprocess.run(
            ["supervisorctl", "-c", str(DEPLOY / "supervisord.conf"), "pid", program],
            env=self.settings.environment(), capture_output=True, text=True, check=False,
        )
        return int(reply.stdout.strip()) if reply.stdout.strip().isdigit() else 0

    def stop(self) -> None:
        """SIGTERM to supervisord, which stops every program gracefully (SIGKILL after 60 s)."""
        if self._supervisord is None or self._supervisord.poll() is not None:
            return
        self._supervisord.terminate()
        try:
            self._supervisord.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._supervisord.kill()
            self._supervisord.wait()

    def urls(self) -> List[str]:
        """What a person opens, one line each."""
        s = self.settings
        return [
            f"Load balancer (customers, Rasa API): {s.rasa_url}/webhooks/webchat/",
            f"Console and dashboard:                http://{s.host}:{s.web_port}/console",
            f"Logs:                                 {s.run_dir}/",
        ]

    def wait(self) -> int:
        """Block until supervisord exits."""
        return self._supervisord.wait() if self._supervisord else 0


def main() -> int:
    return serve(ScaledStack(), "Serambi (scaled) is up; supervisord restarts any process that dies")


if __name__ == "__main__":
    sys.exit(main())

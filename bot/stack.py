"""Starts the whole stack (store, action server, Rasa server, console), prints the URLs, stops it on Ctrl-C.

``python -m bot.stack`` is what ``make run`` runs; the integration tests start
the same :class:`Stack`, so what they exercise is what a customer gets.
"""
import ipaddress
import logging
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any, Dict, List, Optional

from bot import settings as bot_settings
from bot.settings import BotSettings

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 300


class StackError(RuntimeError):
    """A process of the stack did not come up."""


def prepare_store(database_url: str) -> None:
    """Bring the store's schema up to date and seed the demo shop's orders."""
    from cxm_store import schema
    from cxm_store.db import engine_for
    from cxm_store.orders import seed_demo_orders

    Path("var").mkdir(exist_ok=True)
    schema.upgrade(database_url)
    seed_demo_orders(engine_for(database_url))


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def answers(url: str, token: str = "") -> bool:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


class Stack:
    """The action server, the Rasa server and the console web app as child processes."""

    def __init__(self, config: Optional[BotSettings] = None, log_dir: Optional[Path] = None) -> None:
        self.settings = config or bot_settings.load()
        self.log_dir = log_dir
        self._processes: List[subprocess.Popen] = []
        self._logs: List[IO] = []

    def _spawn(
        self, name: str, args: List[str], module: str = "rasa", env: Optional[Dict[str, str]] = None
    ) -> subprocess.Popen:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "ab")
            self._logs.append(output)
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env={**self.settings.process_environment(), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )
        self._processes.append(process)
        return process

    def start(self) -> "Stack":
        """Start every process and wait until each answers; on failure stop what started."""
        s = self.settings
        # A server left over on one of our ports would answer the health checks
        # in place of ours.
        listens = ((s.host, s.rasa_port), (s.action_host, s.action_port), (s.host, s.web_port))
        busy = [f"{host}:{port}" for host, port in listens if port_in_use(host, port)]
        if busy:
            raise StackError(f"{', '.join(busy)} already in use: is another stack running?")
        try:
            self._start_processes()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_processes(self) -> None:
        s = self.settings
        prepare_store(s.cxm_database_url)
        # rasa-sdk binds where SANIC_HOST says (0.0.0.0 when unset).
        actions = self._spawn(
            "actions",
            ["run", "actions", "--actions", "actions", "--port", str(s.action_port)],
            env={"SANIC_HOST": s.action_host},
        )
        rasa = self._spawn("rasa", self.rasa_arguments(), module="bot.rasa_server")
        console = self._spawn(
            "console", ["--host", s.host, "--port", str(s.web_port)], module="team_app",
            env=self.console_environment(),
        )
        self._wait_until_up("action server", actions, f"{s.action_url}/health")
        self._wait_until_up("Rasa server", rasa, f"{s.rasa_url}/status", token=s.rasa_auth_token)
        self._wait_until_up("console", console, f"{s.web_url}/health")

    def console_environment(self) -> Dict[str, str]:
        """Plain-http cookies for a console only this machine can reach, unless configured.

        The console's cookies are ``Secure`` by default, and browsers do not
        send those over http: a local ``make run`` on 127.0.0.1 turns that off,
        explicitly, for its own child process. Any other address keeps them.
        """
        configured = self.settings.process_environment().get("CXM_SECURE_COOKIES")
        if configured or not _loopback(self.settings.host):
            return {}
        return {"CXM_SECURE_COOKIES": "0"}

    def rasa_arguments(self) -> List[str]:
        """``rasa run`` arguments; the API token reaches Rasa through its environment only."""
        s = self.settings
        return [
            "run", "--enable-api",
            "--model", s.model_path, "--endpoints", "endpoints.yml",
            "--credentials", "credentials.yml", "--interface", s.host,
            "--port", str(s.rasa_port), "--cors", *s.cors_origins,
        ]

    def _wait_until_up(self, name: str, process: subprocess.Popen, url: str, token: str = "") -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"{name} exited with code {process.returncode}")
            if answers(url, token):
                return
            time.sleep(0.5)
        raise StackError(f"{name} did not answer at {url} within {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after 15 s)."""
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def urls(self) -> List[str]:
        """What a person opens, one line each."""
        s = self.settings
        return [
            f"Web chat (customers):   {s.rasa_url}/webhooks/webchat/",
            f"REST webhook (API):     POST {s.rasa_url}/webhooks/rest/webhook",
            f"Agent console:          {s.web_url}/console  (accounts: python -m cxm_store create-user)",
            f"CX dashboard (leads):   {s.web_url}/dashboard",
            f"Rasa HTTP API:          {s.rasa_url}/  (token in RASA_AUTH_TOKEN)",
            f"Action server:          {s.action_url}/health",
        ] + (
            [f"Telegram:               {s.rasa_url}/webhooks/telegram/  (bot token set)"]
            if s.telegram_bot_token else []
        )

    def wait(self) -> int:
        """Block until a child exits or Ctrl-C; return an exit code."""
        while True:
            for process in self._processes:
                if process.poll() is not None:
                    return process.returncode or 1
            time.sleep(0.5)


def serve(stack: Any, title: str) -> int:
    """Start ``stack``, print its URLs under ``title``, run until a child exits, Ctrl-C or SIGTERM.

    Any object with ``start``, ``urls``, ``wait`` and ``stop`` (the embedded
    :class:`Stack`, the scaled topology) is served the same way.
    """
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    def _interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start()
        print(f"\n{title}:\n  " + "\n  ".join(stack.urls()) + "\nCtrl-C stops everything.\n", flush=True)
        return stack.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


def main() -> int:
    return serve(Stack(), "Serambi assistant is up")


if __name__ == "__main__":
    sys.exit(main())

"""Issue 12, login brute force and username enumeration.

Against the real console process. Each test logs in from its own loopback
address (127.0.0.N: Linux routes all of 127/8 to this machine), so the
per-address counts of one test do not leak into another.
"""
import re
import statistics
import time
from itertools import count
from types import SimpleNamespace
from typing import Callable, List

from requests.adapters import HTTPAdapter
from sanic.compat import Header

from cxm_store import auth
from cxm_store.login_throttle import FREE_FAILURES_PER_ADDRESS, FREE_FAILURES_PER_USERNAME, LoginThrottle
from team_app.security import client_address
from tests.console.conftest import PASSWORD, Client, Console

_addresses = count(11)


class FromAddress(HTTPAdapter):
    """Connects from a given local address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002,ANN003
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(console: Console, address: str = "") -> Client:
    """A console client connecting from ``address`` (a fresh 127.0.0.N by default)."""
    client = Client(console.url)
    client.http.mount("http://", FromAddress(address or f"127.0.0.{next(_addresses)}"))
    return client


def page_without(text: str, *variable: str) -> str:
    """The page with its one-time CSRF token and the given strings blanked out."""
    text = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', text)
    for value in variable:
        text = text.replace(value, "<>")
    return text


def test_unknown_and_known_usernames_get_the_same_answer(console: Console) -> None:
    known = console.user("agent")
    client = client_from(console)
    wrong = client.submit_login(known, "wrong password")
    unknown = client.submit_login("nobody-here", "wrong password")
    assert wrong.status_code == unknown.status_code == 401
    assert page_without(wrong.text, known) == page_without(unknown.text, "nobody-here")
    assert wrong.headers.get("Retry-After") is None and unknown.headers.get("Retry-After") is None


def test_repeated_failures_are_slowed_down_for_known_and_unknown_alike(console: Console) -> None:
    known = console.user("agent")
    client = client_from(console)
    answers = {}
    for username in (known, "nobody-at-all"):
        for _ in range(FREE_FAILURES_PER_USERNAME):
            assert client.submit_login(username, "wrong password").status_code == 401
        answers[username] = client.submit_login(username, PASSWORD)  # even the right one waits
    slowed_known, slowed_unknown = answers[known], answers["nobody-at-all"]
    assert slowed_known.status_code == slowed_unknown.status_code == 429
    assert slowed_known.headers["Retry-After"] == slowed_unknown.headers["Retry-After"] == "1"
    assert page_without(slowed_known.text, known) == page_without(slowed_unknown.text, "nobody-at-all")

    # The delay doubles with each further failure: 1 s, then 2 s.
    time.sleep(1.1)
    assert client.submit_login(known, "wrong password").status_code == 401
    assert client.submit_login(known, PASSWORD).headers["Retry-After"] == "2"


def test_an_agent_logs_in_from_their_own_address_while_their_username_is_attacked(console: Console) -> None:
    victim = console.user("agent")
    attacker = client_from(console)
    for _ in range(FREE_FAILURES_PER_USERNAME + 2):
        attacker.submit_login(victim, "guess")
    assert attacker.submit_login(victim, PASSWORD).status_code == 429
    agent = client_from(console)
    assert agent.submit_login(victim, PASSWORD).status_code == 303
    assert agent.get("/console").status_code == 200


def test_one_address_cannot_spray_many_usernames(console: Console) -> None:
    sprayer = client_from(console)
    for number in range(FREE_FAILURES_PER_ADDRESS):
        assert sprayer.submit_login(f"guess{number}", "Password1!").status_code == 401
    real = console.user("agent")
    assert sprayer.submit_login(real, PASSWORD).status_code == 429
    assert client_from(console).submit_login(real, PASSWORD).status_code == 303


def test_the_throttle_forgets_and_success_clears_the_username() -> None:
    clock = [1000.0]
    throttle = LoginThrottle(clock=lambda: clock[0])
    for _ in range(FREE_FAILURES_PER_USERNAME + 3):
        throttle.failed("10.0.0.1", "rina")
        clock[0] += 100
    assert throttle.retry_after("10.0.0.1", "rina") == 0  # 8 s delay, 100 s ago
    throttle.failed("10.0.0.1", "rina")
    assert throttle.retry_after("10.0.0.1", "RINA") == 16
    assert throttle.retry_after("10.0.0.2", "rina") == 0
    throttle.succeeded("10.0.0.1", "rina")
    assert throttle.retry_after("10.0.0.1", "rina") == 0
    clock[0] += 10 * 3600
    for _ in range(FREE_FAILURES_PER_USERNAME):
        throttle.failed("10.0.0.3", "budi")
    assert throttle.retry_after("10.0.0.3", "budi") == 1
    clock[0] += 2 * 3600  # forgotten an hour after the last failure
    throttle.failed("10.0.0.3", "budi")
    assert throttle.retry_after("10.0.0.3", "budi") == 0


def _median_seconds(*attempts: Callable[[], object], rounds: int = 7) -> List[float]:
    """Median time of each attempt, run in turns so that load on the machine hits all alike."""
    spent: List[List[float]] = [[] for _ in attempts]
    for _ in range(rounds):
        for times, attempt in zip(spent, attempts):
            start = time.perf_counter()
            attempt()
            times.append(time.perf_counter() - start)
    return [statistics.median(times) for times in spent]


def test_checking_costs_the_same_for_unknown_inactive_and_known_users(console: Console) -> None:
    known = console.user("agent")
    inactive = console.user("agent")
    with console.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE users SET active = false WHERE username = ?", (inactive,))
    engine = console.engine
    wrong, unknown, deactivated = _median_seconds(
        lambda: auth.authenticate(known, "wrong password", engine=engine),
        lambda: auth.authenticate("nobody-here", "wrong password", engine=engine),
        lambda: auth.authenticate(inactive, PASSWORD, engine=engine),
    )
    # One scrypt each (about 50 ms here); skipping it would answer in about 1 ms.
    for other in (unknown, deactivated):
        assert 0.33 < other / wrong < 3, (wrong, unknown, deactivated)


def test_the_login_throttle_believes_only_a_trusted_proxy_about_the_client() -> None:
    # The chat channels' rule (bot/channels/client_address.py), from the same TRUSTED_PROXIES.
    def login_from(peer: str, forwarded: str, trusted: str) -> SimpleNamespace:
        settings = SimpleNamespace(trusted_proxies=trusted)
        return SimpleNamespace(ip=peer, headers=Header([("x-forwarded-for", forwarded)]),
                               app=SimpleNamespace(ctx=SimpleNamespace(settings=settings)))

    assert client_address(login_from("10.0.0.5", "203.0.113.7", "10.0.0.5")) == "203.0.113.7"
    assert client_address(login_from("198.51.100.9", "203.0.113.7", "10.0.0.5")) == "198.51.100.9"
    assert client_address(login_from("10.0.0.5", "203.0.113.7", "")) == "10.0.0.5"

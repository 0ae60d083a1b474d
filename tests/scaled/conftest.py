"""The scaled topology (deploy/, bot/scaled.py) started once for these tests.

Its own ports, fresh PostgreSQL databases, its own RabbitMQ exchange and
queue (deleted afterwards), the local Redis; a missing service fails the run
in CI and skips elsewhere. Every process reaches PostgreSQL and RabbitMQ
through a TCP proxy of the test (tests/tcp_proxy.py), so a test can cut
either. supervisord's and every process's logs go to
tests/artifacts/logs/scaled/.
"""
import shutil
import socket
import uuid
from dataclasses import dataclass
from typing import Any, Iterator, List

import pytest
from sqlalchemy.engine import make_url

from bot.scaled import ScaledSettings, ScaledStack
from bot.settings import FLOOD_LIMITS_OFF
from tests.conftest import ARTIFACTS, MODEL, RABBITMQ_HOST, delete_capture_queues
from tests.tcp_proxy import TcpProxyProcess


def free_ports(count: int) -> List[int]:
    """Ports nothing listens on now (other stacks may run on this machine at the same time)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class Outages:
    """The proxies between the scaled topology and its services: ``cut()`` one, ``start()`` it again."""

    postgresql: TcpProxyProcess
    rabbitmq: TcpProxyProcess


def through(proxy: TcpProxyProcess, database_url: str) -> str:
    return make_url(database_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def outages(new_pg_database: Any, rabbitmq: None) -> Iterator[Outages]:
    proxies = Outages(postgresql=TcpProxyProcess("127.0.0.1", 5432), rabbitmq=TcpProxyProcess(RABBITMQ_HOST, 5672))
    for proxy in (proxies.postgresql, proxies.rabbitmq):
        proxy.start()
    try:
        yield proxies
    finally:
        for proxy in (proxies.postgresql, proxies.rabbitmq):
            proxy.close()


@pytest.fixture(scope="module")
def scaled(new_pg_database: Any, redis_url: str, outages: Outages) -> Iterator[ScaledStack]:
    """Two Rasa servers and two action servers behind HAProxy, the capture consumer, the console."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make test` (it trains first)")
    for tool in ("supervisord", "haproxy"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: make run-scaled installs it")
    run = uuid.uuid4().hex[:8]
    lb, rasa_1, rasa_2, actions_lb, actions_1, actions_2, web, capture, stats = free_ports(9)
    settings = ScaledSettings(
        host="127.0.0.1", rasa_port=lb, rasa_ports=(rasa_1, rasa_2), action_port=actions_lb,
        action_ports=(actions_1, actions_2), web_port=web, capture_health_port=capture,
        haproxy_stats_port=stats,
        model_path=str(MODEL), tracker_store_url=through(outages.postgresql, new_pg_database()),
        cxm_database_url=through(outages.postgresql, new_pg_database()),
        redis_host="127.0.0.1", redis_port=6379, webchat_push_url=redis_url,
        rabbitmq_host="127.0.0.1", rabbitmq_port=outages.rabbitmq.port,
        capture_exchange=f"serambi.test.{run}", capture_queue=f"serambi.test.{run}.capture",
        rasa_auth_token="test-token", run_dir=ARTIFACTS / "logs" / "scaled",
        # Agents work around the clock here, as in the embedded stack's tests; the
        # fault test's customers send as fast as they are answered, past a person's
        # rate, and all from one address.
        extra_env={"CXM_BUSINESS_HOURS": "00:00-23:59:59", **FLOOD_LIMITS_OFF},
    )
    stack = ScaledStack(settings)
    try:
        yield stack.start()
    finally:
        stack.stop()
        # Also after a failed start: the queue would keep filling from the exchange.
        delete_capture_queues(settings.capture_exchange, settings.capture_queue)

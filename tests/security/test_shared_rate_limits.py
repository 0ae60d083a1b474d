"""Rate limits shared by every process through Redis (the scaled topology), per process without it.

Two action servers or two console processes are two limiter instances. With
``RATE_LIMIT_REDIS_URL`` set, as the scaled topology sets it, they draw on
one allowance over a real Redis connection; unset (the embedded setup), each
keeps its own in memory.
"""
import uuid

import pytest
from redis import Redis

from cxm_store.login_throttle import FREE_FAILURES_PER_USERNAME, LoginThrottle
from cxm_store.order_access import LookupLimiter
from cxm_store.rate_limits import KEY_PREFIX, REDIS_URL_VARIABLE


@pytest.fixture
def shared(redis_url, monkeypatch):
    """``RATE_LIMIT_REDIS_URL`` set to the local Redis; this test's keys removed afterwards."""
    monkeypatch.setenv(REDIS_URL_VARIABLE, redis_url)
    yield
    client = Redis.from_url(redis_url)
    for key in client.scan_iter(f"{KEY_PREFIX}*{RUN}*"):
        client.delete(key)
    client.close()


RUN = uuid.uuid4().hex[:8]


def test_two_action_servers_share_one_order_lookup_allowance(shared):
    sender = f"web-{RUN}-walker"
    first, second = LookupLimiter(limit=10, window_s=600), LookupLimiter(limit=10, window_s=600)
    answers = [(first if n % 2 else second).allow(sender) for n in range(20)]
    assert answers.count(True) == 10 and answers[:10] == [True] * 10
    assert not first.allow(sender) and not second.allow(sender)
    assert first.allow(f"web-{RUN}-someone-else")


def test_two_console_processes_share_one_login_slow_down(shared):
    username, address = f"rina-{RUN}", f"10.9.{RUN}"
    first, second = LoginThrottle(), LoginThrottle()
    for n in range(FREE_FAILURES_PER_USERNAME):
        (first if n % 2 else second).failed(address, username)
    # The failures of both processes count: the next attempt waits, whichever process gets it.
    assert first.retry_after(address, username) >= 1 and second.retry_after(address, username) >= 1
    second.succeeded(address, username)
    assert first.retry_after(address, username) == 0


def test_without_redis_each_process_keeps_its_own_allowance(monkeypatch):
    monkeypatch.delenv(REDIS_URL_VARIABLE, raising=False)
    first, second = LookupLimiter(limit=10, window_s=600), LookupLimiter(limit=10, window_s=600)
    assert [first.allow("web-x") for _ in range(11)].count(True) == 10
    assert second.allow("web-x")


def test_with_redis_unreachable_each_process_still_limits(monkeypatch, caplog):
    monkeypatch.setenv(REDIS_URL_VARIABLE, "redis://127.0.0.1:1/0")
    limiter = LookupLimiter(limit=10, window_s=600)
    assert [limiter.allow("web-y") for _ in range(11)].count(True) == 10
    assert "Redis unavailable" in caplog.text

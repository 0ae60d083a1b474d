"""Fixtures of the web-chat push tests: the local Redis, required in CI."""
import asyncio
import os

import pytest

from tests.conftest import require_service

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _ping(url: str) -> None:
    from redis import asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.ping()
    finally:
        await client.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the local Redis; missing Redis fails the run in CI and skips elsewhere."""
    try:
        asyncio.run(_ping(REDIS_URL))
    except Exception as error:  # noqa: BLE001 - any failure means "not usable here"
        require_service(f"Redis unreachable at {REDIS_URL}: {error!r}")
    return REDIS_URL

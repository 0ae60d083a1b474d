"""Fixtures of the security tests: a console of their own (its own port and database).

The console's fixtures are session-wide on their own port; these tests start
another console process the same way (``tests.console.conftest.running_console``)
so that both suites can run in one session.
"""
import os
from typing import Iterator

import pytest

from tests.console.conftest import Console, FakeRasa, running_console


@pytest.fixture(scope="session")
def security_rasa() -> Iterator[FakeRasa]:
    """A fake Rasa HTTP API recording what the console sends."""
    fake = FakeRasa().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory, security_rasa: FakeRasa) -> Iterator[Console]:
    """The console on ``TEST_SECURITY_CONSOLE_PORT`` (8106) over a fresh SQLite file."""
    port = int(os.environ.get("TEST_SECURITY_CONSOLE_PORT", "8106"))
    with running_console(
        tmp_path_factory.mktemp("security-console"), security_rasa.url, port, name="security-console"
    ) as running:
        yield running


# The store-level tests run on SQLite and PostgreSQL like the console's.
from tests.console.conftest import store_engine  # noqa: E402,F401  (fixture)
from tests.store.conftest import pg_scratch_url  # noqa: E402,F401  (fixture)

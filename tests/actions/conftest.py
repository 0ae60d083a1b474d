"""Fixtures for the custom action tests: tracker, dispatcher, domain, store.

Each test runs one action the way the action server does
(``await action.run(dispatcher, tracker, domain)``) and checks the exact
events it returns and the exact messages it dispatches. Nothing here needs
a trained model or a running server.
"""
import datetime as dt
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from cxm_store import schema  # noqa: E402
from cxm_store.db import engine_for  # noqa: E402
from actions import order_lookup  # noqa: E402
from cxm_store.channels import store_channel  # noqa: E402
from cxm_store.identity import prove_order  # noqa: E402
from cxm_store.order_access import LookupLimiter  # noqa: E402
from cxm_store.orders import DEMO_CONTACTS, seed_demo_orders  # noqa: E402

from action_helpers import TODAY  # noqa: E402

DOMAIN_FILE = ROOT / "domain.yml"


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """The assistant's domain, as the dict the action server receives."""
    with open(DOMAIN_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


TEST_CUSTOMER = "test-customer"
# What the store calls the channel of a tracker without one (no input channel).
TRACKER_CHANNEL = store_channel(None)


@pytest.fixture(autouse=True)
def _fresh_lookup_limit(monkeypatch) -> None:
    """Each test starts with no order look-ups counted against its customer."""
    monkeypatch.setattr(order_lookup, "LIMITER", LookupLimiter(limit=10, window_s=600))


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Build a tracker; slots default to the domain's initial values."""

    def build(
        slots: Optional[Dict[str, Any]] = None,
        latest_message: Optional[Dict[str, Any]] = None,
        events: Optional[List[Dict[str, Any]]] = None,
        sender_id: str = TEST_CUSTOMER,
    ) -> Tracker:
        all_slots = {"language": "id", "order_id": None}
        all_slots.update(slots or {})
        return Tracker(
            sender_id,
            all_slots,
            latest_message or {},
            events or [],
            False,
            None,
            {},
            "action_listen",
        )

    return build


@pytest.fixture
def seeded_store(tmp_path, monkeypatch) -> Iterator[Callable[[dt.date], str]]:
    """Point the store at a fresh, migrated SQLite file holding the demo orders.

    Call with the store's "today"; returns the database URL.
    """
    urls: List[str] = []

    def seed(today: dt.date = TODAY) -> str:
        url = f"sqlite:///{tmp_path / f'cxm-{len(urls)}.db'}"
        urls.append(url)
        monkeypatch.setenv("CXM_DATABASE_URL", url)
        schema.upgrade(url)
        assert seed_demo_orders(engine_for(url), today=today) == 6
        # The tests' customer placed the demo orders (named each with its
        # contact once), so they hear the details; strangers are tested in
        # tests/actions/test_order_privacy.py.
        for order_id, (phone, _email) in DEMO_CONTACTS.items():
            prove_order(TRACKER_CHANNEL, TEST_CUSTOMER, order_id, phone, dt.datetime(2026, 1, 1),
                        engine=engine_for(url))
        return url

    yield seed
    for url in urls:
        engine_for(url).dispose()


@pytest.fixture
def orders_db(seeded_store) -> str:
    """The demo orders seeded with ``today`` = TODAY (2026-08-29)."""
    return seeded_store(TODAY)


@pytest.fixture(autouse=True)
def _no_stray_store(monkeypatch, tmp_path) -> None:
    """Keep every test off the developer's var/cxm.db (and its settings default).

    Autouse fixtures run first, so ``seeded_store`` overrides this.
    """
    monkeypatch.setenv("CXM_DATABASE_URL", f"sqlite:///{tmp_path / 'unseeded.db'}")

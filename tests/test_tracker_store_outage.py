"""An unreachable tracker store fails the turn (the channel answers 503); Rasa's fallback is kept for other errors.

And once PostgreSQL is back, the first turn works: no connection left from
before the cut is used.
"""
import asyncio
import time

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.tracker_store import MaskingSQLTrackerStore
from bot.tracker_store_outage import refuse_turns_while_tracker_store_down
from tests.tcp_proxy import TcpProxy


class BrokenStore(InMemoryTrackerStore):
    """A tracker store whose every call raises ``error``."""

    def __init__(self, error: Exception) -> None:
        super().__init__(Domain.empty())
        self.error = error

    async def retrieve(self, sender_id):
        raise self.error

    async def retrieve_full_tracker(self, sender_id):
        raise self.error

    async def save(self, tracker):
        raise self.error


OUTAGE = OperationalError("SELECT ...", {}, ConnectionRefusedError("connection refused"))


@pytest.fixture(autouse=True)
def installed():
    refuse_turns_while_tracker_store_down()


def test_an_unreachable_store_raises_instead_of_starting_a_blank_conversation():
    store = FailSafeTrackerStore(BrokenStore(OUTAGE))
    with pytest.raises(OperationalError):
        asyncio.run(store.retrieve("customer-1"))
    with pytest.raises(OperationalError):
        asyncio.run(store.retrieve_full_tracker("customer-1"))
    with pytest.raises(OperationalError):
        asyncio.run(store.save(DialogueStateTracker("customer-1", [])))
    assert asyncio.run(store.fallback_tracker_store.retrieve("customer-1")) is None, "nothing kept in memory"


def test_other_errors_keep_rasas_fallback():
    store = FailSafeTrackerStore(BrokenStore(ValueError("bad row")))
    assert asyncio.run(store.retrieve("customer-2")) is None
    asyncio.run(store.save(DialogueStateTracker("customer-2", [])))
    assert asyncio.run(store.fallback_tracker_store.retrieve("customer-2")) is not None


def test_the_first_turn_after_a_postgresql_cut_is_served(new_pg_database):
    """As a Rasa server started just before the cut: its only pooled connection is the one that created the tables."""
    url = make_url(new_pg_database())
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    store = MaskingSQLTrackerStore(
        domain=Domain.from_dict({"intents": ["greet"]}), dialect="postgresql", host="127.0.0.1", port=proxy.port,
        db=url.database, username=url.username, password=url.password,
    )
    try:
        proxy.cut()  # no customer wrote during the cut
        time.sleep(0.5)
        proxy.start()
        turn = DialogueStateTracker.from_events("customer-3", [ActionExecuted("action_listen"), UserUttered("halo")])
        asyncio.run(store.save(turn))
        assert asyncio.run(store.retrieve("customer-3")).latest_message.text == "halo"
    finally:
        store.engine.dispose()
        proxy.close()

"""Live events across console processes through Redis (``CXM_LIVE_REDIS_URL``).

Two ``python -m team_app`` processes over one store: a note written
through one reaches an agent's stream held by the other (notes are announced
by the route only, so only Redis can carry it), and a page that comes back on
the other process with its ``Last-Event-ID`` gets what it missed.
"""
import socket
from typing import Any, Iterator, Tuple

import pytest
from redis import Redis

from tests.console.conftest import Console, running_console, seed_waiting
from tests.console.test_console_live import EventReader

REDIS_DB = 15  # this feature's own database on the shared Redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def two_consoles(tmp_path_factory: Any, fake_rasa: Any, redis_url: str) -> Iterator[Tuple[Console, Console]]:
    url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    Redis.from_url(url).flushdb()
    data = tmp_path_factory.mktemp("two-consoles")
    with running_console(data, fake_rasa.url, free_port(), "console-redis-a", CXM_LIVE_REDIS_URL=url) as first:
        with running_console(data, fake_rasa.url, free_port(), "console-redis-b", CXM_LIVE_REDIS_URL=url) as second:
            yield first, second


def test_a_note_written_on_one_process_reaches_a_stream_on_the_other(two_consoles: Any, rasa: Any) -> None:
    first, second = two_consoles
    ids = seed_waiting(first.engine)
    author = first.client(first.user("agent"))
    assert author.post(f"/api/handoffs/{ids['handoff_id']}/claim").status_code == 200
    lead = second.client(first.user("lead"))
    reader = EventReader(lead)
    try:
        reader.next("hello")
        assert author.post(f"/api/handoffs/{ids['handoff_id']}/notes", {"text": "VIP"}).status_code == 200
        note = reader.next("note")
        assert note["data"] == '{"conversation_id": %d}' % ids["conversation_id"]
    finally:
        reader.close()


def test_a_page_back_on_the_other_process_gets_what_it_missed(two_consoles: Any, rasa: Any) -> None:
    first, second = two_consoles
    agent = first.client(first.user("agent"))
    on_first = EventReader(agent)
    on_first.next("hello")
    ids = seed_waiting(first.engine)
    seen = on_first.next("queue")
    on_first.close()
    colleague = first.client(first.user("agent"))  # claims while the page is away
    assert colleague.post(f"/api/handoffs/{ids['handoff_id']}/claim").status_code == 200
    agent.base = second.url  # the same login, now served by the other process
    again = EventReader(agent, last_event_id=int(seen["id"]))
    try:
        first_missed = again.events.get(timeout=5)
        if first_missed.get("event") == "hello":
            first_missed = again.events.get(timeout=5)
        # One numbering for all processes: the replay starts right after the last event seen.
        assert int(first_missed["id"]) == int(seen["id"]) + 1
        assert again.next("queue")  # the colleague's claim
    finally:
        again.close()

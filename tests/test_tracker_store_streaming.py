"""The events a turn publishes to the broker and stores are the ones Rasa would, without reading the conversation again.

``MaskingSQLTrackerStore.save`` counts the stored rows where Rasa's
own loads the stored tracker, or takes the count from the turn's own read;
over turns and a new session the published events must be exactly those
not stored yet, each once, in order.
"""
import asyncio
from typing import Any, Dict, List

from sqlalchemy import event

from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import MaskingSQLTrackerStore


class Collected(EventBroker):
    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.events.append(event)


def turn(text: str) -> list:
    return [UserUttered(text, {"name": "greet", "confidence": 0.9}), ActionExecuted("utter_greet"),
            BotUttered(f"re: {text}"), ActionExecuted("action_listen")]


def test_each_turn_publishes_only_its_new_events_across_a_new_session(tmp_path):
    broker = Collected()
    store = MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"),
                                   event_broker=broker)

    async def conversation() -> List[List[str]]:
        published = []
        for events in ([ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                        *turn("halo")], turn("ongkir?"), [SessionStarted(), ActionExecuted("action_listen"),
                                                          *turn("lagi")]):
            tracker = await store.retrieve("c-1") or DialogueStateTracker("c-1", [])
            for event in events:
                tracker.update(event)
            before = len(broker.events)
            await store.save(tracker)
            published.append([e.get("text") or e["event"] for e in broker.events[before:]])
        return published

    turns = asyncio.run(conversation())
    assert turns == [
        ["action", "session_started", "action", "halo", "action", "re: halo", "action"],
        ["ongkir?", "action", "re: ongkir?", "action"],
        ["session_started", "action", "lagi", "action", "re: lagi", "action"],
    ]
    # What is stored is what was published: every event once, in order.
    stored = asyncio.run(store.retrieve_full_tracker("c-1"))
    assert [e.as_dict().get("text") or e.type_name for e in stored.events] == [e for t in turns for e in t]


def test_a_turn_that_read_the_conversation_does_not_count_it_again(tmp_path):
    broker = Collected()
    store = MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"),
                                   event_broker=broker)
    counts: List[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: counts.append(statement) if "count(" in statement else None)

    async def read_then_save(text: str) -> None:
        tracker = await store.retrieve("c-2") or DialogueStateTracker("c-2", [])
        for e in turn(text):
            tracker.update(e)
        await store.save(tracker)

    async def save_unread(text: str) -> None:
        # Another request (its own context) that did not read this conversation.
        tracker = await store.retrieve_full_tracker("c-2")
        for e in turn(text):
            tracker.update(e)
        await store.save(tracker)

    for text in ("halo", "ongkir?"):
        asyncio.run(read_then_save(text))
    assert counts == []
    asyncio.run(save_unread("lagi"))
    assert len(counts) == 1
    stored = asyncio.run(store.retrieve_full_tracker("c-2"))
    texts = [e.as_dict().get("text") for e in stored.events if e.type_name in ("user", "bot")]
    assert texts == ["halo", "re: halo", "ongkir?", "re: ongkir?", "lagi", "re: lagi"]
    assert [e.get("text") for e in broker.events if e.get("text")] == texts

"""What a turn costs the tracker store: read the conversation, then save the turn's events.

Three ways, side by side in one run, interleaved so that the machine's
noise falls on each alike, on a fresh PostgreSQL database
``h13_bench_tracker_reads`` (dropped afterwards). Each repetition takes a
new conversation of ``--turns`` stored turns (stored before the clock
starts), reads it, adds one turn and saves:

- Rasa 3.6.21's own ``SQLTrackerStore``: the save reads the stored
  conversation again to find the new events, and counts the rows;
- ours, counting the rows: the save counts the latest session's events
  (as when the turn's read was not in the same request);
- ours, as shipped: the save takes that count from the turn's own read.

Every save publishes to a broker that only collects. Prints p50 and p99 in ms.

    .venv/bin/python -m bench.tracker_reads [--turns 10] [--repeat 200]
"""
import argparse
import asyncio
import statistics
import time
from typing import Any, Callable, Dict, List

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bench.throughput import drop_databases
from bot.scaled import ensure_database
from bot.tracker_store import MaskingSQLTrackerStore

URL = "postgresql://postgres@127.0.0.1:5432/h13_bench_tracker_reads"


class Collected(EventBroker):
    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.events.append(event)


def turn(n: int) -> list:
    return [UserUttered(f"brp ongkir ke medan kak? #{n}", {"name": "faq", "confidence": 0.9},
                        parse_data={"text": "x", "intent": {"name": "faq"}, "entities": [], "language": "id"}),
            ActionExecuted("action_answer_faq"), BotUttered("Ongkir dihitung dari berat paket ..."),
            ActionExecuted("action_listen")]


def conversation(sender: str, turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, [])
    for event in [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]:
        tracker.update(event)
    for n in range(turns):
        for event in turn(n):
            tracker.update(event)
    return tracker


async def rasa_turn(store: MaskingSQLTrackerStore, sender: str) -> None:
    tracker = await SQLTrackerStore._retrieve(store, sender, fetch_events_from_all_sessions=False)
    for event in turn(-1):
        tracker.update(event)
    await SQLTrackerStore.save(store, tracker)


async def counting_turn(store: MaskingSQLTrackerStore, sender: str) -> None:
    # The same rows read, without leaving their number for the save.
    tracker = await store.retrieve_full_tracker(sender)
    for event in turn(-1):
        tracker.update(event)
    await store.save(tracker)


async def shipped_turn(store: MaskingSQLTrackerStore, sender: str) -> None:
    tracker = await store.retrieve(sender)
    for event in turn(-1):
        tracker.update(event)
    await store.save(tracker)


WAYS: Dict[str, Callable[[MaskingSQLTrackerStore, str], Any]] = {
    "Rasa: reads it again and counts": rasa_turn,
    "ours: counts the rows": counting_turn,
    "ours: count from the turn's read": shipped_turn,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    ensure_database(URL)
    try:
        store = MaskingSQLTrackerStore(Domain.empty(), dialect="postgresql", host="127.0.0.1", port=5432,
                                       db="h13_bench_tracker_reads", username="postgres", event_broker=Collected())
        times: Dict[str, List[float]] = {name: [] for name in WAYS}
        for index in range(args.repeat):
            for name, way in WAYS.items():
                sender = f"bench-{index}-{len(times[name])}-{name[:4]}"
                asyncio.run(store.save(conversation(sender, args.turns)))
                started = time.perf_counter()
                asyncio.run(way(store, sender))
                times[name].append((time.perf_counter() - started) * 1000)
        print(f"a conversation of {args.turns} turns read and one turn saved, {args.repeat} times each way")
        for name, taken in times.items():
            taken.sort()
            print(f"{name:36} p50 {statistics.median(taken):6.2f} ms   p99 {taken[int(0.99 * (len(taken) - 1))]:6.2f} ms")
        store.engine.dispose()
    finally:
        drop_databases([URL])


if __name__ == "__main__":
    main()

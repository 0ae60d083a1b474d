"""What publishing a turn's events costs: Rasa's ``stream_events`` (reads the stored conversation) beside ours (counts it).

A conversation of ``--turns`` turns is saved in a fresh PostgreSQL database
``h13_bench_tracker_reads`` (dropped afterwards); then each variant
publishes one more turn's events ``--repeat`` times to a broker that only
collects them. Prints p50 and p99 in ms, Rasa's way first.

    .venv/bin/python -m bench.tracker_reads [--turns 10] [--repeat 200]
"""
import argparse
import asyncio
import statistics
import time
from typing import Any, Dict, List

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    ensure_database(URL)
    try:
        store = MaskingSQLTrackerStore(Domain.empty(), dialect="postgresql", host="127.0.0.1", port=5432,
                                       db="h13_bench_tracker_reads", username="postgres", event_broker=Collected())
        tracker = DialogueStateTracker("bench", [])
        for event in [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]:
            tracker.update(event)
        for n in range(args.turns):
            for event in turn(n):
                tracker.update(event)
        asyncio.run(store.save(tracker))
        for event in turn(args.turns):
            tracker.update(event)
        print(f"conversation of {args.turns} turns ({len(tracker.events)} events), {args.repeat} publishes each")
        for name, stream in (("Rasa: reads the conversation", SQLTrackerStore.stream_events),
                             ("ours: counts the rows", MaskingSQLTrackerStore.stream_events)):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                asyncio.run(stream(store, tracker))
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            print(f"{name:30} p50 {statistics.median(times):6.2f} ms   p99 {times[int(0.99 * (len(times) - 1))]:6.2f} ms")
        store.engine.dispose()
    finally:
        drop_databases([URL])


if __name__ == "__main__":
    main()

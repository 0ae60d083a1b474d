"""Reply latency over the REST webhook: p50, p99 and messages per second.

Starts the stack as `make run` does (SQLite tracker store, in-memory lock
store) on its own ports and fresh files, then sends FAQ questions and order
look-ups from 1 and from 20 customers at a time. Each customer holds
conversations of ``--turns`` messages (10 by default, a long support chat),
sending one message after another and waiting for each reply, then starts a
new conversation. Rasa's cost per message grows with the length of the
conversation (the whole tracker is replayed and sent to the action server), so
``--turns 100`` shows the cost in a very long one.

    make bench-latency        # or: .venv/bin/python -m bench.reply_latency
"""
import argparse
import json
import statistics
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

from bot.settings import FLOOD_LIMITS_OFF, BotSettings
from bot.stack import Stack

MESSAGES = {
    "faq": ["brp ongkir ke medan kak?", "how long does delivery take to bali?",
            "bisa bayar pakai cod gak?", "how do i return an item?"],
    "order": ["cek pesanan INV-2024-00123 dong", "where is my order INV-2024-00124?"],
}


def send(url: str, sender: str, text: str) -> float:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as reply:
        reply.read()
    return (time.perf_counter() - started) * 1000


def conversation(url: str, kind: str, turns: int) -> List[float]:
    sender = f"bench-{uuid.uuid4().hex[:8]}"
    send(url, sender, "halo")  # session start is not what is measured
    texts = MESSAGES[kind]
    return [send(url, sender, texts[i % len(texts)]) for i in range(turns)]


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(url: str, kind: str, customers: int, messages: int, turns: int) -> Dict[str, float]:
    """Each of ``customers`` sends ``messages`` messages, in conversations of ``turns``."""
    conversations = max(1, messages // turns)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=customers) as pool:
        runs = list(pool.map(
            lambda _: [ms for _ in range(conversations) for ms in conversation(url, kind, turns)],
            range(customers),
        ))
    elapsed = time.perf_counter() - started
    latencies = [ms for run in runs for ms in run]
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        # the greeting turn of each conversation counts toward throughput
        "msgs_per_s": (len(latencies) + customers * conversations) / elapsed,
        "messages": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation")
    parser.add_argument("--messages", type=int, default=100, help="messages per customer at 1 customer")
    parser.add_argument("--concurrent-messages", type=int, default=20, help="messages per customer at 20")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data:
        config = BotSettings(
            rasa_port=5305, action_port=5355, web_port=8305,
            tracker_store_url=f"sqlite:///{Path(data) / 'tracker.db'}",
            cxm_database_url=f"sqlite:///{Path(data) / 'cxm.db'}",
            extra_env=dict(FLOOD_LIMITS_OFF),  # measured as fast as it answers, many customers from one address
        )
        stack = Stack(config, log_dir=Path(data) / "logs").start()
        try:
            url = f"{config.rasa_url}/webhooks/rest/webhook"
            conversation(url, "faq", 10)  # warm-up: first TensorFlow calls are slow
            print(f"conversations of {args.turns} messages")
            print(f"{'kind':6} {'customers':>9} {'messages':>8} {'p50 ms':>7} {'p99 ms':>7} {'msg/s':>6}")
            for kind in ("faq", "order"):
                for customers, messages in ((1, args.messages), (20, args.concurrent_messages)):
                    r = measure(url, kind, customers, messages, args.turns)
                    print(f"{kind:6} {customers:>9} {r['messages']:>8} {r['p50_ms']:>7.1f} "
                          f"{r['p99_ms']:>7.1f} {r['msgs_per_s']:>6.1f}", flush=True)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()

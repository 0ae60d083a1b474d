"""Soak: the scaled topology at a steady load for 10 minutes; errors, lost messages, memory per process.

Starts ``make run-scaled`` as bench/throughput.py does (fresh ``h13_bench_*``
databases, its own RabbitMQ queue, ports from ``--port-base``), sends
``--customers`` REST customers each pausing ``--pause`` s between a reply
and the next message, and reads the resident memory (RSS) of every
supervised process at the start, the middle and the end of the load. Then
it waits for the capture consumer and counts, in the CX store, each answered
message: ``lost`` is answered but not stored, ``twice`` stored more than once.

    .venv/bin/python -m bench.soak [--minutes 10] [--customers 10] [--pause 0.2]
"""
import argparse
import threading
import time
from collections import Counter
from typing import Dict, List

from sqlalchemy import text

from bench.load import LoadResult, run_load
from bench.throughput import scaled_stack

PROGRAMS = ("rasa-1", "rasa-2", "actions-1", "actions-2", "capture-consumer", "console", "haproxy")
SETTLE_S = 60


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stored_counts(database_url: str, run: str) -> Counter:
    """How often each (sender, customer message) of this run is in the CX store."""
    from cxm_store.db import engine_for

    with engine_for(database_url).connect() as connection:
        rows = connection.execute(text(
            "SELECT i.external_id, m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "JOIN customer_identities i ON i.customer_id = c.customer_id "
            "WHERE m.sender = 'customer' AND i.external_id LIKE :run"
        ), {"run": f"{run}-%"}).all()
    return Counter((sender, message) for sender, message in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between a reply and the next message")
    parser.add_argument("--port-base", type=int, default=6250)
    args = parser.parse_args()
    seconds = args.minutes * 60
    run = f"soak-{int(time.time())}"
    with scaled_stack(args.port_base) as (rasa_url, stack):
        pids = {program: stack.pid(program) for program in PROGRAMS}
        memory: Dict[str, List[float]] = {program: [] for program in PROGRAMS}
        outcome: List[LoadResult] = []
        load = threading.Thread(target=lambda: outcome.append(
            run_load(rasa_url, args.customers, seconds, pause_s=args.pause, run=run)))
        started = time.monotonic()
        load.start()
        for at in (5, seconds / 2, seconds - 5):
            time.sleep(max(0.0, at - (time.monotonic() - started)))
            for program in PROGRAMS:
                memory[program].append(rss_mb(stack.pid(program)))
        load.join()
        result = outcome[0]
        restarted = [p for p in PROGRAMS if stack.pid(p) != pids[p]]
        deadline = time.monotonic() + SETTLE_S
        while True:
            stored = stored_counts(stack.settings.cxm_database_url, run)
            if all(stored[m] for m in result.answered) or time.monotonic() > deadline:
                break
            time.sleep(2)
    lost = sum(1 for m in result.answered if not stored[m])
    twice = sum(1 for count in stored.values() if count > 1)
    print(f"{args.minutes:g} min, {args.customers} customers pausing {args.pause} s: "
          f"{len(result.answered)} answered ({result.messages_per_s:.1f} msg/s), "
          f"p50 {result.p50_ms:.0f} ms, p99 {result.percentile_ms(0.99):.0f} ms, "
          f"errors {dict(result.errors) or 0}, lost {lost}, stored twice {twice}, "
          f"restarted {restarted or 'none'}")
    print(f"{'process':17} {'RSS MB start':>12} {'middle':>8} {'end':>8}")
    for program, samples in memory.items():
        print(f"{program:17} " + " ".join(f"{mb:>{w}.0f}" for mb, w in zip(samples, (12, 8, 8))))


if __name__ == "__main__":
    main()

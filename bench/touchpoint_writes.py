"""CX capture cost: store write rate of the capture worker, and what it adds to reply latency.

(a) Write rate: Rasa-shaped events (per turn: a customer message, a bot
    reply, and every 5th turn a survey question + answer) are published to a
    :class:`bot.capture.TouchpointRecorder` as fast as possible; the clock
    stops when the worker has stored them all. On SQLite (temp file) and on
    PostgreSQL (a scratch database through ``CXM_TEST_PG_ADMIN_URL``, default
    the local ``postgres`` database; skipped if unreachable).
(b) Reply latency over the REST webhook, stack started twice on the same
    ports: with the broker, and with ``CAPTURE_ENABLED=false`` (the broker
    becomes a no-op). Same traffic as bench/reply_latency.py (FAQ questions,
    1 and 10 concurrent conversations).

Prints figures only; no assertions.

    PYTHONPATH=. .venv/bin/python -m bench.touchpoint_writes [--skip-latency] [--skip-writes]
"""
import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.reply_latency import measure
from bot.capture import TouchpointRecorder
from cxm_store import schema
from cxm_store.db import engine_for
from tests.capture import events as ev

PG_ADMIN_URL = os.environ.get(
    "CXM_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def workload(conversations: int, turns: int) -> List[Dict]:
    """Events of ``conversations`` customers taking turns, interleaved like live traffic."""
    start = datetime(2026, 5, 6, 9, 0)
    out = []
    for turn in range(turns):
        for c in range(conversations):
            who = f"bench-{c}"
            at = start + timedelta(seconds=10 * turn, milliseconds=c)
            out.append(ev.user(who, f"brp ongkir ke medan kak? ({turn})", at, "faq/shipping"))
            out.append(ev.bot(who, "Ongkir ke Medan mulai Rp18.000, Kak.", at + timedelta(milliseconds=1)))
            if turn % 5 == 4:
                out.append(ev.slot(who, "survey_question", "csat", at + timedelta(milliseconds=2)))
                out.append(ev.slot(who, "survey_csat", 4, at + timedelta(milliseconds=3)))
    return out


def write_rate(url: str, conversations: int, turns: int, spool_dir: str) -> Dict[str, float]:
    events = workload(conversations, turns)
    messages = sum(1 for e in events if e["event"] in ("user", "bot"))
    recorder = TouchpointRecorder(database_url=url, spool_dir=spool_dir, sweep_interval=3600)
    try:
        publish_s = []
        cpu_started = time.process_time()
        started = time.perf_counter()
        for event in events:
            t0 = time.perf_counter()
            recorder.publish(event)
            publish_s.append(time.perf_counter() - t0)
        recorder.wait_idle(600)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        recorder.stop()
    return {
        "events": len(events),
        "messages": messages,
        "seconds": elapsed,
        "messages_per_s": messages / elapsed,
        "events_per_s": len(events) / elapsed,
        "publish_mean_us": statistics.mean(publish_s) * 1e6,
        "publish_max_us": max(publish_s) * 1e6,
        # CPU the capture costs the Rasa process per event (all threads): what
        # it takes from reply handling, whatever the disk or the load.
        "cpu_ms_per_event": cpu / len(events) * 1000,
        "rejected": recorder.rejected,
    }


def pg_scratch() -> Optional[str]:
    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"cxm_bench_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - a benchmark just says so
        print(f"PostgreSQL skipped: {error}")
        return None
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg(url: str) -> None:
    engine_for(url).dispose()
    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def bench_writes(conversations: int, turns: int) -> None:
    print(f"(a) capture worker write rate: {conversations} conversations x {turns} turns")
    print(f"{'store':10} {'events':>7} {'msgs':>6} {'s':>6} {'msg/s':>7} {'event/s':>8} "
          f"{'publish mean us':>15} {'max us':>7} {'CPU ms/event':>12}")
    with tempfile.TemporaryDirectory() as data:
        targets = [("sqlite", f"sqlite:///{Path(data) / 'cxm.db'}")]
        pg = pg_scratch()
        if pg:
            targets.append(("postgresql", pg))
        try:
            for name, url in targets:
                schema.upgrade(url)
                r = write_rate(url, conversations, turns, str(Path(data) / f"spool-{name}"))
                print(f"{name:10} {r['events']:>7} {r['messages']:>6} {r['seconds']:>6.1f} "
                      f"{r['messages_per_s']:>7.0f} {r['events_per_s']:>8.0f} "
                      f"{r['publish_mean_us']:>15.1f} {r['publish_max_us']:>7.0f} "
                      f"{r['cpu_ms_per_event']:>12.2f}"
                      + (f"  ({r['rejected']} rejected)" if r["rejected"] else ""), flush=True)
        finally:
            if pg:
                drop_pg(pg)


def bench_latency(rasa_port: int, action_port: int, turns: int, concurrent_turns: int) -> None:
    from bot.settings import FLOOD_LIMITS_OFF, BotSettings
    from bot.stack import Stack

    print(f"\n(b) REST reply latency (FAQ), ports {rasa_port}/{action_port}")
    results = {}
    for capture in ("true", "false"):
        os.environ["CAPTURE_ENABLED"] = capture  # the Rasa process inherits it
        with tempfile.TemporaryDirectory() as data:
            config = BotSettings(
                rasa_port=rasa_port, action_port=action_port, web_port=rasa_port + 3000,
                tracker_store_url=f"sqlite:///{Path(data) / 'tracker.db'}",
                cxm_database_url=f"sqlite:///{Path(data) / 'cxm.db'}",
                extra_env=dict(FLOOD_LIMITS_OFF),  # measured as fast as it answers, many customers from one address
            )
            stack = Stack(config, log_dir=Path(data) / "logs").start()
            try:
                url = f"{config.rasa_url}/webhooks/rest/webhook"
                measure(url, "faq", 1, 10)  # warm-up: first TensorFlow calls are slow
                results[capture] = {
                    1: measure(url, "faq", 1, turns),
                    10: measure(url, "faq", 10, concurrent_turns),
                }
            finally:
                stack.stop()
    os.environ.pop("CAPTURE_ENABLED", None)
    print(f"{'conversations':>13} {'capture':>8} {'messages':>8} {'p50 ms':>7} {'p99 ms':>7} {'msg/s':>6}")
    for n in (1, 10):
        for capture, label in (("true", "on"), ("false", "off")):
            r = results[capture][n]
            print(f"{n:>13} {label:>8} {r['messages']:>8} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
                  f"{r['msgs_per_s']:>6.1f}")
        on, off = results["true"][n], results["false"][n]
        print(f"{n:>13} {'on-off':>8} {'':>8} {on['p50_ms'] - off['p50_ms']:>+7.1f} "
              f"{on['p99_ms'] - off['p99_ms']:>+7.1f} {on['msgs_per_s'] - off['msgs_per_s']:>+6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=40, help="turns per conversation for (a)")
    parser.add_argument("--latency-turns", type=int, default=100)
    parser.add_argument("--concurrent-turns", type=int, default=20)
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("BENCH_RASA_PORT", 5405)))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("BENCH_ACTION_PORT", 5455)))
    parser.add_argument("--skip-writes", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if not args.skip_writes:
        bench_writes(args.conversations, args.turns)
    if not args.skip_latency:
        bench_latency(args.rasa_port, args.action_port, args.latency_turns, args.concurrent_turns)


if __name__ == "__main__":
    main()

"""Messages per second and p50/p99 at 1 and 20 customers: the stock bot, `make run` and the scaled topology.

One run, one table, on this machine, each stack started in turn on its own
ports (only one runs while it is measured):

* ``stock``: the bot ``rasa init --no-prompt`` creates (in-memory tracker, no
  action server), trained once into ``var/bench/stock-bot`` and reused, sent
  the messages it is built for (``hello``, ``I am sad``, ...);
* ``make run``: bot.stack (SQLite tracker and CX store, in-process capture,
  action server), fresh files;
* ``scaled``: bot.scaled (HAProxy, two Rasa servers, two action servers,
  PostgreSQL, Redis, RabbitMQ and the capture consumer), fresh databases
  ``h13_bench_*`` dropped afterwards, its own RabbitMQ queue deleted afterwards.

Serambi's two stacks get FAQ questions and order look-ups in both languages.
Customers hold conversations of 10 messages, each waiting for its reply
before the next. The CPU is shared with whatever else runs: compare rows of
one run, not figures of different runs.

    .venv/bin/python -m bench.throughput [--seconds 30] [--port-base 6200]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

from bench.load import SERAMBI_MESSAGES, STOCK_MESSAGES, LoadResult, run_load, send

ROOT = Path(__file__).resolve().parent.parent
STOCK_DIR = ROOT / "var" / "bench" / "stock-bot"
RASA = str(Path(sys.executable).with_name("rasa"))
READY_TIMEOUT_S = 600
WARM_UP_MESSAGES = 12


def wait_for_answers(rasa_url: str, message: str) -> None:
    """Until the bot answers ``message`` (Rasa listens before its model is loaded)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if send(f"{rasa_url}/webhooks/rest/webhook", f"warm-{uuid.uuid4().hex[:6]}", message, timeout=30):
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{rasa_url} gave no answer within {READY_TIMEOUT_S} s")


@contextmanager
def stock_bot(port: int) -> Iterator[str]:
    """The ``rasa init`` bot, created and trained on first use."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if not list((STOCK_DIR / "models").glob("*.tar.gz")):
        STOCK_DIR.mkdir(parents=True, exist_ok=True)
        print("creating and training the stock bot (rasa init --no-prompt), once ...", flush=True)
        subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(STOCK_DIR)], cwd=STOCK_DIR, env=env,
                       check=True, stdout=subprocess.DEVNULL)
    with open(STOCK_DIR / "run.log", "wb") as log:
        server = subprocess.Popen(
            [RASA, "run", "--model", "models", "--port", str(port), "--interface", "127.0.0.1"],
            cwd=STOCK_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(30)


@contextmanager
def embedded_stack(port_base: int) -> Iterator[str]:
    """``make run``: bot.stack on fresh SQLite files."""
    from bot.settings import FLOOD_LIMITS_OFF, BotSettings
    from bot.stack import Stack

    with tempfile.TemporaryDirectory() as data:
        config = BotSettings(
            rasa_port=port_base, action_port=port_base + 1, web_port=port_base + 2,
            tracker_store_url=f"sqlite:///{Path(data) / 'tracker.db'}",
            cxm_database_url=f"sqlite:///{Path(data) / 'cxm.db'}",
            extra_env=dict(FLOOD_LIMITS_OFF),  # measured as fast as it answers, many customers from one address
        )
        stack = Stack(config, log_dir=Path(data) / "logs").start()
        try:
            yield config.rasa_url
        finally:
            stack.stop()


@contextmanager
def scaled_stack(port_base: int, run: str = "") -> Iterator[Tuple[str, "ScaledStack"]]:  # noqa: F821
    """``make run-scaled`` on fresh ``h13_bench_*`` databases and its own RabbitMQ queue."""
    from bot.scaled import ScaledSettings, ScaledStack
    from bot.settings import FLOOD_LIMITS_OFF
    from tests.conftest import delete_capture_queues

    run = run or uuid.uuid4().hex[:6]
    pg = "postgresql://postgres@127.0.0.1:5432"
    settings = ScaledSettings(
        host="127.0.0.1", rasa_port=port_base, rasa_ports=(port_base + 1, port_base + 2),
        action_port=port_base + 3, action_ports=(port_base + 4, port_base + 5), web_port=port_base + 6,
        capture_health_port=port_base + 7, haproxy_stats_port=port_base + 8,
        tracker_store_url=f"{pg}/h13_bench_tracker_{run}", cxm_database_url=f"{pg}/h13_bench_cxm_{run}",
        webchat_push_url="redis://127.0.0.1:6379/13",
        capture_exchange=f"h13_bench.{run}", capture_queue=f"h13_bench.{run}.capture",
        run_dir=ROOT / "var" / "bench" / f"scaled-{run}",
        extra_env=dict(FLOOD_LIMITS_OFF),  # measured as fast as it answers, many customers from one address
    )
    stack = ScaledStack(settings)
    try:
        stack.start()
        yield settings.rasa_url, stack
    finally:
        stack.stop()
        delete_capture_queues(settings.capture_exchange, settings.capture_queue)
        drop_databases([settings.tracker_store_url, settings.cxm_database_url])


def drop_databases(urls: List[str]) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(urls[0]).set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        for url in urls:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def measure(name: str, rasa_url: str, messages: Tuple[str, ...], seconds: float) -> Dict[int, LoadResult]:
    wait_for_answers(rasa_url, messages[0])
    run_load(rasa_url, customers=2, seconds=0, messages=messages)  # nothing: threads and imports warm
    for n in range(WARM_UP_MESSAGES):  # first TensorFlow calls are slow
        send(f"{rasa_url}/webhooks/rest/webhook", f"warm-{n % 3}", messages[n % len(messages)])
    results = {customers: run_load(rasa_url, customers, seconds, messages) for customers in (1, 20)}
    print_row(name, results)
    return results


def print_row(name: str, results: Dict[int, LoadResult]) -> None:
    one, twenty = results[1], results[20]
    errors = sum(one.errors.values()) + sum(twenty.errors.values())
    print(f"{name:10} {one.p50_ms:>8.1f} {one.percentile_ms(0.99):>8.1f} {one.messages_per_s:>7.1f} "
          f"{twenty.messages_per_s:>8.1f} {twenty.p50_ms:>8.1f} {twenty.percentile_ms(0.99):>8.1f} "
          f"{len(one.latencies_ms) + len(twenty.latencies_ms):>8} {errors:>6}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="per row and number of customers")
    parser.add_argument("--port-base", type=int, default=6200)
    parser.add_argument("--only", choices=("stock", "make-run", "scaled"), action="append")
    args = parser.parse_args()
    stacks: List[Tuple[str, Callable, Tuple[str, ...]]] = [
        ("stock", lambda: stock_bot(args.port_base), STOCK_MESSAGES),
        ("make-run", lambda: embedded_stack(args.port_base + 10), SERAMBI_MESSAGES),
        ("scaled", lambda: scaled_stack(args.port_base + 20), SERAMBI_MESSAGES),
    ]
    print(f"{args.seconds:.0f} s per measurement; conversations of 10 messages; {os.cpu_count()} cores")
    print(f"{'':10} {'1 customer':^25} {'20 customers':^26}")
    print(f"{'stack':10} {'p50 ms':>8} {'p99 ms':>8} {'msg/s':>7} {'msg/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'answered':>8} {'errors':>6}", flush=True)
    for name, start, messages in stacks:
        if args.only and name not in args.only:
            continue
        with start() as started:
            rasa_url = started if isinstance(started, str) else started[0]
            measure(name, rasa_url, messages, args.seconds)


if __name__ == "__main__":
    main()

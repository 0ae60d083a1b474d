"""Speed of the closed-loop figures on a large synthetic history, cold and warm.

Times, per engine, the follow-up figures, the service-level breaches, the
funnel, a linked customer's journey and the per-conversation export (30
days) over the last 30 days and the full range of a synthetic history
(:func:`cxm_store.synthetic.generate`, which links customers and opens
follow-ups through :mod:`cxm_store.synthetic_journey`). The histories are
kept (``var/bench/journey-<n>.db``, PostgreSQL database ``h14_bench_<n>``)
and rebuilt only with ``--rebuild``. "cold" is the first call after the
engine is created (new connections, the OS file cache as it is); best and
median of ``--repeat`` warm calls follow.

    PYTHONPATH=. .venv/bin/python -m bench.journey_queries [--conversations 200000]
        [--engines sqlite,postgresql] [--repeat 3] [--rebuild]
"""
import argparse
import os
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cx_reports import journey
from cx_reports.follow_up_figures import follow_up_figures
from cx_reports.metrics import MetricFilter
from cx_reports.service_level_figures import service_level_breaches
from cxm_store import schema, synthetic
from cxm_store.db import engine_for

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("CXM_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
END = datetime(2026, 11, 1)
START = END - timedelta(days=183)


def _url(engine_name: str, conversations: int, rebuild: bool) -> str:
    if engine_name == "sqlite":
        path = ROOT / "var" / "bench" / f"journey-{conversations}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"h14_bench_{conversations}"
    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if rebuild:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).first():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _ensure(url: str, conversations: int) -> None:
    schema.upgrade(url)
    with engine_for(url).connect() as connection:
        have = connection.execute(text("SELECT count(*) FROM conversations")).scalar()
    if have < conversations:
        began = time.perf_counter()
        counts = synthetic.generate(engine_for(url), conversations, START, END)
        print(f"  generated in {time.perf_counter() - began:.1f} s: {counts}")


def run(url: str, repeat: int) -> None:
    engine = engine_for(url)
    with engine.connect() as connection:
        linked = connection.execute(text("SELECT customer_id FROM customer_links LIMIT 1")).scalar()
        sizes = connection.execute(text(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM follow_ups), "
            "(SELECT count(*) FROM handoffs), (SELECT count(*) FROM customer_links)")).one()
    print(f"  {sizes[0]:,} conversations, {sizes[1]:,} follow-ups, {sizes[2]:,} handoffs, "
          f"{sizes[3]:,} linked customers")
    filters = {"last 30 days": MetricFilter(start=END - timedelta(days=30), end=END),
               "full range": MetricFilter(start=START, end=END)}
    calls = {
        "follow-up figures": lambda f: follow_up_figures(f, END, engine=engine),
        "service levels": lambda f: service_level_breaches(f, END, engine=engine),
        "funnel": lambda f: journey.funnel(f, engine=engine),
        "export rows": lambda f: sum(1 for _ in journey.conversation_rows(f, engine=engine)),
    }
    print(f"  {'call':20} {'filter':14} {'cold s':>8} {'best s':>8} {'median s':>9}")
    for name, call in calls.items():
        for filter_name, flt in filters.items():
            engine.dispose()
            began = time.perf_counter()
            call(flt)
            cold = time.perf_counter() - began
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                call(flt)
                times.append(time.perf_counter() - began)
            print(f"  {name:20} {filter_name:14} {cold:8.3f} {min(times):8.3f} "
                  f"{statistics.median(times):9.3f}", flush=True)
    began = time.perf_counter()
    journey.customer_journey(linked, END, engine=engine)
    print(f"  {'one journey':20} {'linked':14} {time.perf_counter() - began:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    for name in args.engines.split(","):
        print(f"{name}:")
        url = _url(name, args.conversations, args.rebuild)
        _ensure(url, args.conversations)
        run(url, args.repeat)


if __name__ == "__main__":
    main()

"""Dashboard metric queries at 1,000,000 conversations, from the conversations (before
the daily rollups) and from the rollups, side by side with the 300 ms target.

Uses the histories of ``bench.metrics_summary`` (generated once by
``cxm_store.synthetic.generate``; here in ``var/bench/<name>-1m.db`` and the
PostgreSQL database ``<name>_1m``), upgrades them (migration 0011 builds the
rollup: its time is printed), then times each dashboard call for the last 30
days, the full range (183 days) and the full range for telegram + English.
"cold" is the call's first run in this process on a fresh connection pool
(the operating system's file cache is not dropped: other sessions share the
machine); "best" is the best of ``--repeat`` further runs.

    PYTHONPATH=. .venv/bin/python -m bench.rollup_figures [--engines sqlite,postgresql]
        [--name cxm_bench] [--repeat 3]
"""
import argparse
import os
import time
from datetime import timedelta
from typing import Callable, Dict, List, Tuple

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.metrics_summary import END, PG_ADMIN_URL, ROOT, START, _ensure
from cx_reports import metrics as m
from cx_reports import rollup_figures
from cxm_store import schema
from cxm_store.db import engine_for

TARGET_S = 0.300


def _urls(name: str) -> Dict[str, str]:
    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": f"{name}_1m"}
        ).first():
            connection.execute(text(f'CREATE DATABASE "{name}_1m"'))
    admin.dispose()
    return {
        "sqlite": f"sqlite:///{ROOT / 'var' / 'bench' / f'{name}-metrics-1m.db'}",
        "postgresql": make_url(PG_ADMIN_URL).set(database=f"{name}_1m").render_as_string(
            hide_password=False
        ),
    }


def _calls(engine) -> List[Tuple[str, Callable]]:
    filters = {
        "30 days": m.MetricFilter(start=END - timedelta(days=30), end=END),
        "full range": m.MetricFilter(start=START, end=END),
        "full tg+en": m.MetricFilter(start=START, end=END, channel="telegram", language="en"),
    }
    calls = {
        "summary": lambda f: m.summary(f, engine),
        "compare_previous": lambda f: m.compare_previous(f, engine),
        "breakdown channel": lambda f: m.breakdown(f, "channel", engine),
        "breakdown language": lambda f: m.breakdown(f, "language", engine),
        "breakdown topic": lambda f: m.breakdown(f, "topic", engine),
        "breakdown agent": lambda f: m.breakdown(f, "agent", engine),
        "timeseries day": lambda f: m.timeseries("csat_percent", f, "day", engine),
        "timeseries week": lambda f: m.timeseries("fcr_rate", f, "week", engine),
    }
    return [
        (f"{call_name} / {filter_name}", lambda c=call, f=flt: c(f))
        for call_name, call in calls.items()
        for filter_name, flt in filters.items()
    ]


def _times(call: Callable, repeat: int) -> Tuple[float, float]:
    runs = []
    for _ in range(1 + repeat):
        began = time.perf_counter()
        call()
        runs.append(time.perf_counter() - began)
    return runs[0], min(runs[1:]) if repeat else runs[0]


def measure(url: str, use_rollups: bool, repeat: int) -> Dict[str, Tuple[float, float]]:
    """(cold, best) seconds per call, with or without the rollups."""
    engine = create_engine(url, future=True)  # a fresh pool: the first run is cold
    if url.startswith("sqlite"):
        engine = engine_for(url)
        engine.dispose()
    original = rollup_figures.usable
    if not use_rollups:
        rollup_figures.usable = lambda connection, flt, by=None: False
    try:
        return {name: _times(call, repeat) for name, call in _calls(engine)}
    finally:
        rollup_figures.usable = original
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--name", default="cxm_bench", help="database name prefix")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    urls = _urls(args.name)
    results = {}
    for engine_name in args.engines.split(","):
        url = urls[engine_name]
        _ensure(url, 1_000_000)  # generates when missing; upgrades (0011 builds the rollup)
        began = time.perf_counter()
        schema.upgrade(url)
        print(f"{engine_name}: upgraded in {time.perf_counter() - began:.1f} s", flush=True)
        results[engine_name] = {
            "rows": measure(url, False, args.repeat),
            "rollups": measure(url, True, args.repeat),
        }
    engines = list(results)
    print(f"\nload average: {os.getloadavg()[0]:.1f} (2 cores)")
    header = f"{'query / filter':34}" + "".join(
        f" {e[:6] + ' rows':>12} {e[:6] + ' rollup':>13} {'best':>6}" for e in engines
    )
    print(header + "  target")
    for name in results[engines[0]]["rows"]:
        line = f"{name:34}"
        for e in engines:
            rows_cold = results[e]["rows"][name][0]
            cold, best = results[e]["rollups"][name]
            flag = "" if cold <= TARGET_S else "*"
            line += f" {rows_cold * 1000:10.0f}ms {cold * 1000:10.0f}ms{flag:1} {best * 1000:5.0f}"
        print(line + f"  {TARGET_S * 1000:.0f} ms", flush=True)
    print("(rows: cold, from the conversations; rollup: cold and best of the repeats,"
          " in ms; * over the target)")


if __name__ == "__main__":
    main()

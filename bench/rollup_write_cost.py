"""What the follow-up and service-level rollups' triggers (migrations 0014, 0015) cost a write.

On a fresh SQLite store (temp file), ``--customers`` customers in a row each
write a message, go through a handoff (request, claim, first reply, resolve),
answer CSAT 2 (a follow-up opens) and write once more; the median time of a
message, a handoff step and a survey answer is printed with every trigger on,
and with the follow-up or the service-level triggers dropped, or both. The store
keeps its SQLite connections open (``cxm_store.db``); before it did, each call
opened its own and the figures were mostly SQLite parsing the schema and its
triggers again. Figures only; no assertions.

    PYTHONPATH=. .venv/bin/python -m bench.rollup_write_cost [--customers 150]
"""
import argparse
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from typing import Dict, List, Sequence

from cxm_store import follow_up_rollups, schema, service_level_rollups
from cxm_store.db import engine_for
from cxm_store.events import (
    AgentFirstReply,
    CustomerSaid,
    HandoffClaimed,
    HandoffRequested,
    HandoffResolved,
    SurveyAnswered,
    record,
)

START = datetime(2024, 5, 6, 3)


def _timed(into: List[float], event, engine):
    """Record ``event`` through the store's one write path, timing it into ``into``."""
    began = time.perf_counter()
    result = record(event, engine)
    into.append(time.perf_counter() - began)
    return result


def run(customers: int, dropped: Sequence) -> Dict[str, float]:
    """Median ms per write kind on a new store, without the triggers of the modules
    ``dropped``.
    """
    url = f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'writes.db')}"
    schema.upgrade(url)
    engine = engine_for(url)
    with engine.begin() as connection:
        for rollup in dropped:
            rollup.drop_triggers(connection)
    times: Dict[str, List[float]] = {"message": [], "handoff step": [], "survey answer": []}
    for n in range(customers):
        at = START + timedelta(minutes=n)
        conversation = _timed(times["message"], CustomerSaid(
            "web", f"w{n}", "tolong", at, "id", intent="complain"), engine)
        handoff = _timed(times["handoff step"], HandoffRequested(
            conversation, at + timedelta(seconds=10), "request"), engine)
        for step in (HandoffClaimed(handoff, "ani", at + timedelta(seconds=20)),
                     AgentFirstReply(handoff, at + timedelta(seconds=30)),
                     HandoffResolved(handoff, at + timedelta(seconds=40))):
            _timed(times["handoff step"], step, engine)
        _timed(times["survey answer"], SurveyAnswered(
            conversation, "csat", at + timedelta(seconds=50), score=2), engine)
        _timed(times["message"], CustomerSaid(
            "web", f"w{n}", "masih?", at + timedelta(seconds=55), "id", intent="complain"), engine)
    engine.dispose()
    return {kind: statistics.median(values) * 1000 for kind, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=150)
    args = parser.parse_args()
    print(f"  {'triggers':40} {'message':>8} {'handoff step':>13} {'survey answer':>14}  (median ms)")
    both = (follow_up_rollups, service_level_rollups)
    for name, dropped in (("all", ()), ("without the follow-up ones", both[:1]),
                          ("without the service-level ones", both[1:]),
                          ("without either (the rollups up to 0013)", both), ("all", ())):
        figures = run(args.customers, dropped)
        print(f"  {name:40} {figures['message']:8.1f} {figures['handoff step']:13.1f} "
              f"{figures['survey answer']:14.1f}", flush=True)
    print(f"  load average {os.getloadavg()[0]:.1f} (2 cores)")


if __name__ == "__main__":
    main()

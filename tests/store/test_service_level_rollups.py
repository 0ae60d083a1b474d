"""Service-level breaches read settled handoffs of whole Jakarta days from
``service_level_days`` (migration 0015), running ones and partial days from the handoffs,
and equal the row-by-row query (SQLite and PostgreSQL).

The handoffs of tests/store/test_service_levels.py (conversations start a minute before):
H1 web ani 05-06 03:00 UTC (Jakarta 05-06), wait breach; H2 telegram budi 05-06 23:30 UTC
(Jakarta 05-07), resolution breach; H3 rest ani 05-07 04:00 UTC, first-response breach;
H4 web 05-08 09:50 UTC (Jakarta 05-08), still waiting at NOW (running): wait breach.
"""
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from cx_reports import service_level_figures as figures
from cxm_store import rollups, service_level_rollups
from cxm_store.service_levels import ServiceLevels
from tests.store.test_journey_rollups import JAKARTA, UTC_EDGES, WHOLE_DAYS
from tests.store.test_service_levels import NOW, handoffs, targets  # noqa: F401  (fixtures)

WINDOWS = {
    "whole days": WHOLE_DAYS,
    "UTC edges": UTC_EDGES,
    "web, whole days": replace(WHOLE_DAYS, channel="web"),
    "id, whole days": replace(WHOLE_DAYS, language="id"),
    "telegram, UTC edges": replace(UTC_EDGES, channel="telegram"),
}
# handoffs, breaches of the wait, the first response and the resolution.
EXPECTED = {
    "whole days": (4, 2, 1, 1),
    "UTC edges": (3, 1, 1, 1),  # H1 (edge), H2 H3 (Jakarta 05-07 from the rollup)
    "web, whole days": (2, 2, 0, 0),  # H1 (rollup), H4 (running)
    "id, whole days": (4, 2, 1, 1),
    "telegram, UTC edges": (1, 0, 0, 1),
}


def _row_by_row(engine, flt, levels):
    """The figures of the query over every handoff of the window (no rollup)."""
    with engine.connect() as connection:
        rows = figures._from_rows(connection, flt, NOW, levels)
    by_agent: dict = {}
    for agent, _, _count, *breaches in rows:
        totals = by_agent.setdefault(agent, [0, 0, 0])
        by_agent[agent] = [a + int(b or 0) for a, b in zip(totals, breaches)]
    return sum(row[2] for row in rows), {agent: dict(zip(service_level_rollups.CLOCKS, counts))
                                         for agent, counts in by_agent.items()}


@pytest.mark.parametrize("window", WINDOWS)
def test_breaches_from_the_rollup_equal_the_rows(handoffs, window):  # noqa: F811
    flt = WINDOWS[window]
    with handoffs.connect() as connection:
        assert service_level_rollups.rollup_levels(connection) == \
            service_level_rollups.levels_key(ServiceLevels())
    shown = figures.service_level_breaches(flt, NOW, engine=handoffs)
    assert (shown["handoffs"], *shown["breaches"].values()) == EXPECTED[window]
    assert (shown["handoffs"], shown["by_agent"]) == _row_by_row(handoffs, flt, ServiceLevels())


def test_other_targets_are_counted_from_the_rows(handoffs):  # noqa: F811
    # A wait target of 8 minutes: H1 (7 min) is no breach; the rollup holds the configured one.
    patient = ServiceLevels(handoff_wait=timedelta(minutes=8))
    shown = figures.service_level_breaches(WHOLE_DAYS, NOW, engine=handoffs, levels=patient)
    assert (shown["handoffs"], *shown["breaches"].values()) == (4, 1, 1, 1)


def _rollup_rows(engine):
    r = service_level_rollups.service_level_days
    with engine.connect() as connection:
        rows = connection.execute(select(r).where(r.c.handoffs != 0)).all()
    return sorted((str(row.day), *row[:1], *row[2:]) for row in rows)


def test_the_triggers_keep_what_a_rebuild_counts(handoffs):  # noqa: F811
    kept = _rollup_rows(handoffs)
    # Settled: H1 on Jakarta 05-06, H2 and H3 on 05-07 (H4 still runs), each also per topic.
    assert sorted((day, topic, n) for day, topic, *_, n, _, _, _ in kept) == [
        ("2024-05-06", "", 1), ("2024-05-06", "faq/returns", 1),
        ("2024-05-07", "", 1), ("2024-05-07", "", 1),
        ("2024-05-07", "complain", 1), ("2024-05-07", "complain", 1)]
    with handoffs.begin() as connection:
        rollups.rebuild(connection, JAKARTA)
    assert _rollup_rows(handoffs) == kept

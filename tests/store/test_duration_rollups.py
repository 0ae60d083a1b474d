"""Handoff percentiles from the daily duration histograms (migration 0012): exact while a
window holds few handoffs; beyond that, hand-computed values within the stated bound (1 s + 5 %), the same as the exact percentiles within it for
every window and grouping, and a rebuild gives the rows the triggers kept through claims,
resolutions, agent and topic changes and erasure (SQLite and PostgreSQL).

Hand-computed set (May 2024, one web customer each, all claimed by ani):
  waits 10, 45, 130, 1,000 and 7,200 s; the last two also resolved after 2 h and 30 h.
  First agent replies 30 s after each claim: median 160 s.
  Wait median: the 3rd of 5 = 130 s; p90: position 0.9 * 4 = 3.6 -> 1,000 + 0.6 * 6,200 = 4,720 s.
  Resolution median (7,200, 108,000): 57,600 s; p90: 7,200 + 0.9 * 100,800 = 97,920 s.
"""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cx_reports import duration_figures, metric_sql, rollup_figures, voice
from cx_reports import metrics as m
from cx_reports.duration_figures import percentile_values
from cx_reports.metrics import GROUPINGS, MetricFilter
from cxm_store import duration_rollups, rollups
from cxm_store.handoffs import (
    claim_handoff,
    record_first_agent_reply,
    request_handoff,
    resolve_handoff,
)
from cxm_store.touchpoints import record_customer_message
from tests.store.test_rollups import WINDOWS

MAY = MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1))


def within_bound(exact):
    return pytest.approx(exact, abs=duration_rollups.error_bound(exact))


@pytest.fixture
def waits(engine):
    at = datetime(2024, 5, 6, 3)
    for n, (wait, resolved) in enumerate(((10, None), (45, None), (130, None), (1000, 7200),
                                          (7200, 30 * 3600))):
        start = at + timedelta(hours=n)
        conversation = record_customer_message("web", f"w{n}", "minta CS", start, "id",
                                               intent="complain", engine=engine)
        handoff = request_handoff(conversation, start, reason="request", engine=engine)
        claim_handoff(handoff, "ani", start + timedelta(seconds=wait), engine=engine)
        record_first_agent_reply(handoff, start + timedelta(seconds=wait + 30), engine=engine)
        if resolved is not None:
            resolve_handoff(handoff, start + timedelta(seconds=resolved), engine=engine)
    return engine


@pytest.fixture
def histograms_answer(monkeypatch):
    """The histograms answer however few handoffs a window holds (as for a busy shop)."""
    monkeypatch.setattr(duration_figures, "EXACT_UP_TO", 0)


def test_a_window_with_few_handoffs_gets_the_exact_percentiles(waits):
    values = m.summary(MAY, waits)
    assert (values["handoff_wait_median_s"], values["handoff_wait_p90_s"]) == (130, 4720)
    assert (values["handoff_resolution_median_s"], values["handoff_resolution_p90_s"]) == (57600, 97920)
    assert voice.first_response_median_seconds(MAY, waits) == 160
    with waits.connect() as connection:
        assert rollup_figures.usable(connection, MAY)  # the histograms could have answered


def test_hand_computed_percentiles_within_the_bound(waits, histograms_answer):
    values = m.summary(MAY, waits)
    assert values["handoff_wait_median_s"] == within_bound(130)
    assert values["handoff_wait_p90_s"] == within_bound(4720)
    assert values["handoff_resolution_median_s"] == within_bound(57600)
    assert values["handoff_resolution_p90_s"] == within_bound(97920)
    assert voice.first_response_median_seconds(MAY, waits) == within_bound(160)
    # The bound is tight enough to matter: 1 s + 5 % of 130 s is 7.5 s.
    assert duration_rollups.error_bound(130) == pytest.approx(7.5)
    with waits.connect() as connection:
        counted = connection.execute(
            select(duration_rollups.handoff_durations.c.handoffs).where(
                duration_rollups.handoff_durations.c.topic == "",
                duration_rollups.handoff_durations.c.span == "day",
                duration_rollups.handoff_durations.c.clock == "wait")
        ).scalars().all()
    assert sum(counted) == 5


def test_percentile_of_bucket_counts():
    # Two durations in the 10-11 s bucket sit at 10.25 and 10.75 s; one at 1,000 s
    # (bucket [964, 1012)) sits in the middle of it.
    ten = duration_rollups.BOUNDS.index(10)
    thousand = max(b for b, low in enumerate(duration_rollups.BOUNDS) if low <= 1000)
    counts = {ten: 2, thousand: 1}
    low, high = duration_rollups.BOUNDS[thousand:thousand + 2]
    assert duration_rollups.percentile(counts, 0) == pytest.approx(10.25)
    assert duration_rollups.percentile(counts, 50) == pytest.approx(10.75)
    assert duration_rollups.percentile(counts, 100) == pytest.approx((low + high) / 2)
    assert high - low <= 0.05 * low
    assert duration_rollups.percentile({}, 50) is None


@pytest.mark.parametrize(
    ("window", "by"),
    [(window, by) for window, flt in enumerate(WINDOWS)
     for by in (None,) + GROUPINGS + ("day", "week")[: 2 if flt.start else 0]],
)
def test_histogram_percentiles_match_the_exact_ones_within_the_bound(history, window, by,
                                                                    histograms_answer):
    engine, _, _ = history
    flt = WINDOWS[window]
    with engine.connect() as connection:
        exact = metric_sql.percentile_values(connection, flt, by)
        from_histograms = percentile_values(connection, flt, by)
    for group, values in exact.items():
        for metric, value in values.items():
            if value is None:
                assert from_histograms[group][metric] is None
            else:
                assert from_histograms[group][metric] == within_bound(value), (group, metric)
    assert {g for g, v in from_histograms.items() if any(x is not None for x in v.values())} == {
        g for g, v in exact.items() if any(x is not None for x in v.values())}


def _rows(connection):
    d = duration_rollups.handoff_durations
    return sorted(
        (row.topic, row.span, str(row.day), *row[4:])
        for row in connection.execute(select(d).where(d.c.handoffs != 0)).all()
    )


def test_rebuild_gives_the_rows_the_triggers_kept(waits):
    engine = waits
    # Another agent takes over a conversation, another topic joins it, one is erased.
    with engine.begin() as connection:
        first, second, last = connection.exec_driver_sql(
            "SELECT id FROM conversations ORDER BY id").scalars().all()[:3]
        connection.exec_driver_sql(f"UPDATE conversations SET agent = 'budi' WHERE id = {first}")
        connection.exec_driver_sql(
            f"INSERT INTO conversation_topics (conversation_id, topic, first_seen_at) "
            f"VALUES ({second}, 'faq/returns', '2024-05-06 05:00:00')")
        connection.exec_driver_sql(f"DELETE FROM conversations WHERE id = {last}")
    with engine.connect() as connection:
        kept = _rows(connection)
        assert rollup_figures.usable(connection, MAY)
    with engine.begin() as connection:
        rollups.rebuild(connection, "Asia/Jakarta")
    with engine.connect() as connection:
        rebuilt = _rows(connection)
    assert kept and rebuilt == kept
    assert sum(r[-1] for r in kept if r[:2] == ("", "month") and r[6] == "wait") == 4
    # The added topic: under its own agent, and under any channel, language and agent.
    assert {(r[5], r[6]) for r in kept if r[0] == "faq/returns"} == {
        ("ani", "wait"), ("ani", "first_response"), ("*", "wait"), ("*", "first_response")}

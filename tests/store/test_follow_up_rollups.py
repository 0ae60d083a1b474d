"""The follow-up figures read whole Jakarta days from ``follow_up_days`` (migration 0014) and
partial days from the follow-ups, and equal a row-by-row reference (SQLite and PostgreSQL).

The closed loop of tests/store/test_follow_ups.py (F1 web a: CSAT 2 at 05-06 02:05 UTC,
closed after 3 h in time, a's next CSAT 4: +2; F2 telegram b: NPS 3 at 05-06 13:30 UTC,
closed after 21 h late, b's next NPS 8: +5; F3 rest c: not resolved at 05-07 23:30 UTC =
Jakarta 05-08, open and breached at NOW), plus
  E  telegram e, English: CSAT 1 at 05-07 16:35 UTC (Jakarta 05-07 23:35), closed after
     24 h late (due 05-08 09:00 UTC); e's next CSAT 3 on 05-20: +2.
"""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cx_reports import follow_up_figures as figures
from cx_reports.metrics import MetricFilter
from cxm_store import follow_up_rollups, follow_ups, rollups
from cxm_store.duration_rollups import error_bound
from cxm_store.journey_models import FollowUp
from cxm_store.models import Conversation, SurveyAnswer
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import record_customer_message
from tests.store.test_follow_ups import NOW, jakarta_hours, loop  # noqa: F401  (fixtures)
from tests.store.test_journey_rollups import JAKARTA, windows

# Jakarta 05-06 .. 05-08 whole (rollup only); from 05-06 03:00 UTC to 05-09 00:00 UTC:
# Jakarta 05-07 and 05-08 from the rollup, 05-06 10:00-24:00 and 05-09 00:00-07:00 from rows.
WHOLE_DAYS = MetricFilter(start=datetime(2024, 5, 5, 17), end=datetime(2024, 5, 8, 17),
                          zone=JAKARTA)
UTC_EDGES = MetricFilter(start=datetime(2024, 5, 6, 3), end=datetime(2024, 5, 9), zone=JAKARTA)
WINDOWS = windows(WHOLE_DAYS, UTC_EDGES)
NAMES = ("opened", "closed", "closed_in_time", "open_breached", "median_close_seconds",
         "score_change", "score_changes")
EXPECTED = {
    # F1 F2 F3 E: closes 3 h, 21 h, 24 h; changes +2 +5 +2.
    "whole days": (4, 3, 1, 1, 75600.0, 3.0, 3),
    # F2 (edge) E F3 (rollup): closes 21 h, 24 h; changes +5 +2.
    "UTC edges": (3, 2, 0, 1, 81000.0, 3.5, 2),
    "web, whole days": (1, 1, 1, 0, 10800.0, 2.0, 1),
    "en, UTC edges": (1, 1, 0, 0, 86400.0, 2.0, 1),
}


@pytest.fixture
def closed_loop(loop):  # noqa: F811  (the imported fixture)
    engine, ids = loop
    e = record_customer_message("telegram", "e", "halo", datetime(2024, 5, 7, 16, 30), "en",
                                intent="faq/returns", engine=engine)
    at = datetime(2024, 5, 7, 16, 35)
    record_survey_answer(e, "csat", 1, at, at, engine=engine)
    opened = follow_ups.list_follow_ups(NOW, engine=engine, customer_id=None)
    f = next(f for f in opened if f.conversation_id == e)
    follow_ups.close(f.id, "reached", "rina", at + timedelta(hours=24), engine=engine)
    e2 = record_customer_message("telegram", "e", "halo lagi", datetime(2024, 5, 20, 3), "en",
                                 intent="faq/returns", engine=engine)
    later = datetime(2024, 5, 20, 3, 5)
    record_survey_answer(e2, "csat", 3, later, later, engine=engine)
    return engine


def _reference(engine, flt):
    """The follow-up figures counted row by row, in Python (the exact median)."""
    c = Conversation
    with engine.connect() as connection:
        rows = connection.execute(
            select(FollowUp).join(c, c.id == FollowUp.conversation_id)
            .where(*figures.conversation_conditions(flt, period_of=FollowUp.opened_at))).all()
        answers = connection.execute(
            select(SurveyAnswer).where(SurveyAnswer.status == "answered",
                                       SurveyAnswer.score.isnot(None))
            .order_by(SurveyAnswer.asked_at, SurveyAnswer.id)).all()
    closed = sorted((r.closed_at - r.opened_at).total_seconds() for r in rows if r.closed_at)
    changes = []
    for r in rows:
        later = [a.score for a in answers if r.reason in ("csat", "nps")
                 and a.customer_id == r.customer_id and a.kind == r.reason
                 and a.asked_at > r.opened_at and a.conversation_id != r.conversation_id]
        if later:
            changes.append(later[0] - r.score)
    middle = len(closed) // 2
    median = None if not closed else (
        closed[middle] if len(closed) % 2 else (closed[middle - 1] + closed[middle]) / 2)
    return (len(rows), len(closed), sum(1 for r in rows if r.closed_at and r.closed_at <= r.due_at),
            sum(1 for r in rows if r.closed_at is None and r.due_at < NOW), median,
            round(sum(changes) / len(changes), 2) if changes else None, len(changes))


@pytest.mark.parametrize("window", WINDOWS)
def test_follow_up_figures_from_the_rollup_equal_the_rows(closed_loop, window):
    flt = WINDOWS[window]
    shown = figures.follow_up_figures(flt, NOW, engine=closed_loop)
    assert tuple(shown[name] for name in NAMES) == EXPECTED[window]
    assert tuple(shown[name] for name in NAMES) == _reference(closed_loop, flt)


def test_the_median_from_the_close_time_buckets_is_within_the_bound(closed_loop, monkeypatch):
    monkeypatch.setattr(figures, "EXACT_UP_TO", 0)  # read the buckets however few closed
    for window, flt in WINDOWS.items():
        exact = EXPECTED[window][4]
        median = figures.follow_up_figures(flt, NOW, engine=closed_loop)["median_close_seconds"]
        assert abs(median - exact) <= error_bound(exact), window


def _rollup_rows(engine):
    r = follow_up_rollups.follow_up_days
    with engine.connect() as connection:
        rows = connection.execute(select(r).where(r.c.follow_ups != 0)).all()
    return sorted((str(row.day), *row[:1], *row[2:]) for row in rows)


def test_the_triggers_keep_what_a_rebuild_counts(closed_loop):
    kept = _rollup_rows(closed_loop)
    # F1 F2 on Jakarta 05-06, E on 05-07, F3 on 05-08; each also under faq/returns.
    assert sorted({(day, topic) for day, topic, *_ in kept}) == [
        (day, topic) for day in ("2024-05-06", "2024-05-07", "2024-05-08")
        for topic in ("", "faq/returns")]
    with closed_loop.begin() as connection:
        rollups.rebuild(connection, JAKARTA)
    assert _rollup_rows(closed_loop) == kept

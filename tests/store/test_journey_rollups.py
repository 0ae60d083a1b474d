"""The funnel and the negative-sentiment trend read whole Jakarta days from the daily rollup
(migration 0013) and partial days from the rows, and equal a row-by-row reference (SQLite and
PostgreSQL).

Five conversations (UTC; Jakarta is UTC+7), a stand-in classifier by keyword:
  K1 web id       05-06 02:00 (Jkt 05-06 09:00)  "kecewa" negative; bot; resolved; NPS 10
  K2 telegram en  05-06 16:30 (Jkt 05-06 23:30)  "makasih" positive; bot; handed off; escalated
  K3 web en       05-06 17:30 (Jkt 05-07 00:30)  "halo" neutral; no bot reply; abandoned
  K4 web id       05-07 23:30 (Jkt 05-08 06:30)  "kecewa" negative; bot; resolved; CSAT 2
  K5 rest id      05-08 10:00 (Jkt 05-08 17:00)  "ok" not scored; bot; resolved; no survey
"""
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from pytest import approx
from sqlalchemy import func, select

from cx_reports import journey, rollup_figures, voice
from cx_reports.metric_sql import filter_conditions
from cx_reports.metrics import MetricFilter
from cxm_store import rollups, sentiment, shoptime
from cxm_store.handoffs import claim_handoff, request_handoff
from cxm_store.models import Conversation
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import close_conversation, record_bot_message, record_customer_message

JAKARTA = "Asia/Jakarta"
MIN = timedelta(minutes=1)
READINGS = {"kecewa": sentiment.Sentiment("negative", -0.8),
            "makasih": sentiment.Sentiment("positive", 0.6),
            "halo": sentiment.Sentiment("neutral", 0.0)}
# Jakarta 05-06 .. 05-08, whole days (rollup only), and between UTC midnights 05-06 and
# 05-08: Jakarta 05-07 from the rollup, 05-06 07:00-24:00 and 05-08 00:00-07:00 from the rows.
WHOLE_DAYS = MetricFilter(start=datetime(2024, 5, 5, 17), end=datetime(2024, 5, 8, 17),
                          zone=JAKARTA)
UTC_EDGES = MetricFilter(start=datetime(2024, 5, 6), end=datetime(2024, 5, 8), zone=JAKARTA)


def windows(whole_days: MetricFilter, utc_edges: MetricFilter) -> dict:
    """The windows under test: whole Jakarta days and UTC edges, alone and filtered."""
    return {
        "whole days": whole_days,
        "UTC edges": utc_edges,
        "web, whole days": replace(whole_days, channel="web"),
        "en, UTC edges": replace(utc_edges, language="en"),
    }


WINDOWS = windows(WHOLE_DAYS, UTC_EDGES)
# started, answered by the bot, handed off (or resolved by the bot), resolved, surveyed,
# promoter; and per Jakarta day, the % negative of the scored conversations.
EXPECTED = {
    "whole days": ((5, 4, 4, 3, 2, 1), {"2024-05-06": 50.0, "2024-05-07": 0.0,
                                        "2024-05-08": 100.0}),
    "UTC edges": ((4, 3, 3, 2, 2, 1), {"2024-05-06": 50.0, "2024-05-07": 0.0,
                                       "2024-05-08": 100.0}),
    "web, whole days": ((3, 2, 2, 2, 2, 1), {"2024-05-06": 100.0, "2024-05-07": 0.0,
                                             "2024-05-08": 100.0}),
    "en, UTC edges": ((2, 1, 1, 0, 0, 0), {"2024-05-06": 0.0, "2024-05-07": 0.0,
                                           "2024-05-08": None}),
}


@pytest.fixture
def conversations(engine, monkeypatch):
    monkeypatch.setattr(sentiment, "score", lambda text: next(
        (reading for word, reading in READINGS.items() if word in text), None))

    def conversation(channel, who, at, language, text, answered=True):
        cid = record_customer_message(channel, who, text, at, language, intent="greet",
                                      engine=engine)
        if answered:
            record_bot_message(cid, "Baik, Kak", at + MIN, engine=engine)
        return cid

    k1 = conversation("web", "k1", datetime(2024, 5, 6, 2), "id", "kecewa")
    record_survey_answer(k1, "nps", 10, datetime(2024, 5, 6, 2, 5), datetime(2024, 5, 6, 2, 5),
                         engine=engine)
    close_conversation(k1, "resolved", datetime(2024, 5, 6, 2, 10), engine=engine)
    k2 = conversation("telegram", "k2", datetime(2024, 5, 6, 16, 30), "en", "makasih")
    handoff = request_handoff(k2, datetime(2024, 5, 6, 16, 32), reason="request", engine=engine)
    claim_handoff(handoff, "ani", datetime(2024, 5, 6, 16, 34), engine=engine)
    close_conversation(k2, "escalated", datetime(2024, 5, 6, 16, 50), engine=engine)
    k3 = conversation("web", "k3", datetime(2024, 5, 6, 17, 30), "en", "halo", answered=False)
    close_conversation(k3, "abandoned", datetime(2024, 5, 6, 18), engine=engine)
    k4 = conversation("web", "k4", datetime(2024, 5, 7, 23, 30), "id", "kecewa")
    record_survey_answer(k4, "csat", 2, datetime(2024, 5, 7, 23, 35),
                         datetime(2024, 5, 7, 23, 35), engine=engine)
    close_conversation(k4, "resolved", datetime(2024, 5, 7, 23, 40), engine=engine)
    k5 = conversation("rest", "k5", datetime(2024, 5, 8, 10), "id", "ok")
    close_conversation(k5, "resolved", datetime(2024, 5, 8, 10, 5), engine=engine)
    return engine


def _reference(engine, flt):
    """The funnel and the trend counted row by row, in Python."""
    c = Conversation
    with engine.connect() as connection:
        rows = connection.execute(
            select(c.started_at, c.bot_message_count, c.has_handoff, c.outcome,
                   c.survey_answered, c.nps_promoters, c.sentiment_count, c.negative_messages)
            .where(*filter_conditions(flt))
        ).all()
    stages = [0] * 6
    days: dict = {}
    for row in rows:
        reached = [True, row.bot_message_count > 0, row.has_handoff or row.outcome == "resolved",
                   row.outcome == "resolved", row.survey_answered > 0, row.nps_promoters > 0]
        for stage in range(6):
            if not all(reached[: stage + 1]):
                break
            stages[stage] += 1
        day = shoptime.to_local(row.started_at, flt.zone).date().isoformat()
        scored, negative = days.get(day, (0, 0))
        days[day] = (scored + (row.sentiment_count > 0), negative + (row.negative_messages > 0))
    trend = {day: 100.0 * negative / scored if scored else None
             for day, (scored, negative) in days.items()}
    return tuple(stages), trend


@pytest.mark.parametrize("window", WINDOWS)
def test_funnel_and_trend_from_the_rollup_equal_the_rows(conversations, window):
    engine, flt = conversations, WINDOWS[window]
    with engine.connect() as connection:
        assert rollup_figures.usable(connection, flt)
    funnel = tuple(stage["count"] for stage in journey.funnel(flt, engine=engine))
    trend = voice.negative_sentiment_trend(flt, "day", engine)
    stages, shares = EXPECTED[window]
    assert funnel == stages
    assert dict(trend) == {day: approx(share) if share is not None else None
                           for day, share in shares.items()}
    reference_stages, reference_trend = _reference(engine, flt)
    assert funnel == reference_stages
    assert {day: share for day, share in trend if day in reference_trend} == approx(reference_trend)


def test_the_rollup_holds_the_hand_computed_days(conversations):
    # K3 at 17:30 UTC on 05-06 is on Jakarta 05-07; K4 at 23:30 UTC on 05-07 on Jakarta 05-08.
    r = rollups.daily_rollups
    measures = ("conversations",) + rollups.FUNNEL_MEASURES + rollups.SENTIMENT_MEASURES
    with conversations.connect() as connection:
        rows = connection.execute(
            select(r.c.day, *(func.sum(r.c[m]) for m in measures))
            .where(r.c.topic == rollups.ALL_TOPICS).group_by(r.c.day).order_by(r.c.day)
        ).all()
    assert [(row[0], *map(int, row[1:])) for row in rows] == [
        (date(2024, 5, 6), 2, 2, 2, 1, 1, 1, 2, 1),
        (date(2024, 5, 7), 1, 0, 0, 0, 0, 0, 1, 0),
        (date(2024, 5, 8), 2, 2, 2, 2, 1, 0, 1, 1),
    ]


def test_the_funnel_without_a_rollup_of_the_zone_counts_the_rows(conversations):
    # A filter in another zone than the rollup's: every figure from the rows.
    utc = MetricFilter(start=datetime(2024, 5, 6), end=datetime(2024, 5, 8), zone="UTC")
    with conversations.connect() as connection:
        assert not rollup_figures.usable(connection, utc)
    assert tuple(s["count"] for s in journey.funnel(utc, engine=conversations)) == (4, 3, 3, 2,
                                                                                     2, 1)
    assert voice.negative_sentiment_trend(utc, "day", conversations) == [
        ("2024-05-06", approx(100 / 3)), ("2024-05-07", approx(100.0))]

"""Sentiment kept at capture time and shown on the dashboard, on SQLite and PostgreSQL.

A stand-in classifier (by keyword) makes every figure hand-computable; the
real model's quality is tested in tests/test_sentiment_quality.py.
"""
from datetime import date, datetime

import pytest
from pytest import approx
from sqlalchemy import select

from cx_reports import voice
from cx_reports.metrics import MetricFilter
from cxm_store import sentiment
from cxm_store.models import Conversation, Message
from cxm_store.shoptime import local_midnight_utc
from cxm_store.touchpoints import record_bot_message, record_customer_message

READINGS = {
    "kecewa": sentiment.Sentiment("negative", -0.8),
    "makasih": sentiment.Sentiment("positive", 0.6),
    "halo": sentiment.Sentiment("neutral", 0.0),
}
JAKARTA = "Asia/Jakarta"


@pytest.fixture(autouse=True)
def keyword_classifier(monkeypatch):
    """Texts with a keyword of READINGS get its reading; any other text is not scored."""

    def score(text):
        return next((reading for word, reading in READINGS.items() if word in text), None)

    monkeypatch.setattr(sentiment, "score", score)


def _say(engine, who, at, text, intent):
    return record_customer_message(
        "web", who, text, datetime.fromisoformat(at), "id", intent=intent, engine=engine
    )


def test_customer_messages_are_scored_at_capture(engine):
    conversation = _say(engine, "a", "2024-05-06T02:00", "halo kak", "greet")
    _say(engine, "a", "2024-05-06T02:01", "barang rusak, kecewa", "complain")
    _say(engine, "a", "2024-05-06T02:02", "ok deh", "affirm")
    record_bot_message(
        conversation, "Maaf kak, kecewa ya", datetime(2024, 5, 6, 2, 3), engine=engine
    )
    with engine.connect() as connection:
        lines = connection.execute(
            select(Message.sender, Message.sentiment, Message.sentiment_score)
            .where(Message.conversation_id == conversation).order_by(Message.id)
        ).all()
        counters = connection.execute(
            select(Conversation.sentiment_count, Conversation.sentiment_sum,
                   Conversation.negative_messages).where(Conversation.id == conversation)
        ).one()
    # The bot's line says "kecewa" too, but only customers are scored.
    assert [tuple(line) for line in lines] == [
        ("customer", "neutral", approx(0.0)),
        ("customer", "negative", approx(-0.8)),
        ("customer", None, None),
        ("bot", None, None),
    ]
    # Two scored messages, sum 0.0 - 0.8 (mean -0.4), one negative.
    assert tuple(counters) == (2, approx(-0.8), 1)


def _seed_sentiment_day(engine):
    # Customer a (Jakarta 05-06 09:00): greet, faq/returns; negative.
    _say(engine, "a", "2024-05-06T02:00", "halo", "greet")
    _say(engine, "a", "2024-05-06T02:01", "retur, kecewa", "faq/returns")
    # e (05-06 17:00): positive; c (05-06 23:00): negative; d (05-06 23:30): not
    # scored; b (01:00 on 05-07, the next Jakarta day): positive.
    _say(engine, "e", "2024-05-06T10:00", "makasih", "faq/shipping")
    _say(engine, "c", "2024-05-06T16:00", "kecewa", "check_order_status")
    _say(engine, "d", "2024-05-06T16:30", "ok", "check_order_status")
    _say(engine, "b", "2024-05-06T18:00", "makasih", "faq/returns")


def _jakarta_days(first, last):
    return MetricFilter(
        start=local_midnight_utc(first, JAKARTA),
        end=local_midnight_utc(last, JAKARTA),
        zone=JAKARTA,
    )


def test_negative_sentiment_trend_per_jakarta_day(engine):
    _seed_sentiment_day(engine)
    window = _jakarta_days(date(2024, 5, 5), date(2024, 5, 8))
    # 05-05: nobody. 05-06: a, c negative of a, c, e scored (d unscored) = 2/3.
    # 05-07: b scored, not negative = 0 %.
    assert voice.negative_sentiment_trend(window, "day", engine) == [
        ("2024-05-05", None), ("2024-05-06", approx(200 / 3)), ("2024-05-07", approx(0.0)),
    ]
    # Sunday 05-05 is in the ISO week of 04-29 (empty); the week of Monday
    # 05-06 holds all of them: 2 negative of 4 scored.
    assert voice.negative_sentiment_trend(window, "week", engine) == [
        ("2024-04-29", None), ("2024-05-06", approx(50.0)),
    ]


def test_topics_with_the_most_negative_conversations(engine):
    _seed_sentiment_day(engine)
    rows = voice.topics_by_negative_sentiment(_jakarta_days(date(2024, 5, 6), date(2024, 5, 8)),
                                              engine=engine)
    # check_order_status: c negative, d unscored -> 1 of 1; greet: a -> 1 of 1;
    # faq/returns: a negative, b not -> 1 of 2; faq/shipping has no negative one.
    shown = [(r["topic"], r["scored"], r["negative"], approx(r["negative_percent"])) for r in rows]
    assert shown == [
        ("check_order_status", 1, 1, 100.0),
        ("greet", 1, 1, 100.0),
        ("faq/returns", 2, 1, 50.0),
    ]

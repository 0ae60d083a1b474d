"""The per-conversation metric counters (migration 0006) equal what the rows say.

``conversations.has_handoff``, ``repeat_within_7d`` and the survey tallies are
kept by the write path; here they are recomputed from ``handoffs``,
``survey_answers`` and the conversations themselves, after random sequences
of writes through the store API, after the migration's back-fill, and for
``synthetic.generate``.
"""
import random
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text

from cx_reports import metric_sql
from cx_reports import metrics as m
from cxm_store import schema, synthetic
from cxm_store.duration_rollups import error_bound
from cxm_store.handoffs import claim_handoff, leave_message, request_handoff, resolve_handoff
from cxm_store.models import SURVEY_COUNTERS, Conversation, CustomerIdentity, Handoff, SurveyAnswer
from cxm_store.surveys import (
    SCALES,
    record_survey_answer,
    record_survey_question,
    record_survey_response,
)
from cxm_store.touchpoints import close_conversation, record_customer_message

T0 = datetime(2024, 5, 1, 9, 0)
COUNTERS = ("has_handoff", "repeat_within_7d") + SURVEY_COUNTERS


def _expected(engine):
    """Counters recomputed from the underlying rows, by conversation id (plain Python)."""
    with engine.connect() as connection:
        conversations = connection.execute(
            select(Conversation.id, Conversation.customer_id, Conversation.primary_topic,
                   Conversation.started_at)
        ).all()
        answers = connection.execute(
            select(SurveyAnswer.conversation_id, SurveyAnswer.kind, SurveyAnswer.status,
                   SurveyAnswer.score)
        ).all()
        handed_off = set(connection.execute(select(Handoff.conversation_id)).scalars())
    expected = {}
    for cid, customer, topic, started in conversations:
        repeat = topic is not None and any(
            other != cid and o_customer == customer and o_topic == topic
            and started < o_started <= started + timedelta(days=7)
            for other, o_customer, o_topic, o_started in conversations
        )
        expected[cid] = dict.fromkeys(COUNTERS, 0)
        expected[cid]["has_handoff"] = cid in handed_off
        expected[cid]["repeat_within_7d"] = repeat
    for cid, kind, status, score in answers:
        e = expected[cid]
        e["survey_asked"] += 1
        if status != "answered":
            continue
        e["survey_answered"] += 1
        if score is None:
            continue
        if kind == "resolved":
            e["resolved_answered"] += 1
            e["resolved_yes"] += score == 1
        elif kind in ("csat", "ces"):
            e[f"{kind}_count"] += 1
            e[f"{kind}_sum"] += score
            if kind == "csat":
                e["csat_high"] += score >= 4
            else:
                e["ces_easy"] += score >= 5
        elif kind == "nps":
            e["nps_count"] += 1
            e["nps_promoters"] += score >= 9
            e["nps_detractors"] += score <= 6
    for e in expected.values():
        for name in ("has_handoff", "repeat_within_7d"):
            e[name] = bool(e[name])
    return expected


def _stored(engine):
    with engine.connect() as connection:
        rows = connection.execute(
            select(Conversation.id, *(Conversation.__table__.c[name] for name in COUNTERS))
        ).all()
    return {
        row[0]: {
            name: bool(value) if name in ("has_handoff", "repeat_within_7d") else value
            for name, value in zip(COUNTERS, row[1:])
        }
        for row in rows
    }


def assert_counters_consistent(engine):
    expected, stored = _expected(engine), _stored(engine)
    assert stored.keys() == expected.keys()
    wrong = {cid: (stored[cid], expected[cid]) for cid in stored if stored[cid] != expected[cid]}
    assert wrong == {}


def _random_writes(engine, rng: random.Random, steps: int = 120) -> None:
    """A random mix of messages (repeat contacts on day 6 and 8), survey asks,
    replies, declines, replays, one-go answers, handoffs and tickets."""
    customers = [f"cust-{n}" for n in range(5)]
    topics = ("faq/returns", "check_order_status", "faq/refunds")
    conversations = []
    clock = {who: T0 + timedelta(hours=n) for n, who in enumerate(customers)}
    replies = []  # (conversation, kind, at, score, status) already sent, for replays
    for _ in range(steps):
        action = rng.random()
        who = rng.choice(customers)
        if action < 0.25 or not conversations:
            # A new visit: back after 6 or 8 days (same topic or not), or hours later.
            gap = rng.choice((timedelta(days=6), timedelta(days=8), timedelta(hours=2)))
            clock[who] += gap
            at = clock[who]
            if rng.random() < 0.3:
                record_customer_message("web", who, "halo", at, "id", intent="greet", engine=engine)
                at += timedelta(minutes=1)
            cid = record_customer_message(
                "web", who, "tanya", at, "id", intent=rng.choice(topics), engine=engine
            )
            conversations.append((cid, at))
            continue
        cid, started = rng.choice(conversations)
        at = started + timedelta(minutes=rng.randint(1, 20))
        kind = rng.choice(("resolved", "csat", "ces", "nps", "comment"))
        if action < 0.45:
            record_survey_question(cid, kind, at, engine=engine)
        elif action < 0.70:
            status = "answered" if rng.random() < 0.75 else "declined"
            score = None
            if status == "answered" and kind != "comment":
                low, high = SCALES[kind]
                score = rng.randint(low, high)
            reply_at = at + timedelta(seconds=rng.randint(1, 30))
            record_survey_response(
                cid, kind, reply_at, score=score, status=status,
                comment="ok" if kind == "comment" and status == "answered" else None,
                engine=engine,
            )
            replies.append((cid, kind, reply_at, score, status))
        elif action < 0.78 and replies:
            # Replaying a reply already stored changes nothing.
            cid, kind, reply_at, score, status = rng.choice(replies)
            record_survey_response(cid, kind, reply_at, score=score, status=status, engine=engine)
        elif action < 0.86:
            status = rng.choice(("answered", "declined", "unanswered"))
            score = None
            if status == "answered" and kind != "comment":
                low, high = SCALES[kind]
                score = rng.randint(low, high)
            record_survey_answer(cid, kind, score, at, at, status=status, engine=engine)
        elif action < 0.95:
            handoff = request_handoff(cid, at, reason="request", engine=engine)
            if rng.random() < 0.5:
                claim_handoff(handoff, "ani", at + timedelta(seconds=90), engine=engine)
                if rng.random() < 0.5:
                    resolve_handoff(handoff, at + timedelta(seconds=900), engine=engine)
        else:
            leave_message(cid, "x@y.com", "call me", at, engine=engine)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_match_rows_after_random_writes(engine, seed):
    rng = random.Random(seed)
    for _ in range(4):
        _random_writes(engine, rng, steps=40)
        assert_counters_consistent(engine)


def test_repeat_on_day_6_and_day_8(engine):
    first = record_customer_message("web", "w", "retur?", T0, "id", intent="faq/returns",
                                    engine=engine)
    close_conversation(first, "resolved", T0 + timedelta(minutes=5), engine=engine)
    day6 = record_customer_message("web", "w", "retur lagi", T0 + timedelta(days=6), "id",
                                   intent="faq/returns", engine=engine)
    close_conversation(day6, "resolved", T0 + timedelta(days=6, minutes=5), engine=engine)
    day14 = record_customer_message("web", "w", "retur", T0 + timedelta(days=14), "id",
                                    intent="faq/returns", engine=engine)
    stored = _stored(engine)
    assert stored[first]["repeat_within_7d"] is True  # day 6: a repeat
    assert stored[day6]["repeat_within_7d"] is False  # next one 8 days later: none
    assert stored[day14]["repeat_within_7d"] is False
    assert_counters_consistent(engine)


def test_repeat_found_when_the_earlier_conversation_gets_its_topic_late(engine):
    # The customer greets on the web, then asks on Telegram (same customer,
    # second identity), then asks the same thing on the web: the web
    # conversation's primary topic comes after the Telegram one started.
    web = record_customer_message("web", "w", "halo", T0, "id", intent="greet", engine=engine)
    with engine.begin() as connection:
        customer = connection.execute(
            select(Conversation.customer_id).where(Conversation.id == web)
        ).scalar()
        connection.execute(
            CustomerIdentity.__table__.insert().values(
                customer_id=customer, channel="telegram", external_id="t"
            )
        )
    telegram = record_customer_message("telegram", "t", "retur?", T0 + timedelta(minutes=5),
                                       "id", intent="faq/returns", engine=engine)
    assert record_customer_message("web", "w", "retur?", T0 + timedelta(minutes=10), "id",
                                   intent="faq/returns", engine=engine) == web
    stored = _stored(engine)
    assert stored[web]["repeat_within_7d"] is True
    assert stored[telegram]["repeat_within_7d"] is False
    assert_counters_consistent(engine)


def test_response_to_an_asked_question_counts_once(engine):
    cid = record_customer_message("web", "w", "retur?", T0, "id", intent="faq/returns",
                                  engine=engine)
    record_survey_question(cid, "csat", T0 + timedelta(minutes=1), engine=engine)
    record_survey_question(cid, "csat", T0 + timedelta(minutes=2), engine=engine)  # repeated ask
    record_survey_response(cid, "csat", T0 + timedelta(minutes=3), score=5, engine=engine)
    record_survey_response(cid, "csat", T0 + timedelta(minutes=3), score=5, engine=engine)
    counters = _stored(engine)[cid]
    assert (counters["survey_asked"], counters["survey_answered"]) == (1, 1)
    assert (counters["csat_count"], counters["csat_sum"], counters["csat_high"]) == (1, 5, 1)
    assert_counters_consistent(engine)


def test_migration_backfills_the_counters(store_url, engine):
    _random_writes(engine, random.Random(5), steps=80)
    before = _stored(engine)
    command.downgrade(schema.alembic_config(store_url), "0005")
    schema.upgrade(store_url)
    assert _stored(engine) == before
    assert_counters_consistent(engine)


def test_synthetic_history_counters(engine):
    start = datetime(2024, 1, 1)
    synthetic.generate(engine, 1500, start, start + timedelta(days=60), seed=11)
    assert_counters_consistent(engine)
    # The synthetic generator makes same-topic returns within a week.
    with engine.connect() as connection:
        assert connection.execute(
            text("SELECT count(*) FROM conversations WHERE repeat_within_7d")
        ).scalar() > 0


def test_summary_matches_single_metric_functions(history):
    engine, _, _ = history
    may = m.MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1))
    for flt in (may, m.MetricFilter(), m.MetricFilter(topic="faq/returns"),
                m.MetricFilter(agent="ani"), m.MetricFilter(channel="rest", language="id")):
        values = m.summary(flt, engine)
        assert list(values) == list(m.METRICS)
        for metric in m.METRICS:
            single = metric_sql.metric_value(metric, flt, engine)
            if metric in metric_sql.PERCENTILES and single is not None:
                # The summary's percentiles come from the duration histograms.
                assert values[metric] == pytest.approx(single, abs=error_bound(single)), metric
            else:
                assert values[metric] == pytest.approx(single), (flt, metric)

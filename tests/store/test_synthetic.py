"""The synthetic history generator (cxm_store.synthetic), on SQLite and PostgreSQL."""
from datetime import datetime

from sqlalchemy import text

from cxm_store import metrics as m
from cxm_store import synthetic

START, END = datetime(2024, 1, 1), datetime(2024, 3, 1)


def _scalar(engine, sql):
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def test_generate_writes_a_consistent_history(engine):
    assert not synthetic.has_synthetic_data(engine)
    counts = synthetic.generate(engine, 2000, START, END, seed=3)
    assert synthetic.has_synthetic_data(engine)
    assert counts["conversations"] == 2000
    assert counts["customers"] < 2000  # returning customers
    for table, count in counts.items():
        assert _scalar(engine, f"SELECT count(*) FROM {table}") == count
    # Every conversation starts in the window and its counters match its transcript.
    assert _scalar(
        engine,
        f"SELECT count(*) FROM conversations WHERE started_at < '{START}' OR started_at >= '{END}'",
    ) == 0
    assert _scalar(engine, """
        SELECT count(*) FROM conversations c WHERE
          c.customer_message_count <> (SELECT count(*) FROM messages x
                                       WHERE x.conversation_id = c.id AND x.sender = 'customer')
          OR c.fallback_count <> (SELECT count(*) FROM messages x
                                  WHERE x.conversation_id = c.id AND x.is_fallback)
          OR c.bot_message_count <> (SELECT count(*) FROM messages x
                                     WHERE x.conversation_id = c.id AND x.sender = 'bot')
    """) == 0
    # Handoff agents are also the conversations' agents.
    assert _scalar(engine, """
        SELECT count(*) FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
        WHERE h.agent IS NOT NULL AND (c.agent IS NULL OR c.agent <> h.agent)
    """) == 0
    values = m.summary(m.MetricFilter(start=START, end=END), engine)
    assert values["conversations"] == 2000
    for metric in ("containment_rate", "escalation_rate", "abandonment_rate", "fcr_rate",
                   "csat_percent", "survey_response_rate", "handoff_wait_median_s"):
        assert values[metric] is not None
    assert 50 <= values["containment_rate"] <= 70
    assert 40 <= values["survey_response_rate"] <= 80
    assert values["csat_mean"] > 3.3  # skewed positive
    languages = m.breakdown(m.MetricFilter(start=START, end=END), "language", engine)
    assert languages["id"]["conversations"] > languages["en"]["conversations"]


def test_generate_appends_after_existing_ids(engine):
    first = synthetic.generate(engine, 300, START, END, seed=1)
    second = synthetic.generate(engine, 300, START, END, seed=2)
    assert _scalar(engine, "SELECT count(*) FROM conversations") == 600
    assert first["conversations"] == second["conversations"] == 300

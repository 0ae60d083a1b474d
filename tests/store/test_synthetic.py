"""The synthetic history generator (cxm_store.synthetic), on SQLite and PostgreSQL."""
from datetime import datetime

from sqlalchemy import text

from cx_reports import metrics as m
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


# 2024-03-01 05:00 UTC is 12:00 in Jakarta, inside the default business hours.
LIVE_END = datetime(2024, 3, 1, 5)
# The reasons the live bot writes (actions/handoff.py, cxm_store/handoffs.py).
LIVE_REASONS = {"request", "complaint", "repeated_miss", "left_message"}


def _moment(value) -> datetime:
    # A raw SQL aggregate comes back as text on SQLite, as a datetime on PostgreSQL.
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_the_demo_console_looks_alive(engine):
    synthetic.generate(engine, 2000, START, LIVE_END, seed=3)
    with engine.connect() as connection:
        waiting = connection.execute(text(
            "SELECT requested_at, reason FROM handoffs WHERE status = 'requested'"
        )).all()
        reasons = set(connection.execute(text("SELECT DISTINCT reason FROM handoffs")).scalars())
        with_agent = connection.execute(text(
            "SELECT min(requested_at) FROM handoffs WHERE status = 'claimed'"
        )).scalar()
        tickets = connection.execute(text("""
            SELECT count(*), count(t.id) FROM handoffs h
            LEFT JOIN handoff_tickets t ON t.handoff_id = h.id WHERE h.status = 'ticket'
        """)).one()
    # A handful waiting, each for minutes, not months.
    assert 3 <= len(waiting) <= 6
    for requested_at, _ in waiting:
        assert 0 < (LIVE_END - _moment(requested_at)).total_seconds() <= 20 * 60
    assert reasons <= LIVE_REASONS and {"request", "left_message"} <= reasons
    # Anyone still with an agent asked within the last two hours (or nobody is).
    if with_agent is not None:
        assert (LIVE_END - _moment(with_agent)).total_seconds() <= 2 * 3600
    # Out-of-hours requests are messages left for the team, each with its ticket.
    assert tickets[0] > 0 and tickets[0] == tickets[1]


def test_customer_messages_carry_sentiment(engine):
    synthetic.generate(engine, 500, START, END, seed=5)
    # The conversation counters add up to the messages' readings.
    assert _scalar(engine, """
        SELECT count(*) FROM conversations c WHERE
          c.sentiment_count <> (SELECT count(x.sentiment) FROM messages x
                                WHERE x.conversation_id = c.id AND x.sender = 'customer')
          OR c.negative_messages <> (SELECT count(*) FROM messages x
                                     WHERE x.conversation_id = c.id AND x.sentiment = 'negative')
          OR abs(c.sentiment_sum - (SELECT coalesce(sum(x.sentiment_score), 0) FROM messages x
                                    WHERE x.conversation_id = c.id)) > 1e-6
    """) == 0
    assert _scalar(engine, "SELECT count(*) FROM messages WHERE sender <> 'customer' "
                           "AND sentiment IS NOT NULL") == 0
    # Complaints read negative, thanks positive (the built model's readings).
    assert _scalar(engine, "SELECT count(*) FROM messages WHERE sentiment = 'negative'") > 0
    assert _scalar(engine, "SELECT count(*) FROM messages WHERE sentiment = 'positive'") > 0

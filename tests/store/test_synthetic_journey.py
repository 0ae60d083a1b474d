"""The demo history's linked customers and follow-ups (cxm_store.synthetic_journey)."""
from datetime import datetime

from sqlalchemy import text

from cxm_store import synthetic

START, END = datetime(2024, 1, 1), datetime(2024, 3, 1)


def _scalar(engine, sql):
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def test_demo_links_customers_and_follows_up_every_unhappy_conversation(engine):
    counts = synthetic.generate(engine, 3000, START, END, seed=3)
    assert counts["customer_links"] > 0
    assert _scalar(engine, "SELECT count(*) FROM customer_links") == counts["customer_links"]
    # A linked person holds a web and a Telegram identity, and nobody merged holds any.
    assert _scalar(engine, """
        SELECT count(*) FROM customer_links l WHERE
          (SELECT count(DISTINCT channel) FROM customer_identities i
           WHERE i.customer_id = l.customer_id) < 2
          OR EXISTS (SELECT 1 FROM customer_identities i WHERE i.customer_id = l.merged_customer_id)
    """) == 0
    # Every CSAT 1-2, NPS 0-6 and "not resolved" has its follow-up, and nothing else but
    # strongly negative conversations has one.
    assert _scalar(engine, """
        SELECT count(DISTINCT a.conversation_id) FROM survey_answers a
        WHERE a.status = 'answered' AND ((a.kind = 'csat' AND a.score <= 2)
              OR (a.kind = 'nps' AND a.score <= 6) OR (a.kind = 'resolved' AND a.score = 0))
          AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.conversation_id = a.conversation_id)
    """) == 0
    assert _scalar(engine, """
        SELECT count(*) FROM follow_ups f JOIN conversations c ON c.id = f.conversation_id
        WHERE f.reason = 'negative' AND c.negative_messages < 2
    """) == 0
    closed = _scalar(engine, "SELECT count(*) FROM follow_ups WHERE closed_at IS NOT NULL")
    late = _scalar(engine, "SELECT count(*) FROM follow_ups WHERE closed_at > due_at")
    assert counts["follow_ups"] > closed > late > 0
    assert _scalar(engine, "SELECT count(*) FROM follow_ups WHERE closed_at < opened_at") == 0


def test_demo_team_keeps_up_a_handful_overdue_most_closed_in_time(engine):
    # The history ends at END ("now" for the demo): what is due by then was handled,
    # nine in ten before its due time, but for the latest few left for the lead to see.
    counts = synthetic.generate(engine, 3000, START, END, seed=3)
    overdue = _scalar(engine, f"SELECT count(*) FROM follow_ups WHERE closed_at IS NULL "
                              f"AND due_at <= '{END.isoformat(sep=' ')}'")
    assert 1 <= overdue <= 5
    closed = _scalar(engine, "SELECT count(*) FROM follow_ups WHERE closed_at IS NOT NULL")
    in_time = _scalar(engine, "SELECT count(*) FROM follow_ups WHERE closed_at <= due_at")
    assert closed >= counts["follow_ups"] - overdue - 20  # only the not-yet-due may be open
    assert 0.8 <= in_time / closed < 1
    assert _scalar(engine, f"SELECT count(*) FROM follow_ups "
                           f"WHERE closed_at > '{END.isoformat(sep=' ')}'") == 0

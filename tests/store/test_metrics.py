"""Every metric against values computed by hand from the seeded history (see conftest)."""
from datetime import datetime

import pytest

from cx_reports import metrics as m
from cx_reports.metrics import MetricFilter
from cxm_store.duration_rollups import error_bound

MAY = MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1))
approx = pytest.approx


def test_conversations(history):
    engine, _, _ = history
    # C1..C11 start in May (C7 still open counts); C0 is in April.
    assert m.conversation_count(MAY, engine) == 11


def test_containment_rate(history):
    engine, _, _ = history
    # Closed: all but C7 = 10. Resolved without handoff: C1 C2 C3 C5 C11 = 5
    # (C10 is resolved but had a handoff). 5 / 10 = 50 %.
    assert m.containment_rate(MAY, engine) == approx(50.0)


def test_escalation_rate(history):
    engine, _, _ = history
    # Escalated: C4, C8 = 2 of 10 closed = 20 %.
    assert m.escalation_rate(MAY, engine) == approx(20.0)


def test_abandonment_rate(history):
    engine, _, _ = history
    # Abandoned: C6 (closed by inactivity when C7 opened), C9 = 2 of 10 = 20 %.
    assert m.abandonment_rate(MAY, engine) == approx(20.0)


def test_first_contact_resolution_rate(history):
    engine, _, _ = history
    # Answered "resolved": C1 C2 C3 C4 C10 C11 = 6 (C5 declined: left out).
    # FCR: C1 no (same customer, same topic again on day 6: C2); C2 yes;
    # C3 yes (repeat only on day 8: C4); C4 no (answered 0); C10 yes; C11 yes.
    # 4 / 6 = 66.67 %.
    assert m.first_contact_resolution_rate(MAY, engine) == approx(400 / 6)


def test_fcr_repeat_lookup_ignores_the_filter(history):
    engine, _, _ = history
    # Only C1 in the window (May 6): its day-6 repeat C2 lies outside, yet
    # still counts. Denominator C1 = 1, numerator 0.
    one_day = MetricFilter(start=datetime(2024, 5, 6), end=datetime(2024, 5, 7))
    assert m.first_contact_resolution_rate(one_day, engine) == approx(0.0)


def test_csat_percent_and_mean(history):
    engine, _, _ = history
    # Answered CSAT: C1 5, C2 4, C3 2, C4 3 (C5 declined, C8/C9 unanswered;
    # C0's 1 is in April). 4-5: 2 of 4 = 50 %; mean (5+4+2+3)/4 = 3.5.
    assert m.csat_percent(MAY, engine) == approx(50.0)
    assert m.csat_mean(MAY, engine) == approx(3.5)


def test_ces_mean_and_easy_percent(history):
    engine, _, _ = history
    # Answered CES: C1 6, C10 3, C11 7. Mean 16/3 = 5.33; easy (5-7): 2 of 3 = 66.67 %.
    assert m.ces_mean(MAY, engine) == approx(16 / 3)
    assert m.ces_easy_percent(MAY, engine) == approx(200 / 3)


def test_nps(history):
    engine, _, _ = history
    # Answered NPS: C3 10, C8 3, C10 9. Promoters 2/3, detractors 1/3:
    # 66.67 - 33.33 = 33.33.
    assert m.nps(MAY, engine) == approx(100 / 3)


def test_survey_response_rate(history):
    engine, _, _ = history
    # Surveyed (any row): C1 C2 C3 C4 C5 C8 C9 C10 C11 = 9. With an answered
    # row: all but C5 (declined only) and C9 (unanswered only) = 7. 7/9 = 77.78 %.
    assert m.survey_response_rate(MAY, engine) == approx(700 / 9)


def test_fallback_rate(history):
    engine, _, _ = history
    # Customer messages: C1 2, C2 1, C3 1, C4 2, C5 1, C6 3, C7 1, C8 1,
    # C9 1, C10 1, C11 2 = 16. Fallbacks: C6 2 + C11 1 = 3. 3/16 = 18.75 %.
    assert m.fallback_rate(MAY, engine) == approx(18.75)


def within_bound(exact):
    """The handoff percentiles come from bucket counts: within 1 s + 5 % of the exact value."""
    return approx(exact, abs=error_bound(exact))


def test_handoff_wait_percentiles(history):
    engine, _, _ = history
    # Claimed handoffs: C4 120 s, C10 300 s, C8 600 s (C6's was never claimed).
    # Median = 300. p90: position 0.9 * (3-1) = 1.8 -> 300 + 0.8 * (600-300) = 540.
    assert m.handoff_wait_median_seconds(MAY, engine) == within_bound(300.0)
    assert m.handoff_wait_p90_seconds(MAY, engine) == within_bound(540.0)


def test_handoff_resolution_percentiles(history):
    engine, _, _ = history
    # Resolved handoffs: C4 1800 s, C8 3600 s (C10's not resolved).
    # Median: (1800+3600)/2 = 2700. p90: position 0.9 -> 1800 + 0.9 * 1800 = 3420.
    assert m.handoff_resolution_median_seconds(MAY, engine) == within_bound(2700.0)
    assert m.handoff_resolution_p90_seconds(MAY, engine) == within_bound(3420.0)


def test_handoff_percentiles_of_a_single_value(history):
    engine, _, _ = history
    # Agent budi: only C8 (600 s wait) -> median and p90 are both 600.
    budi = MetricFilter(start=MAY.start, end=MAY.end, agent="budi")
    assert m.handoff_wait_median_seconds(budi, engine) == within_bound(600.0)
    assert m.handoff_wait_p90_seconds(budi, engine) == within_bound(600.0)


def test_empty_denominators_are_none(history):
    engine, _, _ = history
    nothing = MetricFilter(start=datetime(2023, 1, 1), end=datetime(2023, 2, 1))
    assert m.conversation_count(nothing, engine) == 0
    values = m.summary(nothing, engine)
    assert {k: v for k, v in values.items() if k != "conversations"} == {
        k: None for k in m.METRICS if k != "conversations"
    }


def test_filters(history):
    engine, _, _ = history
    # web: C1 C2 C5 C6 C7 C11 = 6; en: C3 C4 C6 C7 C11 = 5;
    # topic faq/returns touched by C1 C2 C9 C11 = 4; agent ani: C4 C10 = 2.
    assert m.conversation_count(MetricFilter(MAY.start, MAY.end, channel="web"), engine) == 6
    assert m.conversation_count(MetricFilter(MAY.start, MAY.end, language="en"), engine) == 5
    assert m.conversation_count(MetricFilter(MAY.start, MAY.end, topic="faq/returns"), engine) == 4
    assert m.conversation_count(MetricFilter(MAY.start, MAY.end, agent="ani"), engine) == 2
    # Half-open window: [05-06 09:00, 05-12 09:00) holds C1 C3 C5 C6 C7 C8, not C2.
    week = MetricFilter(start=datetime(2024, 5, 6, 9), end=datetime(2024, 5, 12, 9))
    assert m.conversation_count(week, engine) == 6


def test_summary_holds_every_metric(history):
    engine, _, _ = history
    values = m.summary(MAY, engine)
    assert list(values) == list(m.METRICS)
    assert values["containment_rate"] == approx(50.0)
    assert values["nps"] == approx(100 / 3)


def test_breakdown_by_channel(history):
    engine, _, _ = history
    by_channel = m.breakdown(MAY, "channel", engine)
    assert list(by_channel) == ["rest", "telegram", "web"]
    # rest: C8 C9; telegram: C3 C4 C10; web: C1 C2 C5 C6 C7 C11.
    assert {k: v["conversations"] for k, v in by_channel.items()} == {
        "rest": 2,
        "telegram": 3,
        "web": 6,
    }
    # Containment. rest: 0 of 2 closed. telegram: C3 of 3 closed = 33.33 %.
    # web: C1 C2 C5 C11 of 5 closed (C7 open) = 80 %.
    assert by_channel["rest"]["containment_rate"] == approx(0.0)
    assert by_channel["telegram"]["containment_rate"] == approx(100 / 3)
    assert by_channel["web"]["containment_rate"] == approx(80.0)
    # web has no handoff with a wait: None, not 0.
    assert by_channel["web"]["handoff_wait_median_s"] is None


def test_breakdown_by_topic_and_agent(history):
    engine, _, _ = history
    by_topic = m.breakdown(MAY, "topic", engine)
    # faq/returns touched by C1 C2 C9 C11; CSAT there: C1 5, C2 4 -> 100 %.
    assert by_topic["faq/returns"]["conversations"] == 4
    assert by_topic["faq/returns"]["csat_percent"] == approx(100.0)
    by_agent = m.breakdown(MAY, "agent", engine)
    # ani: C4 (wait 120) C10 (wait 300) -> median 210; budi: C8; no agent:
    # the other 11 - 3 = 8 conversations, listed last.
    assert by_agent["ani"]["handoff_wait_median_s"] == within_bound(210.0)
    assert list(by_agent) == ["ani", "budi", None]
    assert by_agent[None]["conversations"] == 8


def test_breakdown_rejects_unknown_grouping(history):
    engine, _, _ = history
    with pytest.raises(ValueError):
        m.breakdown(MAY, "customer", engine)


def test_timeseries_by_week(history):
    engine, _, _ = history
    # ISO weeks (Monday) overlapping May: 04-29 none; 05-06: C1 C2(Sun 05-12)
    # C3 C5 C6 C7 C8 = 7; 05-13: C4 = 1; 05-20: C9 C10 C11 = 3; 05-27: none.
    assert m.timeseries("conversations", MAY, "week", engine) == [
        ("2024-04-29", 0),
        ("2024-05-06", 7),
        ("2024-05-13", 1),
        ("2024-05-20", 3),
        ("2024-05-27", 0),
    ]


def test_timeseries_by_day(history):
    engine, _, _ = history
    days = dict(m.timeseries("containment_rate", MAY, "day", engine))
    # MAY is [05-01 00:00, 06-01 00:00) UTC, i.e. 07:00 on 05-01 to 07:00 on
    # 06-01 in Jakarta: 32 local days overlap it.
    assert len(days) == 32 and min(days) == "2024-05-01" and max(days) == "2024-06-01"
    # 05-09: C6 abandoned, C7 open -> 0 of 1 closed. 05-06: C1 contained -> 100.
    assert days["2024-05-09"] == approx(0.0)
    assert days["2024-05-06"] == approx(100.0)
    assert days["2024-05-01"] is None


def test_compare_previous(history):
    engine, _, _ = history
    # Previous period [03-31, 05-01) holds only C0: resolved, no handoff, CSAT 1.
    comparison = m.compare_previous(MAY, engine)
    assert comparison["conversations"] == {"current": 11, "previous": 1, "change": 10}
    assert comparison["containment_rate"]["previous"] == approx(100.0)
    assert comparison["containment_rate"]["change"] == approx(50.0 - 100.0)
    assert comparison["csat_mean"]["change"] == approx(3.5 - 1.0)
    assert comparison["nps"] == {"current": approx(100 / 3), "previous": None, "change": None}


def test_compare_previous_needs_a_bounded_window(history):
    engine, _, _ = history
    with pytest.raises(ValueError):
        m.compare_previous(MetricFilter(start=datetime(2024, 5, 1)), engine)


def test_outcome_rates_count_only_ended_conversations(engine):
    """Outcomes under the open-until-idle rule, on an empty store.

    Window [05-01, 06-01); all conversations start 05-06 09:00 (T).
      a: resolved, ended by the sweep          -> closed, contained
      b: unresolved, ended by the sweep        -> closed, not contained
      c: resolved then escalated (handoff)     -> closed, escalated
      d: no outcome, ended by the sweep        -> closed, abandoned
      e: resolved, still open (active at T+25) -> in neither part
    Closed = a b c d = 4: containment 1/4 = 25 %, escalation 1/4 = 25 %,
    abandonment 1/4 = 25 % (b, unresolved, is the fourth quarter).
    """
    from datetime import timedelta

    from cxm_store.handoffs import request_handoff
    from cxm_store.touchpoints import (
        close_idle_conversations,
        record_customer_message,
        set_outcome,
    )

    t = datetime(2024, 5, 6, 9, 0)
    conv = {
        who: record_customer_message("web", who, "halo", t, "id", engine=engine)
        for who in "abcde"
    }
    set_outcome(conv["a"], "resolved", engine=engine)
    set_outcome(conv["b"], "unresolved", engine=engine)
    set_outcome(conv["c"], "resolved", engine=engine)
    request_handoff(conv["c"], t, engine=engine)
    set_outcome(conv["c"], "escalated", engine=engine)
    record_customer_message("web", "e", "lagi", t + timedelta(minutes=25), "id", engine=engine)
    set_outcome(conv["e"], "resolved", engine=engine)
    # Sweep at T+50: a-d idle 50 min (> 30) are ended; e idle 25 min is not.
    assert close_idle_conversations(t + timedelta(minutes=50), engine=engine) == 4
    assert m.conversation_count(MAY, engine) == 5
    assert m.containment_rate(MAY, engine) == approx(25.0)
    assert m.escalation_rate(MAY, engine) == approx(25.0)
    assert m.abandonment_rate(MAY, engine) == approx(25.0)

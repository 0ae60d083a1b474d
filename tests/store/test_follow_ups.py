"""The closed loop: unhappy answers open follow-ups with an owner and a business-hours due time.

Business hours 08:00-21:00 Asia/Jakarta (UTC+7), follow-ups due after 8
business hours. History (UTC; WIB = UTC+7):
  F1  web a    CSAT 2 at 05-06 02:05 (09:05 WIB)   due 10:05 UTC (17:05 WIB)
               closed 05:05 UTC "reached": 3 h, in time
  F2  tg b     NPS 3 at 05-06 13:30 (20:30 WIB), served by ani
               30 min that evening + 7 h 30 from 08:00 -> due 05-07 15:30 WIB = 08:30 UTC
               closed 05-07 10:30 UTC "resolved": 21 h, late
  F3  rest c   not resolved at 05-07 23:30 UTC (05-08 06:30 WIB, before opening)
               due 05-08 16:00 WIB = 09:00 UTC; still open at 10:00 UTC: breached
  -   web d    CSAT 4, NPS 7, resolved yes: no follow-up
  a's conversation also gets NPS 2 after its CSAT 2: still one follow-up.
Later: b answers NPS 8 on 05-10 (change +5), a answers CSAT 4 on 05-12 (+2).
Figures for May: opened 3, closed 2, in time 1, open and breached 1,
median time to close (3 h, 21 h) = 12 h = 43,200 s, score change
(5 + 2) / 2 = 3.5 over 2 follow-ups.
"""
from datetime import datetime

import pytest

from cx_reports.follow_up_figures import breached_follow_ups_count, follow_up_figures
from cx_reports.metrics import MetricFilter
from cxm_store import follow_ups
from cxm_store.handoffs import claim_handoff, request_handoff
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import close_conversation, record_customer_message

MAY = MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1))
NOW = datetime(2024, 5, 8, 10, 0)


@pytest.fixture(autouse=True)
def jakarta_hours(monkeypatch):
    monkeypatch.setenv("CXM_BUSINESS_HOURS", "08:00-21:00")
    monkeypatch.setenv("CXM_TIMEZONE", "Asia/Jakarta")
    monkeypatch.setenv("CXM_FOLLOW_UP_SLA_HOURS", "8")


def _conversation(engine, channel, who, at, text="halo", intent="faq/returns"):
    return record_customer_message(channel, who, text, at, "id", intent=intent, engine=engine)


def _answer(engine, conversation, kind, score, at):
    record_survey_answer(conversation, kind, score, at, at, engine=engine)


@pytest.fixture
def loop(engine):
    a = _conversation(engine, "web", "a", datetime(2024, 5, 6, 2, 0))
    _answer(engine, a, "csat", 2, datetime(2024, 5, 6, 2, 5))
    _answer(engine, a, "nps", 2, datetime(2024, 5, 6, 2, 6))
    close_conversation(a, "resolved", datetime(2024, 5, 6, 2, 10), engine=engine)
    b = _conversation(engine, "telegram", "b", datetime(2024, 5, 6, 13, 0))
    handoff = request_handoff(b, datetime(2024, 5, 6, 13, 1), reason="request", engine=engine)
    claim_handoff(handoff, "ani", datetime(2024, 5, 6, 13, 2), engine=engine)
    _answer(engine, b, "nps", 3, datetime(2024, 5, 6, 13, 30))
    close_conversation(b, "escalated", datetime(2024, 5, 6, 13, 40), engine=engine)
    c = _conversation(engine, "rest", "c", datetime(2024, 5, 7, 23, 25))
    _answer(engine, c, "resolved", 0, datetime(2024, 5, 7, 23, 30))
    d = _conversation(engine, "web", "d", datetime(2024, 5, 7, 3, 0))
    for kind, score in (("resolved", 1), ("csat", 4), ("nps", 7)):
        _answer(engine, d, kind, score, datetime(2024, 5, 7, 3, 5))
    opened = {f.conversation_id: f for f in follow_ups.list_follow_ups(NOW, engine=engine)}
    f1, f2 = opened[a].id, opened[b].id
    follow_ups.close(f1, "reached", "rina", datetime(2024, 5, 6, 5, 5), engine=engine)
    follow_ups.close(f2, "resolved", "ani", datetime(2024, 5, 7, 10, 30), engine=engine)
    b2 = _conversation(engine, "telegram", "b", datetime(2024, 5, 10, 3, 0))
    _answer(engine, b2, "nps", 8, datetime(2024, 5, 10, 3, 5))
    a2 = _conversation(engine, "web", "a", datetime(2024, 5, 12, 3, 0))
    _answer(engine, a2, "csat", 4, datetime(2024, 5, 12, 3, 5))
    return engine, {"a": a, "b": b, "c": c, "d": d}


def test_unhappy_answers_open_one_follow_up_each_with_a_business_hours_due_time(loop):
    engine, ids = loop
    every = {f.conversation_id: f for f in
             follow_ups.list_follow_ups(NOW, open_only=False, engine=engine)}
    assert set(every) == {ids["a"], ids["b"], ids["c"]}
    f1, f2, f3 = every[ids["a"]], every[ids["b"]], every[ids["c"]]
    assert (f1.reason, f1.score, f1.due_at) == ("csat", 2, datetime(2024, 5, 6, 10, 5))
    assert (f2.reason, f2.score, f2.due_at) == ("nps", 3, datetime(2024, 5, 7, 8, 30))
    assert (f3.reason, f3.score, f3.due_at) == ("unresolved", 0, datetime(2024, 5, 8, 9, 0))
    assert f2.owner == "ani" and f1.owner == "rina" and f3.owner is None
    assert (f1.breached, f2.breached, f3.breached) == (False, True, True)
    assert (f1.outcome, f2.outcome, f3.outcome) == ("reached", "resolved", None)
    still_open = follow_ups.list_follow_ups(NOW, engine=engine)
    assert [f.conversation_id for f in still_open] == [ids["c"]]
    assert breached_follow_ups_count(NOW, engine=engine) == 1


def test_follow_up_figures_for_the_period(loop):
    engine, _ = loop
    assert follow_up_figures(MAY, NOW, engine=engine) == {
        "opened": 3, "closed": 2, "closed_in_time": 1, "open_breached": 1,
        "median_close_seconds": 43200.0, "score_change": 3.5, "score_changes": 2,
    }
    telegram = follow_up_figures(MetricFilter(start=MAY.start, end=MAY.end, channel="telegram"),
                                 NOW, engine=engine)
    assert (telegram["opened"], telegram["closed_in_time"], telegram["median_close_seconds"],
            telegram["score_change"]) == (1, 0, 75600.0, 5)
    assert follow_up_figures(MetricFilter(start=datetime(2024, 6, 1)), NOW,
                             engine=engine)["opened"] == 0


def test_owner_notes_and_closing(loop):
    engine, ids = loop
    open_one = follow_ups.list_follow_ups(NOW, engine=engine)[0]
    assert follow_ups.assign(open_one.id, "budi", engine=engine)
    follow_ups.add_note(open_one.id, "budi", "called 0812-3456-7890, no answer", NOW,
                        engine=engine)
    with pytest.raises(ValueError):
        follow_ups.close(open_one.id, "forgotten", "budi", NOW, engine=engine)
    assert follow_ups.close(open_one.id, "unreachable", "budi", NOW, engine=engine)
    assert not follow_ups.close(open_one.id, "reached", "budi", NOW, engine=engine)
    assert not follow_ups.assign(open_one.id, "rina", engine=engine)
    shown = follow_ups.follow_up(open_one.id, NOW, engine=engine)
    assert (shown.owner, shown.outcome, shown.closed_by) == ("budi", "unreachable", "budi")
    ((author, _, text),) = shown.notes
    assert author == "budi" and "0812" not in text and "no answer" in text
    assert follow_ups.list_follow_ups(NOW, engine=engine) == []


def test_a_strongly_negative_message_opens_a_follow_up_and_a_neutral_one_does_not(engine):
    calm = _conversation(engine, "web", "calm", datetime(2024, 5, 6, 2, 0), "mau retur")
    angry = _conversation(engine, "web", "angry", datetime(2024, 5, 6, 2, 0),
                          "kecewa banget, barang rusak dan CS lambat parah!!")
    opened = follow_ups.list_follow_ups(NOW, engine=engine)
    assert [(f.conversation_id, f.reason) for f in opened] == [(angry, "negative")]
    assert calm != angry

"""Survey answers, validation, the surveyed flag and the NPS 90-day rule."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cxm_store.db import session_factory
from cxm_store.models import Conversation, SurveyAnswer
from cxm_store.handoffs import claim_handoff, request_handoff
from cxm_store.surveys import (
    nps_due,
    record_survey_answer,
    record_survey_question,
    record_survey_response,
    was_surveyed,
)
from cxm_store.touchpoints import record_customer_message

T = datetime(2024, 5, 6, 9, 0)
DAY = timedelta(days=1)


def _conv(engine, who="s1", at=T, channel="web"):
    return record_customer_message(channel, who, "halo", at, "id", engine=engine)


def test_answer_is_stored_with_its_customer(engine):
    conv = _conv(engine)
    answer = record_survey_answer(conv, "csat", 4, T + DAY, T, engine=engine)
    with session_factory(engine)() as session:
        row = session.get(SurveyAnswer, answer)
        customer = session.get(Conversation, conv).customer_id
    assert (row.kind, row.score, row.status, row.customer_id) == ("csat", 4, "answered", customer)
    assert (row.asked_at, row.answered_at) == (T, T + DAY)


def test_resolved_answer_sets_resolved_confirmed(engine):
    yes, no, asked = _conv(engine, "a"), _conv(engine, "b"), _conv(engine, "c")
    record_survey_answer(yes, "resolved", 1, T, T, engine=engine)
    record_survey_answer(no, "resolved", 0, T, T, engine=engine)
    record_survey_answer(asked, "resolved", None, T, T, status="declined", engine=engine)
    with session_factory(engine)() as session:
        flags = [session.get(Conversation, c).resolved_confirmed for c in (yes, no, asked)]
    assert flags == [True, False, None]


def test_comment_is_masked_and_unanswered_has_no_answer_time(engine):
    conv = _conv(engine)
    comment = record_survey_answer(
        conv, "comment", None, T, T, comment="hubungi 081234567890", engine=engine
    )
    ignored = record_survey_answer(
        conv, "nps", None, T + DAY, T, status="unanswered", engine=engine
    )
    with session_factory(engine)() as session:
        assert session.get(SurveyAnswer, comment).comment == "hubungi [phone]"
        assert session.get(SurveyAnswer, ignored).answered_at is None


@pytest.mark.parametrize(
    "kind, score, status",
    [
        ("csat", 6, "answered"),
        ("csat", 0, "answered"),
        ("ces", 8, "answered"),
        ("nps", 11, "answered"),
        ("resolved", 2, "answered"),
        ("csat", None, "answered"),
        ("csat", 3, "declined"),
        ("comment", 3, "answered"),
        ("mood", 3, "answered"),
        ("csat", 3, "maybe"),
    ],
)
def test_invalid_answers_are_rejected(engine, kind, score, status):
    conv = _conv(engine)
    with pytest.raises(ValueError):
        record_survey_answer(conv, kind, score, T, T, status=status, engine=engine)
    with session_factory(engine)() as session:
        assert session.scalars(select(SurveyAnswer)).all() == []


def test_was_surveyed(engine):
    asked, never = _conv(engine, "a"), _conv(engine, "b")
    record_survey_answer(asked, "csat", None, None, T, status="unanswered", engine=engine)
    assert was_surveyed(asked, engine=engine) is True
    assert was_surveyed(never, engine=engine) is False


def test_nps_at_most_once_per_customer_per_90_days(engine):
    conv = _conv(engine)
    customer = _conversation_customer(engine, conv)
    assert nps_due(customer, T, engine=engine) is True
    # A declined question counts as asked: nobody is nagged.
    record_survey_answer(conv, "nps", None, T, T, status="declined", engine=engine)
    assert nps_due(customer, T + DAY, engine=engine) is False
    assert nps_due(("web", "s1"), T + 89 * DAY, engine=engine) is False
    assert nps_due(("web", "s1"), T + 90 * DAY, engine=engine) is True
    # Other survey kinds do not count.
    other = _conv(engine, "s2")
    record_survey_answer(other, "csat", 5, T, T, engine=engine)
    assert nps_due(("web", "s2"), T + DAY, engine=engine) is True


def test_nps_due_for_unknown_identity(engine):
    assert nps_due(("telegram", "never-seen"), T, engine=engine) is True


def _conversation_customer(engine, conv):
    with session_factory(engine)() as session:
        return session.get(Conversation, conv).customer_id


# --- Asked, then answered (live capture) -------------------------------------------

MIN = timedelta(minutes=1)


def _rows(engine, conv):
    with session_factory(engine)() as session:
        return [
            (r.kind, r.status, r.score, r.comment, r.asked_at, r.answered_at, r.agent)
            for r in session.scalars(
                select(SurveyAnswer)
                .where(SurveyAnswer.conversation_id == conv)
                .order_by(SurveyAnswer.id)
            )
        ]


def test_question_asked_then_answered_is_one_row(engine):
    conv = _conv(engine)
    asked = record_survey_question(conv, "csat", T, engine=engine)
    assert _rows(engine, conv) == [("csat", "unanswered", None, None, T, None, None)]
    assert record_survey_response(conv, "csat", T + MIN, score=4, engine=engine) == asked
    assert _rows(engine, conv) == [("csat", "answered", 4, None, T, T + MIN, None)]


def test_question_asked_again_while_pending_keeps_the_first(engine):
    conv = _conv(engine)
    first = record_survey_question(conv, "nps", T, engine=engine)
    assert record_survey_question(conv, "nps", T + MIN, engine=engine) == first
    record_survey_response(conv, "nps", T + 2 * MIN, score=9, engine=engine)
    # Asked once more after it was answered (a second survey): a new row.
    assert record_survey_question(conv, "nps", T + 3 * MIN, engine=engine) != first
    assert [r[:3] for r in _rows(engine, conv)] == [
        ("nps", "answered", 9), ("nps", "unanswered", None)
    ]


def test_declined_comment_and_resolved_replies(engine):
    conv = _conv(engine)
    for i, kind in enumerate(("resolved", "csat", "comment")):
        record_survey_question(conv, kind, T + i * MIN, engine=engine)
    record_survey_response(conv, "resolved", T + 5 * MIN, score=0, engine=engine)
    record_survey_response(conv, "csat", T + 6 * MIN, status="declined", engine=engine)
    record_survey_response(
        conv, "comment", T + 7 * MIN, comment="telp 081234567890", engine=engine
    )
    assert _rows(engine, conv) == [
        ("resolved", "answered", 0, None, T, T + 5 * MIN, None),
        ("csat", "declined", None, None, T + MIN, T + 6 * MIN, None),
        ("comment", "answered", None, "telp [phone]", T + 2 * MIN, T + 7 * MIN, None),
    ]
    with session_factory(engine)() as session:
        assert session.get(Conversation, conv).resolved_confirmed is False


def test_reply_without_a_recorded_question_inserts_one(engine):
    conv = _conv(engine)
    record_survey_response(conv, "ces", T + MIN, score=6, engine=engine)
    assert _rows(engine, conv) == [("ces", "answered", 6, None, T + MIN, T + MIN, None)]
    # The same reply replayed is not stored twice.
    record_survey_response(conv, "ces", T + MIN, score=6, engine=engine)
    assert len(_rows(engine, conv)) == 1


def test_replayed_question_and_reply_are_stored_once(engine):
    conv = _conv(engine)
    for _ in range(2):  # the capture worker replays a spool it could not mark done
        record_survey_question(conv, "csat", T, engine=engine)
        record_survey_response(conv, "csat", T + MIN, score=5, engine=engine)
    assert _rows(engine, conv) == [("csat", "answered", 5, None, T, T + MIN, None)]


def test_question_is_attributed_to_the_agent(engine):
    conv = _conv(engine)
    handoff = request_handoff(conv, T, engine=engine)
    claim_handoff(handoff, "ani", T + MIN, engine=engine)
    record_survey_question(conv, "csat", T + 5 * MIN, engine=engine)
    record_survey_question(conv, "ces", T + 5 * MIN, agent="budi", engine=engine)
    assert [r[6] for r in _rows(engine, conv)] == ["ani", "budi"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "csat", "score": 9},
        {"kind": "csat", "score": None},
        {"kind": "csat", "score": 3, "status": "declined"},
        {"kind": "csat", "score": None, "status": "unanswered"},
        {"kind": "mood", "score": 3},
    ],
)
def test_invalid_replies_are_rejected(engine, kwargs):
    conv = _conv(engine)
    record_survey_question(conv, "csat", T, engine=engine)
    with pytest.raises(ValueError):
        record_survey_response(conv, at=T + MIN, engine=engine, **kwargs)
    assert [r[1] for r in _rows(engine, conv)] == ["unanswered"]


def test_question_of_unknown_conversation(engine):
    with pytest.raises(LookupError):
        record_survey_question(404, "csat", T, engine=engine)
    with pytest.raises(LookupError):
        record_survey_response(404, "csat", T, score=3, engine=engine)

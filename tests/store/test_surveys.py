"""Survey answers, validation, the surveyed flag and the NPS 90-day rule."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cxm_store.db import session_factory
from cxm_store.models import Conversation, SurveyAnswer
from cxm_store.surveys import nps_due, record_survey_answer, was_surveyed
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

"""FCR and survey response rate count conversations, not survey rows (join-based queries)."""
from datetime import datetime, timedelta

from pytest import approx

from cx_reports import metrics as m
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import close_conversation, record_customer_message

MAY = m.MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1))


def test_several_survey_rows_give_one_vote_per_conversation(engine):
    t = datetime(2024, 5, 6, 9, 0)
    minute = timedelta(minutes=1)
    a = record_customer_message("web", "a", "retur?", t, "id", intent="faq/returns", engine=engine)
    b = record_customer_message("web", "b", "ongkir?", t, "id", intent="faq/shipping", engine=engine)
    # a: asked "resolved" twice (no, then yes) and CSAT unanswered -> one asked,
    # one answered, FCR yes (a yes answer and no repeat).
    record_survey_answer(a, "resolved", 0, t + minute, t, engine=engine)
    record_survey_answer(a, "resolved", 1, t + 2 * minute, t + minute, engine=engine)
    record_survey_answer(a, "csat", None, None, t + 2 * minute, status="unanswered", engine=engine)
    # b: "resolved" answered no -> asked, answered, not FCR.
    record_survey_answer(b, "resolved", 0, t + minute, t, engine=engine)
    for conversation in (a, b):
        close_conversation(conversation, "resolved", t + 5 * minute, engine=engine)
    assert m.first_contact_resolution_rate(MAY, engine) == approx(50.0)
    assert m.survey_response_rate(MAY, engine) == approx(100.0)
    assert m.breakdown(MAY, "channel", engine)["web"]["fcr_rate"] == approx(50.0)

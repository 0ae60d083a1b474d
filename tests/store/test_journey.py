"""The journey of one customer across channels, the funnel and the per-conversation export.

May 2024; ``p`` writes on the web and on Telegram and proves both are theirs:
  J1 web p       bot answers, resolved, CSAT 5, NPS 10     started, bot, resolved, surveyed, promoter
  J2 telegram p  bot answers, handed to ani, escalated, NPS 3 (a follow-up opens)
                                                           started, bot, handed off, surveyed
  J3 web q       nobody answered, abandoned                started
  J4 rest r      bot answers, resolved, no survey          started, bot, resolved
Funnel (nested stages, each within the one before): started 4, answered by bot 3 (75 %),
handed off or resolved by the bot 3 (J1, J2, J4: 75 %), resolved 2 (50 %), surveyed 1 (J1:
J2's answer is on an unresolved conversation, 25 %), promoter 1 (25 %).
Web only: 2, 1 (50 %), 1 (50 %), 1 (50 %), 1 (50 %), 1 (50 %).
Two more, in the funnel test only (they made a later stage outgrow an earlier one):
  J5 rest s      straight to agent ani (no bot message), resolved, CSAT 5   started
  J6 web t       bot answers, customer leaves (abandoned), NPS 9            started, bot
With them: 6, 4 (66.7 %), 3 (50 %), 2 (33.3 %), 1 (16.7 %), 1 (16.7 %); counted stage by
stage without nesting it was 6, 4, 2 handed off, 3 resolved, 4 surveyed, 2 promoters.
"""
from datetime import datetime, timedelta

import pytest

from cx_reports import journey
from cx_reports.metrics import MetricFilter
from cxm_store import identity
from cxm_store.handoffs import claim_handoff, request_handoff
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import close_conversation, record_bot_message, record_customer_message

MAY = MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1))
NOW = datetime(2024, 5, 20)
MIN = timedelta(minutes=1)


@pytest.fixture
def journeys(engine):
    def conversation(channel, who, at, intent, answered=True):
        cid = record_customer_message(channel, who, "halo, tolong", at, "id", intent=intent,
                                      engine=engine)
        if answered:
            record_bot_message(cid, "Baik, Kak", at + MIN, engine=engine)
        return cid

    def survey(cid, kind, score, at):
        record_survey_answer(cid, kind, score, at, at, engine=engine)

    j1 = conversation("web", "p", datetime(2024, 5, 2, 3), "faq/returns")
    survey(j1, "csat", 5, datetime(2024, 5, 2, 3, 5))
    survey(j1, "nps", 10, datetime(2024, 5, 2, 3, 6))
    close_conversation(j1, "resolved", datetime(2024, 5, 2, 3, 10), engine=engine)
    j2 = conversation("telegram", "p", datetime(2024, 5, 3, 3), "complain")
    handoff = request_handoff(j2, datetime(2024, 5, 3, 3, 2), reason="request", engine=engine)
    claim_handoff(handoff, "ani", datetime(2024, 5, 3, 3, 4), engine=engine)
    survey(j2, "nps", 3, datetime(2024, 5, 3, 3, 30))
    close_conversation(j2, "escalated", datetime(2024, 5, 3, 3, 40), engine=engine)
    j3 = conversation("web", "q", datetime(2024, 5, 4, 3), "faq/shipping", answered=False)
    close_conversation(j3, "abandoned", datetime(2024, 5, 4, 3, 30), engine=engine)
    j4 = conversation("rest", "r", datetime(2024, 5, 5, 3), "check_order_status")
    close_conversation(j4, "resolved", datetime(2024, 5, 5, 3, 5), engine=engine)
    code = identity.issue_link_code("web", "p", datetime(2024, 5, 6), engine=engine)
    identity.redeem_link_code("telegram", "p", code, datetime(2024, 5, 6, 0, 2), engine=engine)
    return engine, (j1, j2, j3, j4)


def _stages(flt, engine):
    return [(s["stage"], s["count"], s["percent"]) for s in journey.funnel(flt, engine=engine)]


def test_funnel_over_the_period(journeys):
    engine, _ = journeys
    assert _stages(MAY, engine) == [
        ("started", 4, 100.0), ("answered_by_bot", 3, 75.0), ("handed_off", 3, 75.0),
        ("resolved", 2, 50.0), ("surveyed", 1, 25.0), ("promoter", 1, 25.0),
    ]
    web = MetricFilter(start=MAY.start, end=MAY.end, channel="web")
    assert _stages(web, engine) == [
        ("started", 2, 100.0), ("answered_by_bot", 1, 50.0), ("handed_off", 1, 50.0),
        ("resolved", 1, 50.0), ("surveyed", 1, 50.0), ("promoter", 1, 50.0),
    ]
    june = MetricFilter(start=datetime(2024, 6, 1), end=datetime(2024, 7, 1))
    assert _stages(june, engine)[0] == ("started", 0, None)


def test_no_funnel_stage_outgrows_the_one_before(journeys):
    engine, _ = journeys
    j5 = record_customer_message("rest", "s", "mau bicara dengan CS", datetime(2024, 5, 7, 3),
                                 "id", intent="human_handoff", engine=engine)
    handoff = request_handoff(j5, datetime(2024, 5, 7, 3, 1), reason="request", engine=engine)
    claim_handoff(handoff, "ani", datetime(2024, 5, 7, 3, 2), engine=engine)
    record_survey_answer(j5, "csat", 5, datetime(2024, 5, 7, 3, 20), datetime(2024, 5, 7, 3, 20),
                         engine=engine)
    close_conversation(j5, "resolved", datetime(2024, 5, 7, 3, 30), engine=engine)
    j6 = record_customer_message("web", "t", "ongkir ke Medan?", datetime(2024, 5, 8, 3), "id",
                                 intent="faq/shipping", engine=engine)
    record_bot_message(j6, "Ongkir dihitung saat checkout", datetime(2024, 5, 8, 3, 1), engine=engine)
    record_survey_answer(j6, "nps", 9, datetime(2024, 5, 8, 3, 5), datetime(2024, 5, 8, 3, 5),
                         engine=engine)
    close_conversation(j6, "abandoned", datetime(2024, 5, 8, 3, 40), engine=engine)
    stages = _stages(MAY, engine)
    assert stages == [
        ("started", 6, 100.0), ("answered_by_bot", 4, 66.7), ("handed_off", 3, 50.0),
        ("resolved", 2, 33.3), ("surveyed", 1, 16.7), ("promoter", 1, 16.7),
    ]
    counts = [count for _, count, _ in stages]
    assert counts == sorted(counts, reverse=True)


def test_one_customer_with_both_channels_in_the_journey(journeys):
    engine, (j1, j2, _, _) = journeys
    customer = journey.customer_of(j1, engine=engine)
    assert journey.customer_of(j2, engine=engine) == customer
    timeline = journey.customer_journey(customer, NOW, engine=engine)
    assert [(i["channel"], i["external_id"]) for i in timeline["identities"]] == [
        ("web", "p"), ("telegram", "p")]
    assert [(link["proof"], link["evidence"], link["channel"]) for link in timeline["links"]] == [
        ("code", "web", "telegram")]
    first, second = timeline["conversations"]
    assert (first["id"], first["channel"], first["outcome"], first["scores"]) == (
        j1, "web", "resolved", {"csat": 5, "nps": 10})
    assert (second["id"], second["channel"], second["outcome"], second["scores"]) == (
        j2, "telegram", "escalated", {"nps": 3})
    assert [(h["agent"], h["status"]) for h in second["handoffs"]] == [("ani", "claimed")]
    assert [(f["conversation_id"], f["reason"], f["score"], f["owner"])
            for f in timeline["follow_ups"]] == [(j2, "nps", 3, "ani")]


def test_export_has_one_row_per_conversation(journeys):
    engine, (j1, j2, j3, j4) = journeys
    rows = list(journey.conversation_rows(MAY, engine=engine))
    assert [r["conversation_id"] for r in rows] == [j1, j2, j3, j4]
    assert set(rows[0]) == set(journey.EXPORT_COLUMNS)
    assert (rows[0]["csat"], rows[0]["nps"], rows[0]["handed_off"]) == (5.0, "promoter", False)
    assert (rows[1]["nps"], rows[1]["handed_off"], rows[1]["agent"], rows[1]["follow_up_reason"]) == (
        "detractor", True, "ani", "nps")
    assert rows[0]["customer_id"] == rows[1]["customer_id"] != rows[2]["customer_id"]
    assert (rows[2]["outcome"], rows[2]["csat"], rows[2]["follow_up_reason"]) == (
        "abandoned", None, None)

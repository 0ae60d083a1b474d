"""Service levels of handoffs in business time (08:00-21:00 Asia/Jakarta = UTC+7).

Targets: taken within 5 min, first agent reply within 10 min, resolved
within 4 h, all counted in business hours. Handoffs (UTC; WIB = UTC+7):
  H1 web x   faq/returns   ani   asked 05-06 03:00 (10:00 WIB), taken +7 min (wait breach),
                                 reply +8 min, resolved +30 min
  H2 tg y    complain      budi  asked 05-06 23:30 = 05-07 06:30 WIB (next Jakarta day,
                                 before opening), taken 01:04 UTC = 08:04 WIB: 4 business
                                 minutes though 94 on the clock (no breach); reply 01:05
                                 (5 min); resolved 06:00 UTC = 13:00 WIB: 5 h (breach)
  H3 rest z  complain      ani   asked 05-07 04:00, taken +2 min, reply +20 min (breach),
                                 resolved +30 min
  H4 web w   faq/shipping  -     asked 05-08 09:50 (16:50 WIB), still waiting at 10:00:
                                 10 min (wait breach); no reply yet, 10 min is not over 10
Totals: 4 handoffs; wait 2 (H1, H4), first response 1 (H3), resolution 1 (H2).
"""
from datetime import datetime, timedelta

import pytest

from cx_reports.metrics import MetricFilter
from cx_reports.service_level_figures import service_level_breaches
from cxm_store.handoffs import (
    claim_handoff,
    record_first_agent_reply,
    request_handoff,
    resolve_handoff,
)
from cxm_store.touchpoints import record_customer_message

NOW = datetime(2024, 5, 8, 10, 0)
MAY = MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1))
MIN = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def targets(monkeypatch):
    for name, value in (("CXM_BUSINESS_HOURS", "08:00-21:00"), ("CXM_TIMEZONE", "Asia/Jakarta"),
                        ("CXM_SLA_HANDOFF_WAIT_MINUTES", "5"),
                        ("CXM_SLA_FIRST_RESPONSE_MINUTES", "10"),
                        ("CXM_SLA_RESOLUTION_HOURS", "4")):
        monkeypatch.setenv(name, value)


def _handoff(engine, channel, who, topic, asked, agent=None, taken=None, reply=None, done=None):
    conversation = record_customer_message(channel, who, "tolong", asked - MIN, "id",
                                           intent=topic, engine=engine)
    handoff = request_handoff(conversation, asked, reason="request", engine=engine)
    if taken is not None:
        claim_handoff(handoff, agent, taken, engine=engine)
    if reply is not None:
        record_first_agent_reply(handoff, reply, engine=engine)
    if done is not None:
        resolve_handoff(handoff, done, engine=engine)


@pytest.fixture
def handoffs(engine):
    h1 = datetime(2024, 5, 6, 3, 0)
    _handoff(engine, "web", "x", "faq/returns", h1, "ani", h1 + 7 * MIN, h1 + 8 * MIN,
             h1 + 30 * MIN)
    _handoff(engine, "telegram", "y", "complain", datetime(2024, 5, 6, 23, 30), "budi",
             datetime(2024, 5, 7, 1, 4), datetime(2024, 5, 7, 1, 5), datetime(2024, 5, 7, 6, 0))
    h3 = datetime(2024, 5, 7, 4, 0)
    _handoff(engine, "rest", "z", "complain", h3, "ani", h3 + 2 * MIN, h3 + 20 * MIN,
             h3 + 30 * MIN)
    _handoff(engine, "web", "w", "faq/shipping", datetime(2024, 5, 8, 9, 50))
    return engine


def test_breaches_by_agent_and_topic(handoffs):
    figures = service_level_breaches(MAY, NOW, engine=handoffs)
    assert figures["handoffs"] == 4
    assert figures["breaches"] == {"handoff_wait": 2, "first_response": 1, "resolution": 1}
    assert figures["by_agent"] == {
        "ani": {"handoff_wait": 1, "first_response": 1, "resolution": 0},
        "budi": {"handoff_wait": 0, "first_response": 0, "resolution": 1},
        "unassigned": {"handoff_wait": 1, "first_response": 0, "resolution": 0},
    }
    assert figures["by_topic"] == {
        "complain": {"handoff_wait": 0, "first_response": 1, "resolution": 1},
        "faq/returns": {"handoff_wait": 1, "first_response": 0, "resolution": 0},
        "faq/shipping": {"handoff_wait": 1, "first_response": 0, "resolution": 0},
    }


def test_filters_narrow_the_handoffs(handoffs):
    telegram = service_level_breaches(
        MetricFilter(start=MAY.start, end=MAY.end, channel="telegram"), NOW, engine=handoffs)
    assert telegram["handoffs"] == 1
    assert telegram["breaches"] == {"handoff_wait": 0, "first_response": 0, "resolution": 1}
    complaints = service_level_breaches(
        MetricFilter(start=MAY.start, end=MAY.end, topic="complain"), NOW, engine=handoffs)
    assert complaints["breaches"] == {"handoff_wait": 0, "first_response": 1, "resolution": 1}


def test_a_wall_clock_wait_overnight_is_no_breach_in_business_time(engine):
    # 23:30 UTC is 06:30 the next Jakarta day; taken at 08:04 WIB: 4 business minutes.
    _handoff(engine, "telegram", "night", "complain", datetime(2024, 5, 6, 23, 30), "budi",
             datetime(2024, 5, 7, 1, 4))
    figures = service_level_breaches(MAY, datetime(2024, 5, 7, 1, 5), engine=engine)
    assert figures["breaches"]["handoff_wait"] == 0

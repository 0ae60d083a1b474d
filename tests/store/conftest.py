"""Store fixtures: every test runs on SQLite (temp file) and on PostgreSQL.

PostgreSQL databases come from ``new_pg_database`` (tests/conftest.py):
fresh for this test session, dropped at the end; unreachable PostgreSQL
fails the run on CI and skips elsewhere.
"""
import os
import sys
from datetime import datetime, timedelta
from typing import Dict

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

# The repository has no pytest configuration putting its root on the path;
# without this, `pytest tests/store` cannot import the package under test.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from cxm_store import schema  # noqa: E402
from cxm_store.db import engine_for  # noqa: E402
from cxm_store.handoffs import claim_handoff, request_handoff, resolve_handoff  # noqa: E402
from cxm_store.surveys import record_survey_answer  # noqa: E402
from cxm_store.touchpoints import (  # noqa: E402
    close_conversation,
    record_bot_message,
    record_customer_message,
)

ENGINES = ("sqlite", "postgresql")
TABLES = (
    "handoffs",
    "survey_answers",
    "messages",
    "conversation_topics",
    "conversations",
    "customer_identities",
    "customers",
    "daily_rollups",  # TRUNCATE fires no row trigger: the rollup is emptied with its facts
    "handoff_durations",
    "follow_up_days",
    "service_level_days",
)


@pytest.fixture(scope="session")
def pg_scratch_url(new_pg_database) -> str:
    """One PostgreSQL database reused (and emptied) by the tests that write."""
    return new_pg_database()


@pytest.fixture(params=ENGINES)
def store_url(request, tmp_path) -> str:
    """URL of an empty, migrated store database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        schema.upgrade(url)
        return url
    url = request.getfixturevalue("pg_scratch_url")
    with engine_for(url).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    return url


@pytest.fixture
def engine(store_url) -> Engine:
    """Engine of an empty, migrated store database."""
    return engine_for(store_url)


# --- Seeded history -------------------------------------------------------------
# Window under test: May 2024, [2024-05-01, 2024-06-01). The previous period
# of the same length is [2024-03-31, 2024-05-01) and holds C0 only.
# C#   customer/channel  lang start         primary topic       outcome    surveys                      handoffs (wait / resolution s)
# C0   A web             id   04-20 09:00   faq/returns         resolved   csat 1                       -
# C1   A web             id   05-06 09:00   faq/returns         resolved   resolved 1, csat 5, ces 6    -
# C2   A web             id   05-12 09:00   faq/returns d6      resolved   resolved 1, csat 4           -
# C3   B telegram        en   05-07 10:00   check_order_status  resolved   resolved 1, csat 2, nps 10   -
# C4   B telegram        en   05-15 10:00   check_order_st. d8  escalated  resolved 0, csat 3           120 / 1800 (ani)
# C5   C web             id   05-08 11:00   faq/shipping        resolved   resolved+csat declined       -
# C6   D web             en   05-09 12:00   faq/payment         abandoned  none (2 of 3 msgs fallback)  requested, never claimed
# C7   D web             en   05-09 13:00   none (greet only)   open       none                         -
# C8   E rest            id   05-10 14:00   complaint           escalated  nps 3, csat unanswered       600 / 3600 (budi)
# C9   E rest            id   05-20 15:00   faq/returns         abandoned  csat unanswered              -
# C10  F telegram        id   05-21 09:00   check_order_status  resolved   resolved 1, ces 3, nps 9, comment  300 / - (ani)
# C11  G web             en   05-22 10:00   faq/returns         resolved   resolved 1, ces 7 (1 of 2 msgs fallback)


def _at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"2024-{day}T{clock}")


def seed_history(engine: Engine) -> Dict[str, int]:
    """Build the history above through the store API; return conversation ids by name."""
    ids: Dict[str, int] = {}
    minute = timedelta(minutes=1)

    def say(channel, who, day, clock, text, language, intent, fallback=False):
        return record_customer_message(
            channel, who, text, _at(day, clock), language, intent=intent,
            confidence=0.3 if fallback else 0.95, is_fallback=fallback, engine=engine,
        )

    def survey(conv, kind, score, day, clock, status="answered", comment=None):
        asked = _at(day, clock)
        record_survey_answer(
            conv, kind, score, asked + minute, asked, comment=comment, status=status, engine=engine
        )

    def handoff(conv, day, clock, agent=None, wait=None, resolution=None):
        requested = _at(day, clock)
        handoff_id = request_handoff(conv, requested, reason="request", engine=engine)
        if wait is not None:
            claim_handoff(handoff_id, agent, requested + timedelta(seconds=wait), engine=engine)
        if resolution is not None:
            resolve_handoff(handoff_id, requested + timedelta(seconds=resolution), engine=engine)

    # Previous period.
    c0 = ids["C0"] = say("web", "web-a", "04-20", "09:00", "cara retur?", "id", "faq/returns")
    survey(c0, "csat", 1, "04-20", "09:02")
    close_conversation(c0, "resolved", _at("04-20", "09:05"), engine=engine)

    c1 = ids["C1"] = say("web", "web-a", "05-06", "09:00", "halo", "id", "greet")
    assert say("web", "web-a", "05-06", "09:01", "mau retur", "id", "faq/returns") == c1
    record_bot_message(c1, "Bisa, ini caranya...", _at("05-06", "09:01"), engine=engine)
    survey(c1, "resolved", 1, "05-06", "09:02")
    survey(c1, "csat", 5, "05-06", "09:03")
    survey(c1, "ces", 6, "05-06", "09:04")
    close_conversation(c1, "resolved", _at("05-06", "09:05"), engine=engine)

    c2 = ids["C2"] = say("web", "web-a", "05-12", "09:00", "retur lagi", "id", "faq/returns")
    survey(c2, "resolved", 1, "05-12", "09:02")
    survey(c2, "csat", 4, "05-12", "09:03")
    close_conversation(c2, "resolved", _at("05-12", "09:05"), engine=engine)

    c3 = ids["C3"] = say(
        "telegram", "tg-b", "05-07", "10:00", "where is INV-2024-00123", "en", "check_order_status"
    )
    survey(c3, "resolved", 1, "05-07", "10:02")
    survey(c3, "csat", 2, "05-07", "10:03")
    survey(c3, "nps", 10, "05-07", "10:04")
    close_conversation(c3, "resolved", _at("05-07", "10:05"), engine=engine)

    c4 = ids["C4"] = say("telegram", "tg-b", "05-15", "10:00", "again?", "en", "check_order_status")
    say("telegram", "tg-b", "05-15", "10:01", "agent please", "en", "human_handoff")
    survey(c4, "resolved", 0, "05-15", "10:02")
    survey(c4, "csat", 3, "05-15", "10:03")
    handoff(c4, "05-15", "10:04", agent="ani", wait=120, resolution=1800)
    close_conversation(c4, "escalated", _at("05-15", "10:40"), engine=engine)

    c5 = ids["C5"] = say("web", "web-c", "05-08", "11:00", "ongkir ke Bali?", "id", "faq/shipping")
    survey(c5, "resolved", None, "05-08", "11:02", status="declined")
    survey(c5, "csat", None, "05-08", "11:03", status="declined")
    close_conversation(c5, "resolved", _at("05-08", "11:05"), engine=engine)

    c6 = ids["C6"] = say("web", "web-d", "05-09", "12:00", "bayar pakai apa?", "en", "faq/payment")
    say("web", "web-d", "05-09", "12:01", "asdfgh", "en", "nlu_fallback", fallback=True)
    say("web", "web-d", "05-09", "12:02", "qwerty", "en", "nlu_fallback", fallback=True)
    handoff(c6, "05-09", "12:03")
    # 58 idle minutes later: C6 is closed as abandoned and C7 opened.
    c7 = ids["C7"] = say("web", "web-d", "05-09", "13:00", "hello?", "en", "greet")
    assert c7 != c6

    c8 = ids["C8"] = say("rest", "rest-e", "05-10", "14:00", "barang rusak!", "id", "complaint")
    survey(c8, "nps", 3, "05-10", "14:00")
    survey(c8, "csat", None, "05-10", "14:00", status="unanswered")
    handoff(c8, "05-10", "14:01", agent="budi", wait=600, resolution=3600)
    close_conversation(c8, "escalated", _at("05-10", "15:05"), engine=engine)

    c9 = ids["C9"] = say("rest", "rest-e", "05-20", "15:00", "retur?", "id", "faq/returns")
    survey(c9, "csat", None, "05-20", "15:01", status="unanswered")
    close_conversation(c9, "abandoned", _at("05-20", "15:01"), engine=engine)

    c10 = ids["C10"] = say(
        "telegram", "tg-f", "05-21", "09:00", "status order, hp 0812-3456-7890", "id",
        "check_order_status",
    )
    handoff(c10, "05-21", "09:01", agent="ani", wait=300)
    survey(c10, "resolved", 1, "05-21", "09:10")
    survey(c10, "ces", 3, "05-21", "09:11")
    survey(c10, "nps", 9, "05-21", "09:12")
    survey(c10, "comment", None, "05-21", "09:13", comment="mantap, email saya x@y.com")
    close_conversation(c10, "resolved", _at("05-21", "09:15"), engine=engine)

    c11 = ids["C11"] = say("web", "web-g", "05-22", "10:00", "return policy?", "en", "faq/returns")
    say("web", "web-g", "05-22", "10:01", "zzz", "en", "nlu_fallback", fallback=True)
    survey(c11, "resolved", 1, "05-22", "10:02")
    survey(c11, "ces", 7, "05-22", "10:03")
    close_conversation(c11, "resolved", _at("05-22", "10:05"), engine=engine)
    return ids


@pytest.fixture(scope="session", params=ENGINES)
def history(request, tmp_path_factory):
    """(engine, conversation ids, URL) of a database holding the seeded history; read-only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'history.db'}"
        schema.upgrade(url)
    else:
        url = request.getfixturevalue("new_pg_database")()
    engine = engine_for(url)
    return engine, seed_history(engine), url

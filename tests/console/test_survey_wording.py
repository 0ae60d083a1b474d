"""Survey wording owned by leads: versions per question and language, the version kept beside each answer."""
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from cxm_store import survey_texts
from cxm_store.console_models import SurveyText
from cxm_store.db import session_factory
from cxm_store.models import SurveyAnswer
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import record_customer_message

T = datetime(2026, 11, 2, 9, 0)


def test_each_answer_keeps_the_wording_version_it_was_asked_in(store_engine: Any) -> None:
    engine = store_engine
    with engine.begin() as connection:  # the PostgreSQL scratch database is shared by the run
        connection.execute(delete(SurveyText))
    indonesian = record_customer_message("web", "web-ws-1", "halo", T, "id", engine=engine)
    english = record_customer_message("web", "web-ws-2", "hello", T, "en", engine=engine)
    assert survey_texts.save_wording("csat", "id", "Puas?", ["1", "2", "3", "4", "5"], "lia", T + timedelta(hours=1), engine=engine) == 1
    assert survey_texts.save_wording("csat", "id", "Seberapa puas?", [], "lia", T + timedelta(hours=3), engine=engine) == 2
    asked = [T, T + timedelta(hours=2), T + timedelta(hours=4)]
    ids = [record_survey_answer(indonesian, "csat", 4, at + timedelta(minutes=1), at, engine=engine) for at in asked]
    english_id = record_survey_answer(english, "csat", 5, T + timedelta(hours=5), T + timedelta(hours=4), engine=engine)
    with session_factory(engine)() as session:
        versions = {row.id: row.text_version for row in session.scalars(select(SurveyAnswer))}
    assert [versions[i] for i in ids] == [None, 1, 2]  # built-in, then the version in force
    assert versions[english_id] is None  # only Indonesian was reworded
    assert survey_texts.current_wording("csat", "id", engine=engine).question == "Seberapa puas?"


def test_only_leads_reword_the_survey_and_each_save_is_a_new_version(console: Any) -> None:
    agent = console.client(console.user("agent"))
    assert agent.get("/survey-texts").status_code == 403
    lead = console.client(console.user("lead"))
    page = lead.get("/survey-texts")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def save(**fields: str) -> Any:
        data = {"csrf_token": token, **fields}
        return lead.http.post(lead.base + "/survey-texts", data=data, allow_redirects=False, timeout=15)

    before = survey_texts.current_wording("nps", "en", engine=console.engine)
    assert save(kind="nps", language="en", question="Would you recommend us?", buttons="0\n10").status_code == 303
    assert save(kind="nps", language="en", question="How likely are you to recommend Serambi?", buttons="").status_code == 303
    now = survey_texts.current_wording("nps", "en", engine=console.engine)
    assert now.version == (before.version if before else 0) + 2
    assert now.question == "How likely are you to recommend Serambi?"
    assert f"version {now.version} by" in lead.get("/survey-texts").text
    refused = save(kind="nps", language="fr", question="?")
    assert refused.status_code == 400 and "The language must be id" in refused.text

"""The console's context panel shows the waiting customer's journey on every channel (Chromium).

Store: a customer wrote on the web (resolved, CSAT 5), proved with a code that
a Telegram chat is theirs, and now waits on Telegram for a person. The agent
who opens the queue entry sees both conversations in the journey panel.
"""
import os
from datetime import datetime, timedelta

import pytest

from cxm_store import auth, identity, schema
from cxm_store.db import engine_for
from cxm_store.handoffs import request_handoff
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import close_conversation, record_customer_message
from tests.conftest import ARTIFACTS, ROOT, web_app

PASSWORD = "correct horse battery"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def waiting_console(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('journey-panel') / 'cxm.db'}"
    schema.upgrade(url)
    engine = engine_for(url)
    now = datetime.utcnow()
    web = record_customer_message("web", "w-1", "cara retur?", now - timedelta(days=2), "id",
                                  intent="faq/returns", engine=engine)
    record_survey_answer(web, "csat", 5, now - timedelta(days=2), now - timedelta(days=2),
                         engine=engine)
    close_conversation(web, "resolved", now - timedelta(days=2) + timedelta(minutes=5),
                       engine=engine)
    code = identity.issue_link_code("web", "w-1", now - timedelta(minutes=5), engine=engine)
    identity.redeem_link_code("telegram", "tg-1", code, now - timedelta(minutes=4), engine=engine)
    tg = record_customer_message("telegram", "tg-1", "paket saya rusak, mau bicara dengan CS",
                                 now - timedelta(minutes=3), "id", intent="complain", engine=engine)
    request_handoff(tg, now - timedelta(minutes=2), reason="request", engine=engine)
    auth.create_user("rina", "Rina", PASSWORD, "agent", engine=engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CXM_DATABASE_URL": url,
           "RASA_URL": "http://127.0.0.1:9", "CXM_SECURE_COOKIES": "0",
           "CXM_BUSINESS_HOURS": "00:00-23:59:59"}
    port = int(os.environ.get("TEST_JOURNEY_PANEL_PORT", "8907"))
    with web_app("journey-panel", port, env) as base:
        yield base


def test_the_journey_panel_shows_both_channels(waiting_console, browser):
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US").new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{waiting_console}/login")
    page.get_by_label("Username").fill("rina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#availability").click()
    cards = page.locator("#queue-list .card")
    expect(cards).to_have_count(1, timeout=TIMEOUT_MS)
    cards.first.click()
    items = page.locator("#journey-panel .timeline-item")
    expect(items).to_have_count(2, timeout=TIMEOUT_MS)
    expect(items.nth(0)).to_contain_text("web")
    expect(items.nth(0)).to_contain_text("CSAT 5")
    expect(items.nth(1)).to_contain_text("telegram")
    expect(page.locator("#journey-panel")).to_contain_text("linked by proof")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "journey-console-panel.png"))
    assert not errors, errors
